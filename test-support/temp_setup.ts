import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

// A safety net under tempDir(): each test file gets its own TMPDIR (inherited by the CLI processes it
// spawns), removed after the file, so temp folders a test forgets do not pile up in /tmp.
const fileTmp = mkdtempSync(join(tmpdir(), 'contrastive-vitest-'));
const previous = process.env.TMPDIR;
process.env.TMPDIR = fileTmp;

afterAll(() => {
  // Assigning undefined would store the string "undefined".
  if (previous === undefined) Reflect.deleteProperty(process.env, 'TMPDIR');
  else process.env.TMPDIR = previous;
  rmSync(fileTmp, { recursive: true, force: true });
});
