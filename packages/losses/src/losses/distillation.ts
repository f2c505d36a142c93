import { type SimilarityFunction, pairwiseSimilarity } from '@contrastive/pooling';
import { tf } from '@contrastive/tensor-gpu';
import { EmbeddingLoss } from '../embedding_loss.js';
import { listLabels } from '../internal/embed.js';
import { defineLoss, lossOption } from '../loss_definition.js';
import { positive } from '../options.js';
import type { LossBatch } from '../types.js';

/** `[B, 1 + negatives]` student scores: sim(query, positive), then sim(query, negative_k). */
function studentScores(fn: SimilarityFunction, embeddings: tf.Tensor2D[]): tf.Tensor2D {
  return tf.tidy(() => {
    const [q, ...docs] = embeddings;
    return tf.stack(
      docs.map((d) => pairwiseSimilarity(fn, q!, d)),
      1,
    ) as tf.Tensor2D;
  });
}

/**
 * sentence-transformers' MarginMSELoss: MSE between the student's margins sim(q, p) − sim(q, n_k) and the
 * teacher's (the label: one number per row with one negative, else a list of one margin per negative).
 * Default similarity: dot product.
 */
export class MarginMSELoss extends EmbeddingLoss {
  readonly name = 'MarginMSELoss';
  readonly columns = {
    minInputs: 3,
    label: 'list' as const,
    acceptsScalarLabel: true,
    description: '(query, positive, negative[, negative...]) with the teacher margin(s) as label',
  };
  readonly similarity: SimilarityFunction;

  constructor(options: { similarity?: SimilarityFunction } = {}) {
    super();
    this.similarity = options.similarity ?? 'dot';
  }

  lossFromEmbeddings(embeddings: tf.Tensor2D[], batch: LossBatch): tf.Scalar {
    const negatives = embeddings.length - 2;
    const labels = listLabels(batch, this.name, negatives, 'one teacher margin per negative');
    return tf.tidy(() => {
      const scores = studentScores(this.similarity, embeddings);
      const pos = tf.slice(scores, [0, 0], [-1, 1]);
      const neg = tf.slice(scores, [0, 1], [-1, negatives]);
      const margins = tf.sub(pos, neg);
      return tf.mean(tf.square(tf.sub(margins, tf.tensor2d(labels)))) as tf.Scalar;
    });
  }
}

/**
 * sentence-transformers' DistillKLDivLoss: KL(teacher ‖ student) between softmax distributions over
 * [positive, negatives...] at `temperature`, batch-mean, scaled by temperature². Labels: the teacher's scores
 * per row, `[positive, negative_1, ...]`. Default similarity: dot product; temperature 1.
 */
export class DistillKLDivLoss extends EmbeddingLoss {
  readonly name = 'DistillKLDivLoss';
  readonly columns = {
    minInputs: 3,
    label: 'list' as const,
    description:
      '(query, positive, negative[, negative...]) with the teacher scores [positive, negatives...] as label',
  };
  readonly similarity: SimilarityFunction;
  readonly temperature: number;

  constructor(options: { similarity?: SimilarityFunction; temperature?: number } = {}) {
    super();
    this.similarity = options.similarity ?? 'dot';
    this.temperature = options.temperature ?? 1;
    if (!(this.temperature > 0))
      throw new Error(`${this.name}: temperature must be positive, got ${this.temperature}`);
  }

  lossFromEmbeddings(embeddings: tf.Tensor2D[], batch: LossBatch): tf.Scalar {
    const width = embeddings.length - 1;
    const labels = listLabels(batch, this.name, width, 'teacher scores for the positive then each negative');
    const t = this.temperature;
    return tf.tidy(() => {
      const student = tf.logSoftmax(tf.div(studentScores(this.similarity, embeddings), t));
      const teacher = tf.logSoftmax(tf.div(tf.tensor2d(labels), t));
      const kl = tf.sum(tf.mul(tf.exp(teacher), tf.sub(teacher, student)));
      return tf.mul(tf.div(kl, batch.size), t * t) as tf.Scalar;
    });
  }
}

/**
 * sentence-transformers' (bi-encoder) MSELoss, for model distillation and multilingual knowledge distillation: the
 * student's embedding of each text column against the teacher's embedding in the label (e.g. English and its
 * translation both pulled to the teacher's English embedding), mean squared error over every value. Named
 * EmbeddingMSELoss here because `MSELoss` is the cross-encoder loss of the registry.
 */
export class EmbeddingMSELoss extends EmbeddingLoss {
  readonly name = 'EmbeddingMSELoss';
  readonly columns = {
    minInputs: 1,
    label: 'list' as const,
    description: "(text[, text...]) with the teacher's embedding as label",
  };

  lossFromEmbeddings(embeddings: tf.Tensor2D[], batch: LossBatch): tf.Scalar {
    const d = embeddings[0]!.shape[1];
    const labels = listLabels(batch, this.name, d, "the teacher's embedding, as wide as the student's");
    return tf.tidy(() => {
      const teacher = tf.tensor2d(labels);
      const errors = embeddings.map((e) => tf.mean(tf.square(tf.sub(e, teacher))));
      return tf.div(tf.addN(errors), embeddings.length) as tf.Scalar;
    });
  }
}

/** Registry entry: `embedding-mse` / EmbeddingMSELoss (sentence-transformers' bi-encoder MSELoss). */
export const embeddingMseDefinition = defineLoss({
  name: 'embedding-mse',
  className: 'EmbeddingMSELoss',
  description:
    "MSE between the student's embeddings of the text columns and the teacher's embedding in the label (distillation)",
  options: {},
  create: () => new EmbeddingMSELoss(),
});

/** Registry entry: `margin-mse` / MarginMSELoss. */
export const marginMseDefinition = defineLoss({
  name: 'margin-mse',
  className: 'MarginMSELoss',
  description:
    "MSE between the student's and a teacher's margins sim(q, p) − sim(q, n) (query, positive, negative..., label)",
  options: { similarity: lossOption.similarity('dot') },
  create: (o) => new MarginMSELoss(o),
});

/** Registry entry: `distill-kl` / DistillKLDivLoss. */
export const distillKlDefinition = defineLoss({
  name: 'distill-kl',
  className: 'DistillKLDivLoss',
  description:
    "KL divergence to a teacher's score distribution over the candidates (query, positive, negative..., labels)",
  options: { similarity: lossOption.similarity('dot'), temperature: lossOption.number(1, positive) },
  create: (o) => new DistillKLDivLoss(o),
});
