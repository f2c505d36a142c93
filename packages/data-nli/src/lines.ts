import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { DataError } from './errors.js';

/** One line of a text file with its 1-based line number. */
export interface NumberedLine {
  text: string;
  line: number;
}

/**
 * Reads a text file line by line without loading it (for files larger than memory). Handles LF and
 * CRLF endings and a UTF-8 byte order mark; a final newline does not produce an empty last line.
 */
export async function* streamLines(path: string): AsyncGenerator<NumberedLine> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  try {
    for await (const raw of reader) {
      line++;
      yield { text: line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw, line };
    }
  } catch (e) {
    throw fileError(path, e);
  } finally {
    reader.close();
    input.destroy();
  }
}

/** Turns a missing or unreadable file into a DataError that names it. */
export function fileError(path: string, e: unknown): Error {
  if (e instanceof DataError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new DataError('file not found', { file: path });
  if (code === 'EISDIR') return new DataError('is a folder, expected a file', { file: path });
  return e instanceof Error ? e : new Error(String(e));
}
