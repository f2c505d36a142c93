import { mulberry32 } from '@contrastive/core';
import type { CellValue } from './dataset.js';
import { DataError } from './errors.js';
import { type FlagRecord, negativeColumnNames } from './flag.js';

/** Options of FlagGroupDataset. */
export interface FlagGroupOptions {
  /** FlagEmbedding's `train_group_size` g: one positive and g − 1 negatives per row (≥ 2). */
  trainGroupSize: number;
  /** Base seed; each epoch's draw is seeded by (seed, epoch, row), so any epoch can be redrawn exactly. */
  seed?: number;
  /** Prepend each record's `prompt` to its query. */
  prependPrompt?: boolean;
  /** Carry the drawn texts' teacher scores as `label`: [pos, negs...] (list) or pos − neg (margin). */
  teacherScores?: 'list' | 'margin';
}

/**
 * FlagEmbedding records as training rows with FlagEmbedding's group sampling: one row per record, whose
 * positive and g − 1 negatives are drawn at random each epoch (all negatives are used over the epochs, not
 * always the first ones). A record with fewer than g − 1 negatives repeats them, as FlagEmbedding does.
 * The trainer calls `setEpoch(epoch)` at each epoch start; the draw depends only on (seed, epoch, row),
 * so a resumed run sees the same rows.
 */
export class FlagGroupDataset {
  readonly columnNames: string[];
  private readonly negativeNames: string[];
  private columns = new Map<string, CellValue[]>();
  private currentEpoch = -1;

  constructor(
    readonly records: readonly FlagRecord[],
    readonly options: FlagGroupOptions,
  ) {
    const g = options.trainGroupSize;
    if (!Number.isInteger(g) || g < 2)
      throw new RangeError(`trainGroupSize must be an integer ≥ 2, got ${g}`);
    records.forEach((r, i) => {
      if (r.neg.length === 0)
        throw new DataError('no negatives to draw a group from', { file: `record ${i}`, field: 'neg' });
      if (
        options.teacherScores &&
        (r.pos_scores?.length !== r.pos.length || r.neg_scores?.length !== r.neg.length)
      )
        throw new DataError('teacher scores requested but pos_scores/neg_scores are missing', {
          file: `record ${i}`,
          field: r.pos_scores?.length !== r.pos.length ? 'pos_scores' : 'neg_scores',
        });
    });
    this.negativeNames = negativeColumnNames(g - 1);
    this.columnNames = [
      'anchor',
      'positive',
      ...this.negativeNames,
      ...(options.teacherScores ? ['label'] : []),
    ];
    this.setEpoch(0);
  }

  get numRows(): number {
    return this.records.length;
  }

  get epoch(): number {
    return this.currentEpoch;
  }

  column(name: string): readonly CellValue[] {
    const c = this.columns.get(name);
    if (!c) throw new DataError(`no column "${name}" (columns: ${this.columnNames.join(', ')})`);
    return c;
  }

  /** Redraws every row's positive and negatives for this epoch. */
  setEpoch(epoch: number): void {
    if (epoch === this.currentEpoch) return;
    const g = this.options.trainGroupSize;
    const seed = this.options.seed ?? 42;
    const columns = new Map<string, CellValue[]>(this.columnNames.map((n) => [n, []]));
    this.records.forEach((r, row) => {
      const random = mulberry32(hash3(seed, epoch, row));
      const p = Math.floor(random() * r.pos.length);
      // FlagEmbedding: random.sample(neg, g − 1), or of the negatives repeated ⌈(g − 1)/|neg|⌉ times.
      const pool = Array.from(
        { length: r.neg.length * Math.ceil((g - 1) / r.neg.length) },
        (_, i) => i % r.neg.length,
      );
      for (let i = 0; i < g - 1; i++) {
        const j = i + Math.floor(random() * (pool.length - i));
        [pool[i], pool[j]] = [pool[j]!, pool[i]!];
      }
      const picks = pool.slice(0, g - 1);
      const query = this.options.prependPrompt && r.prompt ? r.prompt + r.query : r.query;
      columns.get('anchor')!.push(query);
      columns.get('positive')!.push(r.pos[p]!);
      this.negativeNames.forEach((n, k) => columns.get(n)!.push(r.neg[picks[k]!]!));
      if (this.options.teacherScores) {
        const pos = r.pos_scores![p]!;
        const negs = picks.map((k) => r.neg_scores![k]!);
        columns
          .get('label')!
          .push(
            this.options.teacherScores === 'list'
              ? [pos, ...negs]
              : negs.length === 1
                ? pos - negs[0]!
                : negs.map((x) => pos - x),
          );
      }
    });
    this.columns = columns;
    this.currentEpoch = epoch;
  }
}

/** One 32-bit seed from (seed, epoch, row), well mixed so neighbouring rows and epochs draw independently. */
function hash3(a: number, b: number, c: number): number {
  let h = 0x811c9dc5;
  for (const x of [a, b, c]) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
  }
  return h >>> 0;
}
