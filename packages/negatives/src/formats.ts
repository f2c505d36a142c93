import type { MinedRecord } from './types.js';

/** Output layouts: FlagEmbedding JSONL, or the column layouts sentence-transformers' losses read. */
export const OUTPUT_FORMATS = ['flag', 'triplets', 'ntuples', 'labeled-pairs'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** (anchor, positive, negative): one row per positive × negative (sentence-transformers' `triplet`). */
export function toTriplets(
  records: readonly MinedRecord[],
): Array<{ anchor: string; positive: string; negative: string }> {
  return records.flatMap((r) =>
    r.pos.flatMap((positive) => r.neg.map((negative) => ({ anchor: r.query, positive, negative }))),
  );
}

/**
 * (anchor, positive, negative_1..n): one row per positive; records with fewer than n negatives are left out,
 * as sentence-transformers' `n-tuple` does. n defaults to the most negatives any record has.
 */
export function toNTuples(records: readonly MinedRecord[], n?: number): Array<Record<string, string>> {
  const count = n ?? Math.max(0, ...records.map((r) => r.neg.length));
  return records
    .filter((r) => r.neg.length >= count)
    .flatMap((r) =>
      r.pos.map((positive) => {
        const row: Record<string, string> = { anchor: r.query, positive };
        for (let i = 0; i < count; i++) row[`negative_${i + 1}`] = r.neg[i]!;
        return row;
      }),
    );
}

/** (anchor, positive, label): label 1 for each positive, 0 for each negative (sentence-transformers' `labeled-pair`). */
export function toLabeledPairs(
  records: readonly MinedRecord[],
): Array<{ anchor: string; positive: string; label: number }> {
  return records.flatMap((r) => [
    ...r.pos.map((positive) => ({ anchor: r.query, positive, label: 1 })),
    ...r.neg.map((negative) => ({ anchor: r.query, positive: negative, label: 0 })),
  ]);
}

/** Records in the given layout, as JSON-ready objects (flag: the records themselves). */
export function formatRecords(records: readonly MinedRecord[], format: OutputFormat): object[] {
  switch (format) {
    case 'flag':
      return [...records];
    case 'triplets':
      return toTriplets(records);
    case 'ntuples':
      return toNTuples(records);
    case 'labeled-pairs':
      return toLabeledPairs(records);
  }
}
