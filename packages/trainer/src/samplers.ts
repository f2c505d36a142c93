import { mixSeed, mulberry32, permutation } from '@contrastive/core';

/** What the trainer needs from a data set: named columns (the data-nli `Dataset` fits). */
export interface ColumnarDataset {
  readonly columnNames: string[];
  readonly numRows: number;
  column(name: string): readonly unknown[];
  /**
   * Called at the start of every epoch (resumed ones too) before batches are drawn, as Hugging Face datasets'
   * `set_epoch`: a data set that re-draws per epoch (FlagEmbedding's group sampling) does it here, from the epoch.
   */
  setEpoch?(epoch: number): void;
}

export type BatchSamplerName = 'batch_sampler' | 'no_duplicates' | 'group_by_label';

/** What a batch sampler is told about the data set it batches. */
export interface BatchSamplerContext {
  batchSize: number;
  dropLast: boolean;
  /** Derived from the run's seed, the epoch and the data set: the same numbers give the same batches. */
  seed: number;
  textColumns: string[];
  labelColumn?: string;
  datasetName: string;
}

/** A batch sampler: one epoch's batches as row indices. Pass one as `batchSampler` to use your own. */
export type BatchSampler = (dataset: ColumnarDataset, context: BatchSamplerContext) => number[][];

export interface SamplerOptions {
  batchSize: number;
  dropLast: boolean;
  seed: number;
}

/** Shuffled consecutive batches (torch's RandomSampler + BatchSampler). */
export function defaultBatches(numRows: number, o: SamplerOptions): number[][] {
  const order = permutation(numRows, mulberry32(o.seed));
  const out: number[][] = [];
  for (let s = 0; s < order.length; s += o.batchSize) {
    const b = order.slice(s, s + o.batchSize);
    if (b.length < o.batchSize && o.dropLast) break;
    out.push(b);
  }
  return out;
}

/**
 * sentence-transformers' NoDuplicatesBatchSampler: no text value appears twice in a batch, so in-batch
 * negatives are never copies of the positive. Rows that clash wait for a later batch.
 */
export function noDuplicateBatches(
  values: (row: number) => string[],
  numRows: number,
  o: SamplerOptions,
): number[][] {
  let remaining = permutation(numRows, mulberry32(o.seed));
  const out: number[][] = [];
  while (remaining.length > 0) {
    const batch: number[] = [];
    const seen = new Set<string>();
    const left: number[] = [];
    for (const idx of remaining) {
      if (batch.length === o.batchSize) {
        left.push(idx);
        continue;
      }
      const v = values(idx);
      if (v.some((x) => seen.has(x))) {
        left.push(idx);
        continue;
      }
      v.forEach((x) => seen.add(x));
      batch.push(idx);
    }
    if (batch.length === 0) break;
    if (batch.length < o.batchSize && o.dropLast) break;
    out.push(batch);
    remaining = left;
  }
  return out;
}

/**
 * Batches in which every label present appears at least twice (for batch-hard triplet losses): each label's
 * rows are shuffled and paired, pairs are shuffled, and batches are filled pair by pair.
 */
export function groupByLabelBatches(labels: readonly unknown[], o: SamplerOptions): number[][] {
  const rand = mulberry32(o.seed);
  const byLabel = new Map<string, number[]>();
  labels.forEach((l, i) => {
    const k = String(l);
    const list = byLabel.get(k);
    if (list) list.push(i);
    else byLabel.set(k, [i]);
  });
  const pairs: number[][] = [];
  for (const idx of byLabel.values()) {
    const p = permutation(idx.length, rand).map((j) => idx[j]!);
    for (let i = 0; i + 1 < p.length; i += 2) pairs.push([p[i]!, p[i + 1]!]);
  }
  const order = permutation(pairs.length, rand);
  const size = Math.max(2, o.batchSize - (o.batchSize % 2));
  const out: number[][] = [];
  let cur: number[] = [];
  for (const j of order) {
    cur.push(...pairs[j]!);
    if (cur.length >= size) {
      out.push(cur);
      cur = [];
    }
  }
  if (cur.length > 0 && !o.dropLast) out.push(cur);
  return out;
}

export interface ScheduledBatch {
  dataset: number;
  rows: number[];
}

/**
 * One epoch's batches across data sets: round robin (take turns, stop when one runs out) or proportional
 * (every batch of every data set, in an order drawn in proportion to their sizes), as sentence-transformers.
 */
export function epochSchedule(
  perDataset: number[][][],
  mode: 'round_robin' | 'proportional',
  seed: number,
): ScheduledBatch[] {
  if (perDataset.length === 1) return perDataset[0]!.map((rows) => ({ dataset: 0, rows }));
  if (mode === 'round_robin') {
    const rounds = Math.min(...perDataset.map((b) => b.length));
    const out: ScheduledBatch[] = [];
    for (let r = 0; r < rounds; r++) perDataset.forEach((b, d) => out.push({ dataset: d, rows: b[r]! }));
    return out;
  }
  const picks: number[] = perDataset.flatMap((b, d) => b.map(() => d));
  const order = permutation(picks.length, mulberry32(mixSeed(seed, 0x5eed)));
  const next = perDataset.map(() => 0);
  return order.map((j) => {
    const d = picks[j]!;
    return { dataset: d, rows: perDataset[d]![next[d]!++]! };
  });
}

/** The named samplers as functions (sentence-transformers' BatchSamplers). */
export const BATCH_SAMPLERS: Readonly<Record<BatchSamplerName, BatchSampler>> = {
  batch_sampler: (data, o) => defaultBatches(data.numRows, o),
  no_duplicates: (data, o) => {
    const cols = o.textColumns.map((c) => data.column(c) as string[]);
    return noDuplicateBatches((r) => cols.map((c) => c[r]!), data.numRows, o);
  },
  group_by_label: (data, o) => {
    if (!o.labelColumn) throw new Error(`data set "${o.datasetName}": group_by_label needs a label column`);
    return groupByLabelBatches(data.column(o.labelColumn), o);
  },
};

/** A sampler given by name or as a function. */
export function batchSamplerFor(sampler: BatchSamplerName | BatchSampler): BatchSampler {
  if (typeof sampler === 'function') return sampler;
  const s = BATCH_SAMPLERS[sampler];
  if (!s)
    throw new Error(
      `unknown batch sampler "${String(sampler)}" (${Object.keys(BATCH_SAMPLERS).join(', ')}, or a function)`,
    );
  return s;
}
