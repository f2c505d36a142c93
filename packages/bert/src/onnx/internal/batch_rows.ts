import type { EncodedBatch } from '../../tokenizer.js';

/** One past the last real token of row r (padding is on the right; a hole in the mask stays inside). */
export function rowLength(mask: Int32Array, r: number, s: number): number {
  for (let q = s; q > 0; q--) if (mask[r * s + q - 1]) return q;
  return 0;
}

/** Each row's real length (`rowLength`) and the rows ordered by it, ties by row index. */
export function rowsByLength(
  batch: EncodedBatch,
  order: 'shortest-first' | 'longest-first',
): { lengths: number[]; rows: Int32Array } {
  const lengths = Array.from({ length: batch.batchSize }, (_, r) =>
    rowLength(batch.attentionMask, r, batch.length),
  );
  const sign = order === 'shortest-first' ? 1 : -1;
  const rows = Int32Array.from(lengths.keys()).sort((a, b) => sign * (lengths[a]! - lengths[b]!) || a - b);
  return { lengths, rows };
}

/** The rows `rows` of a batch as a batch of their own, padded to the longest of them. */
export function selectRows(batch: EncodedBatch, rows: Int32Array): EncodedBatch {
  const s = batch.length;
  const length = Math.max(1, ...Array.from(rows, (r) => rowLength(batch.attentionMask, r, s)));
  const take = (from: Int32Array) => {
    const out = new Int32Array(rows.length * length);
    rows.forEach((r, i) => out.set(from.subarray(r * s, r * s + length), i * length));
    return out;
  };
  return {
    inputIds: take(batch.inputIds),
    attentionMask: take(batch.attentionMask),
    tokenTypeIds: take(batch.tokenTypeIds),
    batchSize: rows.length,
    length,
  };
}

/**
 * The rows of `batch` as parts to run one by one, longest rows first, or undefined to run it whole. In the
 * packed graph only attention pads (to the batch's longest row: S² per row and head), so a batch whose rows differ
 * much in length is halved, its longest rows apart from the rest, while attention's real share of its padded
 * work (Σ n² / (B·S²)) is below `minFill` and each half keeps `minTokens` tokens (smaller products run below the
 * matmul rate).
 */
export function attentionParts(
  batch: EncodedBatch,
  { minTokens = 512, minFill = 0.7 }: { minTokens?: number; minFill?: number } = {},
): Int32Array[] | undefined {
  const { lengths, rows: sorted } = rowsByLength(batch, 'longest-first');
  const parts: Int32Array[] = [];
  const split = (rows: Int32Array) => {
    let tokens = 0;
    let squares = 0;
    for (const r of rows) {
      tokens += lengths[r]!;
      squares += lengths[r]! ** 2;
    }
    const longest = lengths[rows[0]!]!;
    const fill = squares / (rows.length * longest * longest);
    const half = rows.length >> 1;
    let headTokens = 0;
    for (let i = 0; i < half; i++) headTokens += lengths[rows[i]!]!;
    if (fill >= minFill || Math.min(headTokens, tokens - headTokens) < minTokens) {
      parts.push(rows);
      return;
    }
    split(rows.subarray(0, half));
    split(rows.subarray(half));
  };
  split(sorted);
  return parts.length > 1 ? parts : undefined;
}
