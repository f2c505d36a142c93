import { tf } from '@contrastive/tensor-gpu';

/**
 * Added to a score to mask it out. Finite (not -Infinity, as PyTorch uses) so that `0 · log p` stays 0 in
 * the one-hot cross entropy below; after softmax it is exactly 0 all the same.
 */
export const MASKED = -1e12;

/** Mean cross entropy of logits `[N, C]` against class indices `targets[i]` (torch.nn.CrossEntropyLoss). */
export function crossEntropy(logits: tf.Tensor2D, targets: number[]): tf.Scalar {
  return tf.tidy(() => {
    const [n, c] = logits.shape;
    // Built on the host: tf.oneHot refuses depth 1, which a last batch of one row with no extra candidates has.
    const hot = new Float32Array(n * c);
    targets.forEach((t, i) => {
      hot[i * c + t] = 1;
    });
    const onehot = tf.tensor2d(hot, [n, c]);
    const picked = tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1);
    return tf.div(tf.neg(tf.sum(picked)), n) as tf.Scalar;
  });
}

/** Cross entropy with target `i` for row `i`: the in-batch-negatives objective. */
export function diagonalCrossEntropy(logits: tf.Tensor2D): tf.Scalar {
  return crossEntropy(
    logits,
    Array.from({ length: logits.shape[0] }, (_, i) => i),
  );
}

/** A constant `[rows, cols]` additive mask: `MASKED` where `masked(i, j)`, else 0. */
export function additiveMask(
  rows: number,
  cols: number,
  masked: (i: number, j: number) => boolean,
): tf.Tensor2D {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) if (masked(i, j)) data[i * cols + j] = MASKED;
  return tf.tensor2d(data, [rows, cols]);
}

export type DistanceMetric = 'euclidean' | 'cosine' | 'manhattan';

/**
 * Row-wise distances as sentence-transformers' metrics: `1 − cos` for cosine, and torch's
 * `F.pairwise_distance(x, y, p)` = ‖x − y + 1e-6‖_p for euclidean (p = 2) and manhattan (p = 1).
 */
export function pairwiseDistance(metric: DistanceMetric, a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    if (metric === 'cosine') return tf.sub(1, pairwiseCosine(a, b)) as tf.Tensor1D;
    const diff = tf.add(tf.sub(a, b), 1e-6);
    if (metric === 'manhattan') return tf.sum(tf.abs(diff), 1) as tf.Tensor1D;
    return tf.sqrt(tf.sum(tf.square(diff), 1)) as tf.Tensor1D;
  });
}

/** Row-wise cosine similarity, as torch.nn.functional.cosine_similarity (eps 1e-8 on each norm). */
export function pairwiseCosine(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const num = tf.sum(tf.mul(a, b), 1);
    const den = tf.mul(tf.maximum(tf.norm(a, 2, 1), 1e-8), tf.maximum(tf.norm(b, 2, 1), 1e-8));
    return tf.div(num, den) as tf.Tensor1D;
  });
}

/** log Σ exp over all entries of a 1-D tensor, stable. */
export function logSumExp1d(x: tf.Tensor1D): tf.Scalar {
  return tf.logSumExp(x) as tf.Scalar;
}

/** The first `dim` columns of `[N, D]` embeddings (Matryoshka truncation). */
export function truncate(x: tf.Tensor2D, dim: number): tf.Tensor2D {
  if (dim === x.shape[1]) return x;
  return tf.slice(x, [0, 0], [-1, dim]);
}
