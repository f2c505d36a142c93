/**
 * Seeded randomness shared by every package (model initialization, dropout seeds, samplers, shuffles and
 * splits), so a seed means the same thing everywhere. mulberry32's whole state is one 32-bit integer: the same
 * seed gives the same sequence on every platform, and a run's random position is cheap to checkpoint.
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

/** Mixes integers into one 32-bit seed (distinct per epoch / step / micro-batch); order matters. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

/**
 * Fisher–Yates shuffle of a copy of `items` with `random` (e.g. `mulberry32(seed)`): one draw per position
 * from the last down, so a shared generator advances by `items.length - 1` draws.
 */
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

/**
 * A random permutation of 0..n-1: from a seed (`mulberry32(seed)`) or from a generator the caller keeps
 * drawing from (samplers that shuffle several lists from one stream).
 */
export function permutation(n: number, seedOrRandom: number | (() => number)): number[] {
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`permutation: n must be a non-negative integer, got ${n}`);
  const random = typeof seedOrRandom === 'number' ? mulberry32(seedOrRandom) : seedOrRandom;
  return shuffleWith(
    Array.from({ length: n }, (_, i) => i),
    random,
  );
}

/** `n` Box–Muller normal samples with mean 0 and standard deviation `std` from a uniform source. */
export function normalSamples(n: number, std: number, uniform: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    // u1 > 0 keeps log finite; each pair of uniforms gives two samples (cos and sin).
    const u1 = Math.max(uniform(), 1e-12);
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
