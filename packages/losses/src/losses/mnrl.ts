import { type SimilarityFunction, similarity } from '@contrastive/pooling';
import { tf } from '@contrastive/tensor-gpu';
import { EmbeddingLoss } from '../embedding_loss.js';
import { columnTexts } from '../internal/embed.js';
import { additiveMask, diagonalCrossEntropy } from '../internal/ops.js';
import { defineLoss, lossOption } from '../loss_definition.js';
import { positive } from '../options.js';
import type { ColumnRequirement, FusedLossForm, LossBatch } from '../types.js';

export interface MultipleNegativesRankingLossOptions {
  /** Multiplies the similarities (inverse temperature). Default 20. */
  scale?: number;
  /** Default cosine. */
  similarity?: SimilarityFunction;
  /** Also rank the batch's other anchors as candidates (symmetric tasks); an anchor never competes with itself. */
  useAnchorsAsNegatives?: boolean;
  /** Mask in-batch candidates whose text equals the row's positive text (duplicates are not negatives). */
  maskFalseNegatives?: boolean;
}

const MNRL_COLUMNS: ColumnRequirement = {
  minInputs: 2,
  label: 'none',
  description: '(anchor, positive[, negative...])',
};

/**
 * sentence-transformers' MultipleNegativesRankingLoss: for anchor i, the positive i is the right answer
 * among every positive and every negative of the batch (`scale · sim(a_i, c_j)`, cross entropy with target i).
 */
export class MultipleNegativesRankingLoss extends EmbeddingLoss {
  readonly name: string = 'MultipleNegativesRankingLoss';
  readonly columns = MNRL_COLUMNS;
  readonly scale: number;
  readonly similarity: SimilarityFunction;
  readonly useAnchorsAsNegatives: boolean;
  readonly maskFalseNegatives: boolean;

  constructor(options: MultipleNegativesRankingLossOptions = {}) {
    super();
    this.scale = options.scale ?? 20;
    this.similarity = options.similarity ?? 'cosine';
    this.useAnchorsAsNegatives = options.useAnchorsAsNegatives ?? false;
    this.maskFalseNegatives = options.maskFalseNegatives ?? false;
    if (!(this.scale > 0)) throw new Error(`${this.name}: scale must be positive, got ${this.scale}`);
  }

  /**
   * The plain form (cosine, no anchor-anchor candidates, no duplicate masking), which an engine may run inside
   * its own training step; subclasses that compute another loss from the embeddings have none.
   */
  fusedForm(): FusedLossForm | undefined {
    if (this.similarity !== 'cosine' || this.useAnchorsAsNegatives || this.maskFalseNegatives)
      return undefined;
    if (this.lossFromEmbeddings !== MultipleNegativesRankingLoss.prototype.lossFromEmbeddings)
      return undefined;
    return { kind: 'mnrl', scale: this.scale };
  }

  lossFromEmbeddings(embeddings: tf.Tensor2D[], batch: LossBatch): tf.Scalar {
    return tf.tidy(() => {
      const [anchors, ...rest] = embeddings;
      if (!anchors || rest.length === 0) throw new Error(`${this.name}: needs anchors and positives`);
      const candidates = rest.length === 1 ? rest[0]! : (tf.concat(rest, 0) as tf.Tensor2D);
      const n = anchors.shape[0];
      let scores = tf.mul(similarity(this.similarity, anchors, candidates), this.scale) as tf.Tensor2D;
      const texts = this.maskFalseNegatives ? columnTexts(batch, this.name) : undefined;
      const positiveText = (i: number) => texts![1]![i];
      const candidateText = (j: number) => texts![1 + Math.floor(j / n)]![j % n];
      if (texts) {
        scores = tf.add(
          scores,
          additiveMask(n, candidates.shape[0], (i, j) => j !== i && candidateText(j) === positiveText(i)),
        );
      }
      if (this.useAnchorsAsNegatives) {
        const aa = tf.mul(similarity(this.similarity, anchors, anchors), this.scale);
        const mask = additiveMask(
          n,
          n,
          (i, j) => i === j || (texts !== undefined && texts[0]![j] === positiveText(i)),
        );
        scores = tf.concat([scores, tf.add(aa, mask)], 1) as tf.Tensor2D;
      }
      return diagonalCrossEntropy(scores);
    });
  }
}

/** InfoNCE: MultipleNegativesRankingLoss with `scale = 1 / temperature` (default temperature 0.05 = scale 20). */
export class InfoNCELoss extends MultipleNegativesRankingLoss {
  override readonly name: string = 'InfoNCELoss';
  readonly temperature: number;

  constructor(options: Omit<MultipleNegativesRankingLossOptions, 'scale'> & { temperature?: number } = {}) {
    const temperature = options.temperature ?? 0.05;
    if (!(temperature > 0)) throw new Error(`InfoNCELoss: temperature must be positive, got ${temperature}`);
    super({ ...options, scale: 1 / temperature });
    this.temperature = temperature;
  }
}

/**
 * sentence-transformers' MultipleNegativesSymmetricRankingLoss: the mean of the anchor→candidates loss and
 * the positive→anchors loss (each positive must find its anchor among the batch's anchors).
 */
export class MultipleNegativesSymmetricRankingLoss extends EmbeddingLoss {
  readonly name = 'MultipleNegativesSymmetricRankingLoss';
  readonly columns = MNRL_COLUMNS;
  readonly scale: number;
  readonly similarity: SimilarityFunction;

  constructor(options: { scale?: number; similarity?: SimilarityFunction } = {}) {
    super();
    this.scale = options.scale ?? 20;
    this.similarity = options.similarity ?? 'cosine';
  }

  lossFromEmbeddings(embeddings: tf.Tensor2D[]): tf.Scalar {
    return tf.tidy(() => {
      const [anchors, ...rest] = embeddings;
      if (!anchors || rest.length === 0) throw new Error(`${this.name}: needs anchors and positives`);
      const n = anchors.shape[0];
      const candidates = rest.length === 1 ? rest[0]! : (tf.concat(rest, 0) as tf.Tensor2D);
      const scores = tf.mul(similarity(this.similarity, anchors, candidates), this.scale) as tf.Tensor2D;
      const forward = diagonalCrossEntropy(scores);
      const backward = diagonalCrossEntropy(tf.transpose(tf.slice(scores, [0, 0], [n, n])));
      return tf.div(tf.add(forward, backward), 2) as tf.Scalar;
    });
  }
}

/** The options MNRL, InfoNCE and CachedMNRL share, in the order they are read. */
export const mnrlSharedOptions = {
  similarity: lossOption.similarity('cosine'),
  useAnchorsAsNegatives: lossOption.boolean(false),
  maskFalseNegatives: lossOption.boolean(false),
};

/** Registry entry: `mnrl` / MultipleNegativesRankingLoss. */
export const mnrlDefinition = defineLoss({
  name: 'mnrl',
  className: 'MultipleNegativesRankingLoss',
  description:
    'in-batch negatives: each anchor ranks its positive above every other candidate (anchor, positive[, negative...])',
  options: { scale: lossOption.number(20, positive), ...mnrlSharedOptions },
  create: (o) => new MultipleNegativesRankingLoss(o),
});

/** Registry entry: `mnrl-symmetric` / MultipleNegativesSymmetricRankingLoss. */
export const mnrlSymmetricDefinition = defineLoss({
  name: 'mnrl-symmetric',
  className: 'MultipleNegativesSymmetricRankingLoss',
  description: 'MNRL in both directions, anchor→positive and positive→anchor (anchor, positive)',
  options: { scale: lossOption.number(20, positive), similarity: lossOption.similarity('cosine') },
  create: (o) => new MultipleNegativesSymmetricRankingLoss(o),
});

/** Registry entry: `infonce` / InfoNCELoss. */
export const infoNceDefinition = defineLoss({
  name: 'infonce',
  className: 'InfoNCELoss',
  description: 'MNRL written with a temperature (scale = 1 / temperature) (anchor, positive[, negative...])',
  options: { temperature: lossOption.number(0.05, positive), ...mnrlSharedOptions },
  create: (o) => new InfoNCELoss(o),
});
