import { describe, expect, it } from 'vitest';
import { InvalidUtf8Error, decodeUtf8, invalidUtf8Offset } from './utf8.js';

const bytes = (...parts: (string | number[])[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('UTF-8 checks', () => {
  it('finds the offset of the first invalid sequence as the WHATWG fatal decoder sees it', () => {
    expect(invalidUtf8Offset(bytes('héllo €𝄞'))).toBe(-1);
    expect(invalidUtf8Offset(bytes('ab', [0xff]))).toBe(2); // never valid
    expect(invalidUtf8Offset(bytes('a', [0xc0, 0xaf]))).toBe(1); // overlong '/'
    expect(invalidUtf8Offset(bytes('ab', [0xed, 0xa0, 0x80]))).toBe(2); // surrogate U+D800
    expect(invalidUtf8Offset(bytes([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // past U+10FFFF
    expect(invalidUtf8Offset(bytes('abc', [0xe2, 0x82]))).toBe(3); // truncated €
    expect(invalidUtf8Offset(bytes('abc', [0xe2, 0x82]), false)).toBe(-1); // may continue
    expect(invalidUtf8Offset(bytes('x', [0xe2, 0x41, 0x41]))).toBe(1); // bad continuation
  });

  it('decodeUtf8 drops a BOM and names the line of a bad byte', () => {
    expect(decodeUtf8(bytes([0xef, 0xbb, 0xbf], 'a\nb'), 'f.txt')).toBe('a\nb');
    const error = (() => {
      try {
        decodeUtf8(bytes('one\ntwo\nth', [0xe9], 're\n'), 'in.txt');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidUtf8Error);
    expect((error as InvalidUtf8Error).line).toBe(3);
    expect((error as Error).message).toBe('in.txt:3: invalid UTF-8 (the file must be UTF-8 encoded)');
  });
});
