import type { LossBatch } from '../types.js';

// The embedding-call helpers are public (../embed.ts, for plugins); re-exported here for the built-in losses.
export { columnTexts, embedCallOptions, embedColumns } from '../embed.js';

/** Labels as one number per row. */
export function scalarLabels(batch: LossBatch, lossName: string): number[] {
  const labels = batch.labels;
  if (!labels) throw new Error(`${lossName}: the batch has no label column`);
  if (labels.length !== batch.size)
    throw new Error(`${lossName}: ${labels.length} labels for ${batch.size} rows`);
  return labels.map((l, i) => {
    if (typeof l !== 'number' || Number.isNaN(l))
      throw new Error(`${lossName}: label of row ${i} must be a number, got ${JSON.stringify(l)}`);
    return l;
  });
}

/** Labels as a list of `width` numbers per row (a plain number is a list of one). */
export function listLabels(batch: LossBatch, lossName: string, width: number, what: string): number[][] {
  const labels = batch.labels;
  if (!labels) throw new Error(`${lossName}: the batch has no label column`);
  if (labels.length !== batch.size)
    throw new Error(`${lossName}: ${labels.length} labels for ${batch.size} rows`);
  return labels.map((l, i) => {
    const row = typeof l === 'number' ? [l] : l;
    if (
      !Array.isArray(row) ||
      row.length !== width ||
      row.some((v) => typeof v !== 'number' || Number.isNaN(v))
    ) {
      throw new Error(
        `${lossName}: label of row ${i} must be a list of ${width} numbers (${what}), got ${JSON.stringify(l)}`,
      );
    }
    return row;
  });
}
