import { createHash } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

/** One cached completion; `key` is stored too, so a collision or a hand-edited file is detected on read. */
interface CacheEntry {
  key: string;
  text: string;
}

/** sha256 of the canonical JSON of everything that changes a completion. */
export function cacheKey(parts: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * Completions on disk, one JSON file per key under `<dir>/<2 hex>/<key>.json`. Writes go through a temp file in
 * the same folder and a rename, so a crash never leaves a half entry; a file that does not parse is a miss.
 */
export class DiskCache {
  constructor(private readonly dir: string) {}

  private pathOf(key: string): string {
    return join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  get(key: string): string | undefined {
    let raw: string;
    try {
      raw = readFileSync(this.pathOf(key), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const entry = JSON.parse(raw) as Partial<CacheEntry>;
      return entry.key === key && typeof entry.text === 'string' ? entry.text : undefined;
    } catch {
      return undefined;
    }
  }

  set(key: string, text: string): void {
    const path = this.pathOf(key);
    const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      mkdirSync(dirname(path), { recursive: true });
      const fd = openSync(tmp, 'w');
      try {
        const bytes = Buffer.from(JSON.stringify({ key, text } satisfies CacheEntry), 'utf8');
        let off = 0;
        while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new Error(`LLM cache: cannot write ${path} (${(e as Error).message})`);
    }
  }
}
