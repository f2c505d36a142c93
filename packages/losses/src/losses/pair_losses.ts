import { tf } from '@contrastive/tensor-gpu';
import { EmbeddingLoss } from '../embedding_loss.js';
import { scalarLabels } from '../internal/embed.js';
import { type DistanceMetric, pairwiseCosine, pairwiseDistance } from '../internal/ops.js';
import { defineLoss, lossOption } from '../loss_definition.js';
import { nonNegative } from '../options.js';
import type { LossBatch } from '../types.js';

export type { DistanceMetric };

/** sentence-transformers' CosineSimilarityLoss: MSE between cos(u, v) and the score label. */
export class CosineSimilarityLoss extends EmbeddingLoss {
  readonly name = 'CosineSimilarityLoss';
  readonly columns = {
    minInputs: 2,
    maxInputs: 2,
    label: 'float' as const,
    description: '(sentence1, sentence2) with a similarity score',
  };

  lossFromEmbeddings(embeddings: tf.Tensor2D[], batch: LossBatch): tf.Scalar {
    const labels = scalarLabels(batch, this.name);
    return tf.tidy(
      () =>
        tf.mean(
          tf.square(tf.sub(pairwiseCosine(embeddings[0]!, embeddings[1]!), tf.tensor1d(labels))),
        ) as tf.Scalar,
    );
  }
}

/** sentence-transformers' TripletLoss: mean of relu(d(a, p) − d(a, n) + margin). */
export class TripletLoss extends EmbeddingLoss {
  readonly name = 'TripletLoss';
  readonly columns = {
    minInputs: 3,
    maxInputs: 3,
    label: 'none' as const,
    description: '(anchor, positive, negative)',
  };
  readonly distance: DistanceMetric;
  readonly margin: number;

  /** Defaults: euclidean distance, margin 5. */
  constructor(options: { distance?: DistanceMetric; margin?: number } = {}) {
    super();
    this.distance = options.distance ?? 'euclidean';
    this.margin = options.margin ?? 5;
  }

  lossFromEmbeddings(embeddings: tf.Tensor2D[]): tf.Scalar {
    const [a, p, n] = embeddings as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    return tf.tidy(
      () =>
        tf.mean(
          tf.relu(
            tf.add(
              tf.sub(pairwiseDistance(this.distance, a, p), pairwiseDistance(this.distance, a, n)),
              this.margin,
            ),
          ),
        ) as tf.Scalar,
    );
  }
}

/**
 * sentence-transformers' ContrastiveLoss (Hadsell et al.): `0.5 · (y · d² + (1 − y) · relu(margin − d)²)`,
 * mean over the batch (sum when `sizeAverage` is false). Defaults: cosine distance `1 − cos`, margin 0.5.
 */
export class ContrastiveLoss extends EmbeddingLoss {
  readonly name = 'ContrastiveLoss';
  readonly columns = {
    minInputs: 2,
    maxInputs: 2,
    label: 'float' as const,
    description: '(sentence1, sentence2) with a 1 (similar) / 0 (dissimilar) label',
  };
  readonly distance: DistanceMetric;
  readonly margin: number;
  readonly sizeAverage: boolean;

  constructor(options: { distance?: DistanceMetric; margin?: number; sizeAverage?: boolean } = {}) {
    super();
    this.distance = options.distance ?? 'cosine';
    this.margin = options.margin ?? 0.5;
    this.sizeAverage = options.sizeAverage ?? true;
  }

  lossFromEmbeddings(embeddings: tf.Tensor2D[], batch: LossBatch): tf.Scalar {
    const labels = scalarLabels(batch, this.name);
    return tf.tidy(() => {
      const d = pairwiseDistance(this.distance, embeddings[0]!, embeddings[1]!);
      const y = tf.tensor1d(labels);
      const pos = tf.mul(y, tf.square(d));
      const neg = tf.mul(tf.sub(1, y), tf.square(tf.relu(tf.sub(this.margin, d))));
      const losses = tf.mul(0.5, tf.add(pos, neg));
      return (this.sizeAverage ? tf.mean(losses) : tf.sum(losses)) as tf.Scalar;
    });
  }
}

/**
 * sentence-transformers' OnlineContrastiveLoss: only hard pairs count. Hard positives are positive pairs
 * farther apart than the closest negative pair (than the positives' mean when there is at most one negative);
 * hard negatives are negative pairs closer than the farthest positive pair (than the negatives' mean when there
 * is at most one positive). Loss = Σ d² over hard positives + Σ relu(margin − d)² over hard negatives.
 */
export class OnlineContrastiveLoss extends EmbeddingLoss {
  readonly name = 'OnlineContrastiveLoss';
  readonly columns = {
    minInputs: 2,
    maxInputs: 2,
    label: 'class' as const,
    description: '(sentence1, sentence2) with a 1 (similar) / 0 (dissimilar) label',
  };
  readonly distance: DistanceMetric;
  readonly margin: number;

  constructor(options: { distance?: DistanceMetric; margin?: number } = {}) {
    super();
    this.distance = options.distance ?? 'cosine';
    this.margin = options.margin ?? 0.5;
  }

  lossFromEmbeddings(embeddings: tf.Tensor2D[], batch: LossBatch): tf.Scalar {
    const labels = scalarLabels(batch, this.name);
    labels.forEach((l, i) => {
      if (l !== 0 && l !== 1) throw new Error(`${this.name}: label of row ${i} must be 0 or 1, got ${l}`);
    });
    return tf.tidy(() => {
      const d = pairwiseDistance(this.distance, embeddings[0]!, embeddings[1]!);
      // The selection is data-dependent and carries no gradient (as in PyTorch's boolean indexing).
      const values = Array.from(d.dataSync());
      const poss = values.filter((_, i) => labels[i] === 1);
      const negs = values.filter((_, i) => labels[i] === 0);
      const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : Number.NaN);
      const negThreshold = poss.length > 1 ? Math.max(...poss) : mean(negs);
      const posThreshold = negs.length > 1 ? Math.min(...negs) : mean(poss);
      const hardPos = values.map((v, i) => (labels[i] === 1 && v > posThreshold ? 1 : 0));
      const hardNeg = values.map((v, i) => (labels[i] === 0 && v < negThreshold ? 1 : 0));
      const positiveLoss = tf.sum(tf.mul(tf.tensor1d(hardPos), tf.square(d)));
      const negativeLoss = tf.sum(tf.mul(tf.tensor1d(hardNeg), tf.square(tf.relu(tf.sub(this.margin, d)))));
      return tf.add(positiveLoss, negativeLoss) as tf.Scalar;
    });
  }
}

const DISTANCES: readonly DistanceMetric[] = ['euclidean', 'cosine', 'manhattan'];

/** Registry entry: `cosine` / CosineSimilarityLoss. */
export const cosineSimilarityDefinition = defineLoss({
  name: 'cosine',
  className: 'CosineSimilarityLoss',
  description: 'MSE between cos(u, v) and a score in [0, 1] (sentence1, sentence2, score)',
  options: {},
  create: () => new CosineSimilarityLoss(),
});

/** Registry entry: `triplet` / TripletLoss. */
export const tripletDefinition = defineLoss({
  name: 'triplet',
  className: 'TripletLoss',
  description: 'max(d(a, p) − d(a, n) + margin, 0) on (anchor, positive, negative)',
  options: { distance: lossOption.choice('euclidean', DISTANCES), margin: lossOption.number(5, nonNegative) },
  create: (o) => new TripletLoss(o),
});

/** Registry entry: `contrastive` / ContrastiveLoss. */
export const contrastiveDefinition = defineLoss({
  name: 'contrastive',
  className: 'ContrastiveLoss',
  description:
    'pulls pairs labelled 1 together, pushes 0-pairs beyond a margin (sentence1, sentence2, label)',
  options: {
    distance: lossOption.choice('cosine', DISTANCES),
    margin: lossOption.number(0.5, nonNegative),
    sizeAverage: lossOption.boolean(true),
  },
  create: (o) => new ContrastiveLoss(o),
});

/** Registry entry: `online-contrastive` / OnlineContrastiveLoss. */
export const onlineContrastiveDefinition = defineLoss({
  name: 'online-contrastive',
  className: 'OnlineContrastiveLoss',
  description:
    "ContrastiveLoss on the batch's hard positives and negatives only (sentence1, sentence2, label)",
  options: { distance: lossOption.choice('cosine', DISTANCES), margin: lossOption.number(0.5, nonNegative) },
  create: (o) => new OnlineContrastiveLoss(o),
});
