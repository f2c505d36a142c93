/** mulberry32: a seeded generator giving the same [0, 1) sequence on every platform. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

/** Mixes several integers into one 32-bit seed (so seed, epoch and row give independent streams). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}
