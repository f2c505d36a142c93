/** Pairwise scores between two vectors, as sentence-transformers / scikit-learn compute them. */

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** Cosine similarity; a zero vector scores 0 (scikit-learn's normalize leaves zero rows at zero). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const na = norm(a);
  const nb = norm(b);
  if (na === 0 || nb === 0) return 0;
  return dot(a, b) / (na * nb);
}

export function manhattanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s;
}

export function euclideanDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

/** Unit-length copy; zero vectors stay zero. */
export function normalized(a: ArrayLike<number>): Float64Array {
  const n = norm(a);
  const out = Float64Array.from(a);
  if (n > 0) for (let i = 0; i < out.length; i++) out[i]! /= n;
  return out;
}

/** The four similarity functions of sentence-transformers' evaluators. Distances are reported negated as similarities where noted. */
export const SIMILARITY_FUNCTIONS = ['cosine', 'manhattan', 'euclidean', 'dot'] as const;
export type SimilarityFunctionName = (typeof SIMILARITY_FUNCTIONS)[number];

/** Higher = more similar: cosine, dot, and the NEGATED manhattan / euclidean distances. */
export function similarity(name: SimilarityFunctionName, a: ArrayLike<number>, b: ArrayLike<number>): number {
  switch (name) {
    case 'cosine':
      return cosine(a, b);
    case 'dot':
      return dot(a, b);
    case 'manhattan':
      return -manhattanDistance(a, b);
    case 'euclidean':
      return -euclideanDistance(a, b);
  }
}
