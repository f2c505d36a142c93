import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliNodeArgs, runCli } from '../../../test-support/cli.js';
import { repoRoot } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { MALLOC_TUNABLES, isGlibc, mallocTunedEnv } from '../src/malloc_tunables.js';
import { tinyBert } from './helpers.js';

describe('mallocTunedEnv', () => {
  it('adds the tunables on glibc, after any the user set; leaves a set threshold and other C libraries alone', () => {
    expect(mallocTunedEnv({ PATH: '/bin' }, true)).toEqual({ PATH: '/bin', GLIBC_TUNABLES: MALLOC_TUNABLES });
    expect(mallocTunedEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, true)?.GLIBC_TUNABLES).toBe(
      `glibc.malloc.arena_max=2:${MALLOC_TUNABLES}`,
    );
    expect(mallocTunedEnv({ GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=131072' }, true)).toBeUndefined();
    const other = 'glibc.cpu.x86_ibt=on:glibc.malloc.mmap_threshold=1';
    expect(mallocTunedEnv({ GLIBC_TUNABLES: other }, true)).toBeUndefined();
    expect(mallocTunedEnv({ PATH: '/bin' }, false)).toBeUndefined();
  });
});

// A plugin that records the environment of the process that runs the command; with SLOW set it then waits.
const RECORDER = `import { writeFileSync } from 'node:fs';
export async function register() {
  writeFileSync(process.env.RECORD_TO, JSON.stringify({ tunables: process.env.GLIBC_TUNABLES ?? null, pid: process.pid }));
  if (process.env.SLOW) await new Promise((r) => setTimeout(r, 120_000));
}
`;

interface Recorded {
  tunables: string | null;
  pid: number;
}

describe('the CLI runs its commands with the malloc tunables (issue 17)', () => {
  const dir = tempDir('malloc-tunables-');
  const plugin = join(dir, 'recorder.mjs');
  writeFileSync(plugin, RECORDER);
  const input = join(dir, 'in.txt');
  writeFileSync(input, 'one sentence\nanother one\n');
  const encode = (out: string) => [
    '--plugin',
    plugin,
    'encode',
    '--model',
    tinyBert,
    '--input',
    input,
    '--output',
    join(dir, out),
  ];
  const record = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Recorded;

  it('on glibc the command runs in a child started with them; a user-set threshold runs in place', async () => {
    const recordTo = join(dir, 'default.json');
    const r = await runCli(encode('a.jsonl'), { env: { RECORD_TO: recordTo }, unsetEnv: ['GLIBC_TUNABLES'] });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'a.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    const seen = record(recordTo);
    if (isGlibc()) {
      expect(seen.tunables).toBe(MALLOC_TUNABLES);
      expect(seen.pid).not.toBe(r.pid);
    } else expect(seen).toEqual({ tunables: null, pid: r.pid });

    const own = 'glibc.malloc.trim_threshold=131072';
    const ownTo = join(dir, 'own.json');
    const o = await runCli(encode('b.jsonl'), { env: { RECORD_TO: ownTo, GLIBC_TUNABLES: own } });
    expect(o.status, o.stderr).toBe(0);
    expect(record(ownTo)).toEqual({ tunables: own, pid: o.pid });
  });

  it("the child's failure is the command's: its exit code, its message once", async () => {
    const args = [
      'encode',
      '--model',
      join(dir, 'missing'),
      '--input',
      input,
      '--output',
      join(dir, 'x.jsonl'),
    ];
    const r = await runCli(args, {
      unsetEnv: ['GLIBC_TUNABLES'],
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(join(dir, 'missing'));
    const lines = r.stderr.trim().split('\n');
    expect(new Set(lines).size, r.stderr).toBe(lines.length);
  });

  it.runIf(isGlibc())('SIGTERM to the CLI reaches the child, and the CLI ends by that signal', async () => {
    const recordTo = join(dir, 'slow.json');
    const { GLIBC_TUNABLES: _, ...inherited } = process.env;
    const env = { ...inherited, RECORD_TO: recordTo, SLOW: '1' };
    const cli = spawn(process.execPath, cliNodeArgs(encode('c.jsonl')), {
      cwd: repoRoot,
      env,
      stdio: 'ignore',
    });
    const ended = new Promise<NodeJS.Signals | null>((resolve) =>
      cli.on('close', (_, signal) => resolve(signal)),
    );
    // The plugin writes its record, then waits: read it once it parses.
    let child = 0;
    while (!child) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        child = record(recordTo).pid;
      } catch {}
    }
    expect(child).not.toBe(cli.pid);
    cli.kill('SIGTERM');
    expect(await ended).toBe('SIGTERM');
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && alive(child); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(child)).toBe(false);
  });
});
