import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test-support/temp.js';
import {
  OutputWriteError,
  openAtomicOutput,
  withAtomicOutput,
  writeJsonLinesAtomic,
  writeOutputFile,
  writeOutputFileSync,
} from './atomic_output.js';

/** Mounts a 64 KiB tmpfs (root only); undefined, with the reason logged, where mounting is not allowed. */
function smallTmpfs(): { dir: string; unmount: () => void } | undefined {
  const dir = tempDir('core-tmpfs-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    console.warn(
      `skipping the tmpfs variant: cannot mount a tmpfs here (${(e as Error).message.split('\n')[0]})`,
    );
    return undefined;
  }
  return { dir, unmount: () => execFileSync('umount', [dir]) };
}

describe('atomic output', () => {
  it('writes nothing at the path until commit, then exactly what was written; no temp file is left', async () => {
    const dir = tempDir();
    const path = join(dir, 'out.jsonl');
    writeFileSync(path, 'old\n');
    const out = await openAtomicOutput(path);
    // 70 000 bytes cross the 64 KiB buffer, so a real write happens before commit.
    for (let i = 0; i < 10_000; i++) await out.write(`line ${i}\n`.padStart(7, ' '));
    expect(readFileSync(path, 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toHaveLength(2);
    await out.commit();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines).toHaveLength(10_001);
    expect(lines[9_999]).toBe('line 9999');
    expect(readdirSync(dir)).toEqual(['out.jsonl']);
  });

  it('abort and a throwing producer leave the old file and no temp file', async () => {
    const dir = tempDir();
    const path = join(dir, 'out.txt');
    writeFileSync(path, 'old');
    const out = await openAtomicOutput(path);
    await out.write('new');
    await out.abort();
    await out.abort();
    await expect(
      withAtomicOutput(path, async (o) => {
        await o.write('x'.repeat(100_000));
        throw new Error('producer failed');
      }),
    ).rejects.toThrow('producer failed');
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['out.txt']);
  });

  it('writeJsonLinesAtomic counts lines from sync and async iterables; writeOutputFileSync replaces a file', async () => {
    const dir = tempDir();
    const path = join(dir, 'a.jsonl');
    expect(await writeJsonLinesAtomic(path, [{ a: 1 }, { a: 2 }])).toBe(2);
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
    async function* three() {
      for (let i = 0; i < 3; i++) yield [i];
    }
    expect(await writeJsonLinesAtomic(path, three())).toBe(3);
    expect(readFileSync(path, 'utf8')).toBe('[0]\n[1]\n[2]\n');
    writeOutputFileSync(join(dir, 'r.json'), '{"x":1}\n');
    writeOutputFileSync(join(dir, 'r.json'), '{"x":2}\n');
    expect(readFileSync(join(dir, 'r.json'), 'utf8')).toBe('{"x":2}\n');
    expect(readdirSync(dir).sort()).toEqual(['a.jsonl', 'r.json']);
  });

  it('follows a symlink: the target is replaced, the link stays', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'real.txt'), 'old');
    symlinkSync(join(dir, 'real.txt'), join(dir, 'link.txt'));
    await writeOutputFile(join(dir, 'link.txt'), 'new');
    expect(readFileSync(join(dir, 'real.txt'), 'utf8')).toBe('new');
    expect(readFileSync(join(dir, 'link.txt'), 'utf8')).toBe('new');
  });

  it('a full device (/dev/full: ENOSPC on every write) rejects naming the file, sync and async', async () => {
    if (!existsSync('/dev/full')) throw new Error('/dev/full is missing on this machine');
    const error = await writeOutputFile('/dev/full', 'x'.repeat(10)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputWriteError);
    expect((error as OutputWriteError).code).toBe('ENOSPC');
    expect((error as Error).message).toMatch(/^\/dev\/full: cannot write output \(ENOSPC/);
    expect(() => writeOutputFileSync('/dev/full', 'x')).toThrow(/^\/dev\/full: cannot write output \(ENOSPC/);
  });

  it('a missing folder or a folder as the target is an error naming the path', async () => {
    const dir = tempDir();
    await expect(writeOutputFile(join(dir, 'no', 'such', 'x.txt'), 'x')).rejects.toThrow(
      `${join(dir, 'no', 'such', 'x.txt')}: cannot write output (ENOENT`,
    );
    await expect(writeOutputFile(dir, 'x')).rejects.toThrow(`${dir}: cannot write output (is a folder)`);
  });

  it('a disk that fills up mid-file (64 KiB tmpfs) rejects naming the file and leaves nothing behind', async () => {
    const fs = smallTmpfs();
    if (!fs) return;
    try {
      const path = join(fs.dir, 'big.jsonl');
      const rows = Array.from({ length: 5000 }, (_, i) => ({ sentence: `sentence ${i}`, i }));
      const error = await writeJsonLinesAtomic(path, rows).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(`${path}: cannot write output (ENOSPC`);
      expect(readdirSync(fs.dir)).toEqual([]);
      // A file that fits still goes through.
      expect(await writeJsonLinesAtomic(path, rows.slice(0, 10))).toBe(10);
    } finally {
      fs.unmount();
    }
  });
});

/**
 * Runs a node child (tsx, source condition) that opens an atomic output at `path`, writes past the buffer so
 * the temp file holds data, prints "ready" and waits; then sends it `signal` (or nothing, when the child's
 * own `then` code ends it). Resolves with its exit code and stdout.
 */
function interruptWriter(
  path: string,
  signal: NodeJS.Signals | undefined,
  then = 'setInterval(() => {}, 1 << 30);',
  before = '',
): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string }> {
  const code = `import { openAtomicOutput } from ${JSON.stringify(new URL('./atomic_output.ts', import.meta.url).pathname)};
${before}
const out = await openAtomicOutput(process.env.OUTPUT_PATH);
await out.write('x'.repeat(100_000));
process.stdout.write('ready\\n');
${then}`;
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@contrastive/source', '--import', 'tsx', '--input-type=module', '-e', code],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, OUTPUT_PATH: path } },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (signal && stdout.startsWith('ready\n') && !child.killed) child.kill(signal);
    });
    child.on('error', fail);
    child.on('close', (status, received) => done({ status, signal: received, stdout }));
  });
}

describe('atomic output on interruption', () => {
  it('SIGINT removes the temp file and exits 130; no output appears', async () => {
    const dir = tempDir();
    const path = join(dir, 'out.jsonl');
    const result = await interruptWriter(path, 'SIGINT');
    expect(result).toMatchObject({ status: 130, signal: null, stdout: 'ready\n' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('SIGTERM removes the temp file and exits 143; an existing output keeps its content', async () => {
    const dir = tempDir();
    const path = join(dir, 'out.jsonl');
    writeFileSync(path, 'old\n');
    const result = await interruptWriter(path, 'SIGTERM');
    expect(result).toMatchObject({ status: 143, signal: null });
    expect(readdirSync(dir)).toEqual(['out.jsonl']);
    expect(readFileSync(path, 'utf8')).toBe('old\n');
  });

  it('SIGHUP (a closed terminal) removes the temp file and exits 129', async () => {
    const dir = tempDir();
    const result = await interruptWriter(join(dir, 'out.jsonl'), 'SIGHUP');
    expect(result).toMatchObject({ status: 129, signal: null });
    expect(readdirSync(dir)).toEqual([]);
  });

  it("the program's own SIGINT listener still decides how to end; the temp file is gone all the same", async () => {
    const dir = tempDir();
    const path = join(dir, 'out.jsonl');
    const own = `process.on('SIGINT', () => { console.log('own handler'); setTimeout(() => process.exit(7), 20); });`;
    const result = await interruptWriter(path, 'SIGINT', undefined, own);
    expect(result).toMatchObject({ status: 7, stdout: 'ready\nown handler\n' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a program that handles SIGINT and goes on can still commit its output', async () => {
    const dir = tempDir();
    const path = join(dir, 'out.jsonl');
    const then = `process.on('SIGINT', () => out.commit().then(() => { console.log('committed'); process.exit(0); }));
setInterval(() => {}, 1 << 30);`;
    const result = await interruptWriter(path, 'SIGINT', then);
    expect(result).toMatchObject({ status: 0, stdout: 'ready\ncommitted\n' });
    expect(readdirSync(dir)).toEqual(['out.jsonl']);
    expect(readFileSync(path, 'utf8')).toBe('x'.repeat(100_000));
  });

  it('process.exit with an output still open removes its temp file', async () => {
    const dir = tempDir();
    const result = await interruptWriter(join(dir, 'out.jsonl'), undefined, 'process.exit(3);');
    expect(result.status).toBe(3);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('listens for SIGINT/SIGTERM/exit only while an output is open', async () => {
    const dir = tempDir();
    const counts = () => ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit'].map((e) => process.listenerCount(e));
    const before = counts();
    const first = await openAtomicOutput(join(dir, 'a.txt'));
    const second = await openAtomicOutput(join(dir, 'b.txt'));
    expect(counts()).toEqual(before.map((n) => n + 1));
    await first.commit();
    expect(counts()).toEqual(before.map((n) => n + 1));
    await second.abort();
    expect(counts()).toEqual(before);
    // A failed open (missing folder) leaves nothing registered either.
    await expect(openAtomicOutput(join(dir, 'missing', 'c.txt'))).rejects.toThrow(OutputWriteError);
    expect(counts()).toEqual(before);
  });
});
