import { cosineSimilarity } from '@contrastive/pooling';
import { tf } from '@contrastive/tensor-gpu';
import { EmbeddingLoss } from '../embedding_loss.js';
import { pairwiseCosine } from '../internal/ops.js';
import { defineLoss, lossOption } from '../loss_definition.js';

export interface MegaBatchMarginLossOptions {
  /** The positive pair's cosine should be at least this. Default 0.8. */
  positiveMargin?: number;
  /** The hardest in-batch negative's cosine should be at most this. Default 0.3. */
  negativeMargin?: number;
}

/**
 * sentence-transformers' MegaBatchMarginLoss (Wieting & Gimpel, ParaNMT): for each anchor, the hardest
 * negative is the most similar positive of another row; loss = mean of relu(positiveMargin − cos(a, p)) +
 * relu(cos(a, n⁻) − negativeMargin). This is its `use_mini_batched_version=False` form over the whole batch;
 * the mini-batched form (mini_batch_size 50) only bounds PyTorch memory and gives the same value and gradients
 * when the batch has at most 50 rows and dropout is off.
 */
export class MegaBatchMarginLoss extends EmbeddingLoss {
  readonly name = 'MegaBatchMarginLoss';
  readonly columns = {
    minInputs: 2,
    maxInputs: 2,
    label: 'none' as const,
    description: '(anchor, positive) pairs',
  };
  readonly positiveMargin: number;
  readonly negativeMargin: number;

  constructor(options: MegaBatchMarginLossOptions = {}) {
    super();
    this.positiveMargin = options.positiveMargin ?? 0.8;
    this.negativeMargin = options.negativeMargin ?? 0.3;
  }

  lossFromEmbeddings(embeddings: tf.Tensor2D[]): tf.Scalar {
    return tf.tidy(() => {
      const [anchors, positives] = embeddings as [tf.Tensor2D, tf.Tensor2D];
      const n = anchors.shape[0];
      // Minus 2 on the diagonal: a row's own positive is never its negative (cosines are ≥ −1).
      const scores = tf.sub(cosineSimilarity(anchors, positives), tf.mul(tf.eye(n), 2));
      const hardestNegative = tf.max(scores, 1);
      const positive = pairwiseCosine(anchors, positives);
      return tf.mean(
        tf.add(
          tf.relu(tf.sub(this.positiveMargin, positive)),
          tf.relu(tf.sub(hardestNegative, this.negativeMargin)),
        ),
      ) as tf.Scalar;
    });
  }
}

/** Registry entry: `mega-batch-margin` / MegaBatchMarginLoss. */
export const megaBatchMarginDefinition = defineLoss({
  name: 'mega-batch-margin',
  className: 'MegaBatchMarginLoss',
  description: 'positive cosine above a margin, hardest in-batch negative below one (anchor, positive)',
  options: { positiveMargin: lossOption.number(0.8), negativeMargin: lossOption.number(0.3) },
  create: (o) => new MegaBatchMarginLoss(o),
});
