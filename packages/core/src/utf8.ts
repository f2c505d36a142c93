/** Input that is not valid UTF-8: `file` and the 1-based `line` of the first bad byte sequence. */
export class InvalidUtf8Error extends Error {
  readonly file: string;
  readonly line: number;

  constructor(file: string, line: number) {
    super(`${file}:${line}: invalid UTF-8 (the file must be UTF-8 encoded)`);
    this.name = 'InvalidUtf8Error';
    this.file = file;
    this.line = line;
  }
}

/**
 * Byte offset of the first invalid UTF-8 sequence in `bytes` (overlong forms, surrogates, code points past
 * U+10FFFF and truncated sequences included, as WHATWG's fatal decoder rejects them), or -1 when valid.
 * `final: false` accepts a sequence cut off at the end (more bytes follow in the next chunk).
 */
export function invalidUtf8Offset(bytes: Uint8Array, final = true): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return final ? i : -1;
      const c = bytes[i + k]!;
      if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** Number of `\n` bytes in `bytes` before `end`. */
function newlinesBefore(bytes: Uint8Array, end: number): number {
  let count = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) count++;
  return count;
}

/**
 * Decodes a whole file's bytes as UTF-8 (a leading byte order mark dropped); invalid UTF-8 throws an
 * InvalidUtf8Error naming `file` and the line, instead of turning into U+FFFD.
 */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = Math.max(0, invalidUtf8Offset(bytes));
    throw new InvalidUtf8Error(file, newlinesBefore(bytes, offset) + 1);
  }
}
