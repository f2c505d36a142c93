import { tf } from '@contrastive/tensor-gpu';

export type PoolingMode = 'cls' | 'mean' | 'max' | 'mean_sqrt_len' | 'weightedmean' | 'lasttoken';

/** Masks `[B, L]` as float with the same leading shape as token embeddings `[B, L, H]`. */
function mask3(mask: tf.Tensor2D): tf.Tensor3D {
  return tf.expandDims(tf.cast(mask, 'float32'), 2) as tf.Tensor3D;
}

/** First token's embedding (`[CLS]` for BERT). */
export function clsPooling(tokenEmbeddings: tf.Tensor3D): tf.Tensor2D {
  const [b, , h] = tokenEmbeddings.shape;
  return tf.reshape(tf.slice(tokenEmbeddings, [0, 0, 0], [b, 1, h]), [b, h]);
}

/** Mean over real tokens: Σ(e·m) / max(Σm, 1e-9), as sentence-transformers. */
export function meanPooling(tokenEmbeddings: tf.Tensor3D, attentionMask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const m = mask3(attentionMask);
    const sum = tf.sum(tf.mul(tokenEmbeddings, m), 1);
    const count = tf.maximum(tf.sum(m, 1), 1e-9);
    return tf.div(sum, count) as tf.Tensor2D;
  });
}

/** Σ(e·m) / √(Σm): mean pooling that keeps some length information. */
export function meanSqrtLenPooling(tokenEmbeddings: tf.Tensor3D, attentionMask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const m = mask3(attentionMask);
    const sum = tf.sum(tf.mul(tokenEmbeddings, m), 1);
    return tf.div(sum, tf.sqrt(tf.maximum(tf.sum(m, 1), 1e-9))) as tf.Tensor2D;
  });
}

/** Element-wise max over real tokens; padding is set to −1e9 first. */
export function maxPooling(tokenEmbeddings: tf.Tensor3D, attentionMask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const m = mask3(attentionMask);
    const masked = tf.add(tf.mul(tokenEmbeddings, m), tf.mul(tf.sub(1, m), -1e9));
    return tf.max(masked, 1) as tf.Tensor2D;
  });
}

/** Position-weighted mean (weights 1…L), as SGPT's weighted-mean pooling. */
export function weightedMeanPooling(tokenEmbeddings: tf.Tensor3D, attentionMask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const len = tokenEmbeddings.shape[1];
    const w = tf.mul(tf.cast(attentionMask, 'float32'), tf.range(1, len + 1, 1, 'float32'));
    const w3 = tf.expandDims(w, 2);
    const sum = tf.sum(tf.mul(tokenEmbeddings, w3), 1);
    return tf.div(sum, tf.maximum(tf.sum(w3, 1), 1e-9)) as tf.Tensor2D;
  });
}

/** Embedding of the last real token (right padding: position Σm−1; left padding: the last position). */
export function lastTokenPooling(tokenEmbeddings: tf.Tensor3D, attentionMask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, len] = attentionMask.shape;
    const mask = tf.cast(attentionMask, 'int32');
    const leftPadded = tf.equal(tf.sum(tf.slice(mask, [0, len - 1], [b, 1])), tf.scalar(b, 'int32'));
    const lastIdx = tf.where(
      leftPadded,
      tf.fill([b], len - 1, 'int32'),
      tf.maximum(tf.sub(tf.sum(mask, 1), tf.scalar(1, 'int32')), tf.scalar(0, 'int32')),
    ) as tf.Tensor1D;
    const flat = tf.reshape(tokenEmbeddings, [b * len, -1]);
    const idx = tf.add(tf.mul(tf.range(0, b, 1, 'int32'), tf.scalar(len, 'int32')), lastIdx);
    return tf.gather(flat, idx) as tf.Tensor2D;
  });
}

export interface PoolOptions {
  /**
   * Leading positions to leave out of the pooling: sentence-transformers' `include_prompt: false` masks
   * `[CLS]` plus the prompt's tokens (its `prompt_length`). Ignored by cls and lasttoken pooling.
   */
  excludeLeadingTokens?: number;
}

/** Applies one pooling mode. */
export function pool(
  mode: PoolingMode,
  tokenEmbeddings: tf.Tensor3D,
  attentionMask: tf.Tensor2D,
  options: PoolOptions = {},
): tf.Tensor2D {
  return tf.tidy(() => {
    let mask = attentionMask;
    const skip = options.excludeLeadingTokens ?? 0;
    if (skip > 0 && mode !== 'cls' && mode !== 'lasttoken') {
      const [b, len] = mask.shape;
      const n = Math.min(skip, len);
      const keep = tf.concat([tf.zeros([b, n]), tf.ones([b, len - n])], 1);
      mask = tf.mul(tf.cast(mask, 'float32'), keep) as tf.Tensor2D;
    }
    switch (mode) {
      case 'cls':
        return clsPooling(tokenEmbeddings);
      case 'mean':
        return meanPooling(tokenEmbeddings, mask);
      case 'max':
        return maxPooling(tokenEmbeddings, mask);
      case 'mean_sqrt_len':
        return meanSqrtLenPooling(tokenEmbeddings, mask);
      case 'weightedmean':
        return weightedMeanPooling(tokenEmbeddings, mask);
      case 'lasttoken':
        return lastTokenPooling(tokenEmbeddings, mask);
    }
  });
}

/** L2-normalizes rows (sentence-transformers' Normalize module; F.normalize with eps 1e-12). */
export function normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, 2, 1, true), 1e-12)) as tf.Tensor2D);
}
