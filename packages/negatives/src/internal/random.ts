// The project's one seeded generator and seed mixer (@contrastive/core), so a seed means the same everywhere.
export { mixSeed, mulberry32 } from '@contrastive/core';

/** k distinct indices of 0..n-1 drawn uniformly (Floyd's algorithm: O(k), no n-sized array). */
export function sampleIndices(n: number, k: number, random: () => number): number[] {
  const count = Math.min(k, n);
  const chosen = new Set<number>();
  const out: number[] = [];
  for (let j = n - count; j < n; j++) {
    const t = Math.floor(random() * (j + 1));
    const pick = chosen.has(t) ? j : t;
    chosen.add(pick);
    out.push(pick);
  }
  return out;
}
