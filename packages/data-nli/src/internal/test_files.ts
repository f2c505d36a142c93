import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary folder with a helper that writes files into it (tests only). */
export function tempFolder(): { dir: string; write: (name: string, content: string | Buffer) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'data-nli-'));
  return {
    dir,
    write: (name, content) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
  };
}
