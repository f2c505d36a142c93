import { tf } from '@contrastive/tensor-gpu';
import { EmbeddingLoss } from '../embedding_loss.js';
import { scalarLabels } from '../internal/embed.js';
import { MASKED, pairwiseCosine } from '../internal/ops.js';
import { defineLoss, lossOption } from '../loss_definition.js';
import { positive } from '../options.js';
import type { LossBatch } from '../types.js';

/**
 * sentence-transformers' `pairwise_angle_sim` (AnglE): each embedding is split into real and imaginary halves
 * and the score is |Σ (re, im)| of the normalized complex quotient x / y. Needs an even dimension.
 */
export function pairwiseAngleSimilarity(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor1D {
  const dim = x.shape[1];
  if (dim % 2 !== 0) throw new Error(`AnglELoss: the embedding dimension must be even, got ${dim}`);
  const h = dim / 2;
  return tf.tidy(() => {
    const a = tf.slice(x, [0, 0], [-1, h]);
    const b = tf.slice(x, [0, h], [-1, h]);
    const c = tf.slice(y, [0, 0], [-1, h]);
    const d = tf.slice(y, [0, h], [-1, h]);
    const z = tf.sum(tf.add(tf.square(c), tf.square(d)), 1, true);
    let re = tf.div(tf.add(tf.mul(a, c), tf.mul(b, d)), z);
    let im = tf.div(tf.sub(tf.mul(b, c), tf.mul(a, d)), z);
    const dz = tf.sqrt(tf.sum(tf.add(tf.square(a), tf.square(b)), 1, true));
    const dw = tf.sqrt(z);
    const ratio = tf.div(dz, dw);
    re = tf.div(re, ratio);
    im = tf.div(im, ratio);
    return tf.abs(tf.sum(tf.concat([re, im], 1), 1)) as tf.Tensor1D;
  });
}

/**
 * sentence-transformers' CoSENTLoss: `log(1 + Σ_{label_i < label_j} exp(scale · (s_i − s_j)))` — every pair
 * ranked wrong by the model (a less similar pair scored higher) is penalized. Default scale 20, cosine.
 */
export class CoSENTLoss extends EmbeddingLoss {
  readonly name: string = 'CoSENTLoss';
  readonly columns = {
    minInputs: 2,
    maxInputs: 2,
    label: 'float' as const,
    description: '(sentence1, sentence2) with a similarity score',
  };
  readonly scale: number;

  constructor(options: { scale?: number } = {}) {
    super();
    this.scale = options.scale ?? 20;
  }

  protected pairScores(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor1D {
    return pairwiseCosine(u, v);
  }

  lossFromEmbeddings(embeddings: tf.Tensor2D[], batch: LossBatch): tf.Scalar {
    const labels = scalarLabels(batch, this.name);
    const n = labels.length;
    return tf.tidy(() => {
      const s = tf.mul(this.pairScores(embeddings[0]!, embeddings[1]!), this.scale);
      const diff = tf.sub(tf.expandDims(s, 1), tf.expandDims(s, 0)); // [i, j] = s_i − s_j
      const mask = new Float32Array(n * n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) if (!(labels[i]! < labels[j]!)) mask[i * n + j] = MASKED;
      const terms = tf.reshape(tf.add(diff, tf.tensor2d(mask, [n, n])), [-1]);
      return tf.logSumExp(tf.concat([tf.zeros([1]), terms], 0)) as tf.Scalar;
    });
  }
}

/** sentence-transformers' AnglELoss: CoSENT on the angle-difference similarity (`pairwise_angle_sim`). Scale 20. */
export class AnglELoss extends CoSENTLoss {
  override readonly name: string = 'AnglELoss';

  protected override pairScores(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor1D {
    return pairwiseAngleSimilarity(u, v);
  }
}

/** Registry entry: `cosent` / CoSENTLoss. */
export const cosentDefinition = defineLoss({
  name: 'cosent',
  className: 'CoSENTLoss',
  description: 'ranks every pair of pairs by their scores (sentence1, sentence2, score)',
  options: { scale: lossOption.number(20, positive) },
  create: (o) => new CoSENTLoss(o),
});

/** Registry entry: `angle` / AnglELoss. */
export const angleDefinition = defineLoss({
  name: 'angle',
  className: 'AnglELoss',
  description: 'CoSENT on angle differences in complex space (sentence1, sentence2, score)',
  options: { scale: lossOption.number(20, positive) },
  create: (o) => new AnglELoss(o),
});
