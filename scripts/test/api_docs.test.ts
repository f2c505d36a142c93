import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../../test-support/shared.js';

// The API reference (`pnpm docs`, TypeDoc over every package's src/index.ts) keeps building: warnings are errors
// (typedoc.json), so a broken {@link}, a bad relative link in a doc comment, or a public signature that names a
// type the package does not export (beyond each package's typedoc.json `intentionallyNotExported`) fails here.
it('typedoc --emit none builds the API reference of every package without warnings', async () => {
  const typedoc = join(
    createRequire(join(repoRoot, 'package.json')).resolve('typedoc/package.json'),
    '..',
    'bin',
    'typedoc',
  );
  const { status, output } = await new Promise<{ status: number; output: string }>((done, fail) => {
    const child = spawn(process.execPath, [typedoc, '--emit', 'none'], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      output += d;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ status: code ?? -1, output }));
  });
  expect(output.split('\n').filter((line) => /warning|error/i.test(line) && !/0 errors/.test(line))).toEqual(
    [],
  );
  expect(status).toBe(0);
  const packages = readdirSync(join(repoRoot, 'packages')).filter((name) =>
    existsSync(join(repoRoot, 'packages', name, 'src', 'index.ts')),
  );
  expect(packages.length).toBeGreaterThan(10);
  for (const name of packages) expect(output).toContain(`Converting project at ./packages/${name}`);
}, 300_000);
