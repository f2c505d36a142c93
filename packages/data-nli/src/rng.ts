/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on every platform,
 * so shuffles and splits are reproducible. Returns numbers in [0, 1).
 */
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

/** Fisher–Yates shuffle of a copy of `items` with `random` (e.g. `mulberry32(seed)`). */
export function shuffleWith<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}

/** A seeded permutation of 0..n-1. */
export function permutation(n: number, seed: number): number[] {
  return shuffleWith(
    Array.from({ length: n }, (_, i) => i),
    mulberry32(seed),
  );
}
