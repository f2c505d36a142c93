import { createReadStream } from 'node:fs';
import { DataError } from './errors.js';

/** One line of a text file with its 1-based line number. */
export interface NumberedLine {
  text: string;
  line: number;
  /** With `invalidUtf8: 'mark'`: the line is not UTF-8 (`text` then has U+FFFD for the bad bytes). */
  invalidUtf8?: boolean;
}

/** Options of streamLines. */
export interface StreamLinesOptions {
  /**
   * A line that is not UTF-8: `throw` (default) a DataError naming file and line, or `mark` it
   * (`invalidUtf8: true`) for a reader that skips and counts bad rows.
   */
  invalidUtf8?: 'throw' | 'mark';
}

/** The message of a line that is not UTF-8 (with file and line it reads `in.txt:3: invalid UTF-8 ...`). */
export const INVALID_UTF8 = 'invalid UTF-8 (the file must be UTF-8 encoded)';

/**
 * Reads a text file line by line without loading it (for files larger than memory). Handles LF and
 * CRLF endings and a UTF-8 byte order mark; a final newline does not produce an empty last line.
 * Bytes that are not UTF-8 are a DataError naming the file and line (never silently U+FFFD), or marked.
 */
export async function* streamLines(
  path: string,
  options: StreamLinesOptions = {},
): AsyncGenerator<NumberedLine> {
  // ignoreBOM: a BOM is dropped from line 1 only, below; fatal: invalid bytes throw instead of becoming U+FFFD.
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const lenient = new TextDecoder('utf-8', { ignoreBOM: true });
  const decode = (bytes: Buffer, line: number): NumberedLine => {
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    let text: string;
    let invalid = false;
    try {
      text = decoder.decode(bytes.subarray(0, end));
    } catch {
      if (options.invalidUtf8 !== 'mark') throw new DataError(INVALID_UTF8, { file: path, line });
      text = lenient.decode(bytes.subarray(0, end));
      invalid = true;
    }
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return invalid ? { text, line, invalidUtf8: true } : { text, line };
  };
  const input = createReadStream(path);
  let line = 0;
  // Pieces of a line that spans chunks, joined once its newline arrives (no quadratic re-copying).
  let pieces: Buffer[] = [];
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      let start = 0;
      for (let newline = chunk.indexOf(0x0a); newline >= 0; newline = chunk.indexOf(0x0a, start)) {
        const piece = chunk.subarray(start, newline);
        const bytes = pieces.length > 0 ? Buffer.concat([...pieces, piece]) : piece;
        pieces = [];
        line++;
        yield decode(bytes, line);
        start = newline + 1;
      }
      if (start < chunk.length) pieces.push(chunk.subarray(start));
    }
    if (pieces.length > 0) {
      line++;
      yield decode(Buffer.concat(pieces), line);
    }
  } catch (e) {
    throw fileError(path, e);
  } finally {
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
