import { tf } from '@contrastive/tensor-gpu';
import { type EmbeddingRows, checkRowWidths } from './internal/rows.js';

export type SimilarityFunction = 'cosine' | 'dot' | 'euclidean' | 'manhattan';

/** All-pairs cosine similarity `[N, D] × [M, D] → [N, M]`. */
export function cosineSimilarity(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const an = tf.div(a, tf.maximum(tf.norm(a, 2, 1, true), 1e-12));
    const bn = tf.div(b, tf.maximum(tf.norm(b, 2, 1, true), 1e-12));
    return tf.matMul(an, tf.transpose(bn)) as tf.Tensor2D;
  });
}

/** All-pairs dot product. */
export function dotScore(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(a, tf.transpose(b)) as tf.Tensor2D);
}

/** All-pairs negative Euclidean distance (higher = more similar), as sentence-transformers' `euclidean_sim`. */
export function euclideanSimilarity(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const diff = tf.sub(tf.expandDims(a, 1), tf.expandDims(b, 0));
    return tf.neg(tf.sqrt(tf.sum(tf.square(diff), 2))) as tf.Tensor2D;
  });
}

/** All-pairs negative Manhattan distance. */
export function manhattanSimilarity(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(
    () => tf.neg(tf.sum(tf.abs(tf.sub(tf.expandDims(a, 1), tf.expandDims(b, 0))), 2)) as tf.Tensor2D,
  );
}

/** Row-wise (paired) similarity of `[N, D]` and `[N, D]` → `[N]`. */
export function pairwiseSimilarity(fn: SimilarityFunction, a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    switch (fn) {
      case 'cosine': {
        const num = tf.sum(tf.mul(a, b), 1);
        const den = tf.mul(tf.maximum(tf.norm(a, 2, 1), 1e-12), tf.maximum(tf.norm(b, 2, 1), 1e-12));
        return tf.div(num, den) as tf.Tensor1D;
      }
      case 'dot':
        return tf.sum(tf.mul(a, b), 1) as tf.Tensor1D;
      case 'euclidean':
        return tf.neg(tf.sqrt(tf.sum(tf.square(tf.sub(a, b)), 1))) as tf.Tensor1D;
      case 'manhattan':
        return tf.neg(tf.sum(tf.abs(tf.sub(a, b)), 1)) as tf.Tensor1D;
    }
  });
}

/** All-pairs similarity by name. */
export function similarity(fn: SimilarityFunction, a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  switch (fn) {
    case 'cosine':
      return cosineSimilarity(a, b);
    case 'dot':
      return dotScore(a, b);
    case 'euclidean':
      return euclideanSimilarity(a, b);
    case 'manhattan':
      return manhattanSimilarity(a, b);
  }
}

export function parseSimilarityFunction(value: string): SimilarityFunction {
  const v = value.toLowerCase().replace(/_(sim|score|similarity)$/, '');
  if (v === 'cos_sim' || v === 'cos') return 'cosine';
  if (v === 'dot_product' || v === 'dot') return 'dot';
  if (v === 'cosine' || v === 'euclidean' || v === 'manhattan') return v;
  throw new Error(`unknown similarity function "${value}" (cosine, dot, euclidean, manhattan)`);
}

export type { EmbeddingRows };

function checkRows(what: string, a: EmbeddingRows, b: EmbeddingRows): number {
  const d = a[0]?.length ?? b[0]?.length ?? 0;
  checkRowWidths(`${what}: a`, a, d);
  checkRowWidths(`${what}: b`, b, d);
  return d;
}

/** One pair's score (float64 sums): cosine with sentence-transformers' ε on the norms, distances negated. */
function score(fn: SimilarityFunction, x: ArrayLike<number>, y: ArrayLike<number>, d: number): number {
  let s = 0;
  switch (fn) {
    case 'cosine': {
      let xx = 0;
      let yy = 0;
      for (let k = 0; k < d; k++) {
        s += x[k]! * y[k]!;
        xx += x[k]! * x[k]!;
        yy += y[k]! * y[k]!;
      }
      return s / (Math.max(Math.sqrt(xx), 1e-12) * Math.max(Math.sqrt(yy), 1e-12));
    }
    case 'dot':
      for (let k = 0; k < d; k++) s += x[k]! * y[k]!;
      return s;
    case 'euclidean':
      for (let k = 0; k < d; k++) s += (x[k]! - y[k]!) ** 2;
      return -Math.sqrt(s);
    case 'manhattan':
      for (let k = 0; k < d; k++) s += Math.abs(x[k]! - y[k]!);
      return -s;
  }
}

/**
 * All-pairs similarity of host embeddings, `N × M` (no tensors, no `[N, M, D]` intermediate): sentence-transformers'
 * `model.similarity` / `util.cos_sim`, `dot_score`, `euclidean_sim`, `manhattan_sim` (distances negated: higher is
 * more similar).
 */
export function embeddingSimilarity(fn: SimilarityFunction, a: EmbeddingRows, b: EmbeddingRows): number[][] {
  const d = checkRows('embeddingSimilarity', a, b);
  return a.map((x) => b.map((y) => score(fn, x, y, d)));
}

/** Row i of `a` against row i of `b` (sentence-transformers' `model.similarity_pairwise`). */
export function pairwiseEmbeddingSimilarity(
  fn: SimilarityFunction,
  a: EmbeddingRows,
  b: EmbeddingRows,
): number[] {
  const d = checkRows('pairwiseEmbeddingSimilarity', a, b);
  if (a.length !== b.length)
    throw new Error(
      `pairwiseEmbeddingSimilarity: ${a.length} rows in a, ${b.length} in b (pairs need as many)`,
    );
  return a.map((x, i) => score(fn, x, b[i]!, d));
}
