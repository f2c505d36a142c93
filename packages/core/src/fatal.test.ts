import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fatalErrorText, isVerbose, resolveUserPath } from './fatal.js';

function runNode(code: string, args: string[] = []): Promise<{ status: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@contrastive/source',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        code,
        '--',
        ...args,
      ],
      {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, DEBUG: '' },
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', fail);
    child.on('close', (status) => done({ status, stderr }));
  });
}

describe('fatal errors', () => {
  it('prints the message, or the stack and its causes when verbose', () => {
    const e = new Error('outer', { cause: new Error('inner') });
    expect(fatalErrorText('tool', e, false)).toBe('tool: outer\n');
    const verbose = fatalErrorText('tool', e, true);
    expect(verbose.startsWith('tool: Error: outer\n    at ')).toBe(true);
    expect(verbose).toContain('caused by: Error: inner');
    expect(fatalErrorText('tool', 'text', false)).toBe('tool: text\n');
  });

  it('reads --verbose and DEBUG', () => {
    expect(isVerbose(['node', 'x'], {})).toBe(false);
    expect(isVerbose(['node', 'x', '--verbose'], {})).toBe(true);
    expect(isVerbose(['node', 'x'], { DEBUG: '1' })).toBe(true);
    expect(isVerbose(['node', 'x'], { DEBUG: '0' })).toBe(false);
  });

  it('an uncaught error in an entry point exits 1 with one line', async () => {
    const code = `import { exitOnFatalErrors } from './src/fatal.ts';
exitOnFatalErrors('demo');
setTimeout(() => { throw new Error('bad input: x.csv line 3'); }, 1);`;
    const plain = await runNode(code);
    expect(plain.status).toBe(1);
    expect(plain.stderr).toBe('demo: bad input: x.csv line 3\n');
    const rejected = await runNode(
      code.replace('setTimeout(() => { throw', 'void Promise.reject(').replace(/; }, 1\);$/, ');'),
    );
    expect(rejected.status).toBe(1);
    expect(rejected.stderr).toBe('demo: bad input: x.csv line 3\n');
    const verbose = await runNode(code, ['--verbose']);
    expect(verbose.status).toBe(1);
    expect(verbose.stderr).toMatch(/^demo: Error: bad input: x\.csv line 3\n {4}at /);
  });

  it('resolves user paths against INIT_CWD', () => {
    expect(resolveUserPath('../shared/x', { INIT_CWD: '/home/u/repo' })).toBe('/home/u/shared/x');
    expect(resolveUserPath('/abs/x', { INIT_CWD: '/home/u' })).toBe('/abs/x');
    expect(resolveUserPath('x', {})).toBe(resolve('x'));
  });
});
