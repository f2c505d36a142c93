import { mulberry32, shuffleWith } from '@contrastive/core';

export interface SplitIndicesOptions {
  /** Relative sizes of the parts, e.g. [8, 1, 1]; they need not sum to 1. */
  ratios: readonly number[];
  seed: number;
  /** Stratum key of each row (e.g. its label), or undefined for a plain split. */
  strata?: readonly unknown[];
  /**
   * Groups of rows that must land in the same part (rows sharing a text). Every row index appears in
   * exactly one group; undefined means every row is its own group.
   */
  groups?: readonly (readonly number[])[];
}

/**
 * Seeded assignment of rows to parts. Within each stratum the groups are shuffled, then cut at the
 * rounded cumulative ratios (counted in rows), so every stratum is split in the requested proportions
 * up to rounding and a group is never cut. Returns the row indices of each part, each in ascending order.
 */
export function splitIndices(numRows: number, options: SplitIndicesOptions): number[][] {
  const { ratios, seed, strata } = options;
  if (ratios.length < 2) throw new Error(`a split needs at least two ratios, got [${ratios.join(', ')}]`);
  for (const r of ratios) {
    if (!Number.isFinite(r) || r < 0)
      throw new Error(`split ratios must be non-negative numbers, got [${ratios.join(', ')}]`);
  }
  const total = ratios.reduce((a, b) => a + b, 0);
  if (total <= 0) throw new Error(`split ratios must not all be zero, got [${ratios.join(', ')}]`);
  const cumulative: number[] = [];
  let acc = 0;
  for (const r of ratios) {
    acc += r;
    cumulative.push(acc / total);
  }

  const groups = options.groups ?? Array.from({ length: numRows }, (_, i) => [i]);
  // Strata in order of first appearance, so the result does not depend on how keys sort.
  const groupsByStratum = new Map<unknown, (readonly number[])[]>();
  for (const group of groups) {
    if (group.length === 0) continue;
    const key = strata ? strata[group[0]!] : undefined;
    let list = groupsByStratum.get(key);
    if (!list) {
      list = [];
      groupsByStratum.set(key, list);
    }
    list.push(group);
  }

  const random = mulberry32(seed);
  const parts: number[][] = ratios.map(() => []);
  for (const stratumGroups of groupsByStratum.values()) {
    const shuffled = shuffleWith(stratumGroups, random);
    const stratumRows = shuffled.reduce((n, g) => n + g.length, 0);
    const bounds = cumulative.map((c) => Math.round(c * stratumRows));
    let before = 0;
    for (const group of shuffled) {
      // A group goes to the part its middle row falls in, so big groups are not all pushed to one side.
      const middle = before + (group.length - 1) / 2;
      let part = bounds.findIndex((b) => middle < b);
      if (part < 0) part = ratios.length - 1;
      parts[part]!.push(...group);
      before += group.length;
    }
  }
  for (const part of parts) part.sort((a, b) => a - b);
  return parts;
}
