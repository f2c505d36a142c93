import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic_file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'core-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('writes text and bytes, replaces an old file, and leaves no temp file', () => {
    const file = join(dir, 'a.json');
    writeFileSync(file, 'old');
    writeFileAtomic(file, '{"é":1}');
    expect(readFileSync(file, 'utf8')).toBe('{"é":1}');
    writeFileAtomic(file, new Uint8Array([0, 255, 7]));
    expect([...readFileSync(file)]).toEqual([0, 255, 7]);
    writeFileAtomic(file, '');
    expect(readFileSync(file, 'utf8')).toBe('');
    expect(readdirSync(dir)).toEqual(['a.json']);
  });

  it('a failed write names the file and leaves the old one and no temp file', () => {
    expect(() => writeFileAtomic(join(dir, 'missing', 'x.bin'), 'x')).toThrow(
      `cannot write ${join(dir, 'missing', 'x.bin')}: ENOENT`,
    );
    // Renaming onto a folder fails after the temp file was written: it is removed again.
    mkdirSync(join(dir, 'taken'));
    writeFileSync(join(dir, 'taken', 'keep'), 'k');
    expect(() => writeFileAtomic(join(dir, 'taken'), 'x')).toThrow(`cannot write ${join(dir, 'taken')}:`);
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readFileSync(join(dir, 'taken', 'keep'), 'utf8')).toBe('k');
  });
});
