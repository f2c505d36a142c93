import { describe, expect, it } from 'vitest';
import type { EncodedBatch } from '../../tokenizer.js';
import { attentionParts, rowLength, rowsByLength, selectRows } from './batch_rows.js';

/** A batch whose row r has `lengths[r]` real tokens (ids 100 + position), right-padded. */
function batchOf(lengths: number[]): EncodedBatch {
  const length = Math.max(...lengths);
  const n = lengths.length;
  const inputIds = new Int32Array(n * length);
  const attentionMask = new Int32Array(n * length);
  lengths.forEach((l, r) => {
    for (let q = 0; q < l; q++) {
      inputIds[r * length + q] = 100 + q;
      attentionMask[r * length + q] = 1;
    }
  });
  return { inputIds, attentionMask, tokenTypeIds: new Int32Array(n * length), batchSize: n, length };
}
const rows = (parts: Int32Array[] | undefined) => parts?.map((p) => Array.from(p));
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('attentionParts', () => {
  it('halves while attention is mostly padding, longest rows first, each part keeping enough tokens', () => {
    // 16 rows of 64, 16 of 40, 32 of 16: fill (16·64² + 16·40² + 32·16²) / (64·64²) = 0.379 → halves of 32
    // rows (1664 and 512 tokens); the first half's fill (16·64² + 16·40²) / (32·64²) = 0.695 → halves again
    // (1024 and 640 tokens); every part is then of one length.
    const parts = attentionParts(
      batchOf([...Array(16).fill(64), ...Array(16).fill(40), ...Array(32).fill(16)]),
    );
    expect(rows(parts)).toEqual([range(0, 16), range(16, 16), range(32, 32)]);
  });

  it('orders rows by length (ties by row) wherever they are in the batch', () => {
    const lengths = Array.from({ length: 64 }, (_, r) => (r % 2 ? 17 : 60));
    const parts = attentionParts(batchOf(lengths));
    expect(rows(parts)).toEqual([range(0, 32).map((i) => 2 * i), range(0, 32).map((i) => 2 * i + 1)]);
  });

  it('keeps a batch whole when attention pads little or a half would have too few tokens', () => {
    expect(attentionParts(batchOf(Array(64).fill(30)))).toBeUndefined();
    // fill (48·60² + 16·17²) / (64·60²) = 0.77 ≥ 0.7.
    expect(attentionParts(batchOf([...Array(48).fill(60), ...Array(16).fill(17)]))).toBeUndefined();
    // fill 0.54 but the short half has 32·15 = 480 < 512 tokens; with a lower minimum it is split.
    const short = batchOf([...Array(32).fill(60), ...Array(32).fill(15)]);
    expect(attentionParts(short)).toBeUndefined();
    expect(rows(attentionParts(short, { minTokens: 480 }))).toEqual([range(0, 32), range(32, 32)]);
    expect(attentionParts(batchOf([60, 5]), { minTokens: 1 })?.length).toBe(2);
    expect(attentionParts(batchOf([60]), { minTokens: 1 })).toBeUndefined();
  });
});

describe('selectRows', () => {
  it('takes rows as a batch of their own, padded to the longest of them', () => {
    const b = batchOf([5, 2, 3]);
    const s = selectRows(b, Int32Array.of(2, 1));
    expect(s.batchSize).toBe(2);
    expect(s.length).toBe(3);
    expect(Array.from(s.inputIds)).toEqual([100, 101, 102, 100, 101, 0]);
    expect(Array.from(s.attentionMask)).toEqual([1, 1, 1, 1, 1, 0]);
    expect(rowLength(s.attentionMask, 1, s.length)).toBe(2);
  });
});

describe('rowsByLength', () => {
  it('orders rows by real length either way, ties by row index', () => {
    const b = batchOf([3, 5, 3, 1]);
    expect(rowsByLength(b, 'shortest-first')).toEqual({
      lengths: [3, 5, 3, 1],
      rows: Int32Array.of(3, 0, 2, 1),
    });
    expect(Array.from(rowsByLength(b, 'longest-first').rows)).toEqual([1, 0, 2, 3]);
  });
});
