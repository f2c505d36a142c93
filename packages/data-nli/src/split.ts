import type { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { splitIndices } from './internal/split_indices.js';

/** Options of splitDataset. */
export interface SplitOptions {
  /** Relative sizes, e.g. [8, 1, 1] for train/validation/test (any number of parts ≥ 2). */
  ratios: readonly number[];
  /** Seed of the shuffle (default 42): same seed, same split. */
  seed?: number;
  /** Keep each value of this column (e.g. `label`) in the same proportions in every part. */
  stratifyBy?: string;
  /**
   * Text columns whose texts may not appear in two parts: rows sharing a text (in any of these columns,
   * compared after trimming, lower-casing and collapsing whitespace) are kept together.
   */
  dedupeColumns?: readonly string[];
}

/**
 * Seeded split into parts of the given ratios (each part shuffled), optionally stratified and free of
 * text leaks. With `dedupeColumns`, whole groups of connected rows move together, so part sizes match
 * the ratios only up to the largest group.
 */
export function splitDataset(ds: Dataset, options: SplitOptions): Dataset[] {
  const seed = options.seed ?? 42;
  const strata = options.stratifyBy !== undefined ? ds.column(options.stratifyBy) : undefined;
  const groups = options.dedupeColumns?.length ? textGroups(ds, options.dedupeColumns) : undefined;
  const parts = splitIndices(ds.numRows, { ratios: options.ratios, seed, strata, groups });
  return parts.map((indices, k) => ds.select(indices).shuffle(seed + 1 + k));
}

/** Names of the parts of an n-way split: train/test, train/val/test, else train, val, test, part_4... */
export function splitNames(count: number): string[] {
  if (count === 2) return ['train', 'test'];
  return Array.from({ length: count }, (_, i) => ['train', 'val', 'test'][i] ?? `part_${i + 1}`);
}

function normalizeText(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** Connected components of rows linked by a shared (normalized) text, via union–find. */
function textGroups(ds: Dataset, columns: readonly string[]): number[][] {
  const parent = Array.from({ length: ds.numRows }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  const firstRowOfText = new Map<string, number>();
  for (const name of columns) {
    const values = ds.column(name);
    values.forEach((value, i) => {
      if (value === null) return;
      if (typeof value !== 'string') {
        throw new DataError(`dedupe column holds ${JSON.stringify(value)}, expected text`, {
          ...ds.origin(i),
          field: name,
        });
      }
      const key = normalizeText(value);
      const first = firstRowOfText.get(key);
      if (first === undefined) firstRowOfText.set(key, i);
      else {
        const a = find(first);
        const b = find(i);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    });
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < ds.numRows; i++) {
    const root = find(i);
    let group = groups.get(root);
    if (!group) {
      group = [];
      groups.set(root, group);
    }
    group.push(i);
  }
  return [...groups.values()];
}
