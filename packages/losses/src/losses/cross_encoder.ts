import { mulberry32 } from '@contrastive/core';
import { tf } from '@contrastive/tensor-gpu';
import { columnTexts, embedCallOptions, scalarLabels } from '../internal/embed.js';
import { crossEntropy } from '../internal/ops.js';
import { defineLoss, lossOption } from '../loss_definition.js';
import { nonNegative, positive } from '../options.js';
import {
  type EmbeddingModel,
  type Loss,
  type LossBatch,
  type LossContext,
  type PairScoringModel,
  isPairScoringModel,
} from '../types.js';

/** An activation on the logits before the loss (sentence-transformers' `activation_fn`, identity by default). */
export type LogitActivation = 'identity' | 'sigmoid' | 'tanh';

export function activate(a: LogitActivation, x: tf.Tensor2D): tf.Tensor2D {
  if (a === 'sigmoid') return tf.sigmoid(x);
  if (a === 'tanh') return tf.tanh(x);
  return x;
}

/**
 * The base of sentence-transformers' cross-encoder losses: the model scores `(sentence1, sentence2)` pairs
 * (`PairScoringModel.scoreTensor`, one call per batch), the loss compares the logits with the labels.
 */
export abstract class CrossEncoderLoss implements Loss {
  abstract readonly name: string;
  abstract readonly columns: Loss['columns'];

  /** Checks before the first step that the model is a cross-encoder. */
  prepare(model: EmbeddingModel): void {
    this.scorer(model);
  }

  protected scorer(model: EmbeddingModel): PairScoringModel {
    if (!isPairScoringModel(model))
      throw new Error(
        `${this.name} is a cross-encoder loss: the model must score sentence pairs (a CrossEncoder), this one only embeds texts`,
      );
    return model;
  }

  /** Logits `[N, numLabels]` of the batch's (first column, second column) pairs. */
  protected logits(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): tf.Tensor2D {
    const [a, b] = columnTexts(batch, this.name) as [string[], string[]];
    const pairs = a.map((t, i) => [t, b[i]!] as [string, string]);
    const { prompt: _none, ...options } = embedCallOptions(ctx, 0);
    return this.scorer(model).scoreTensor(pairs, options);
  }

  abstract forward(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): tf.Scalar;
}

/** One logit per pair (`num_labels` 1), or a clear error. */
export function singleLogit(logits: tf.Tensor2D, lossName: string): tf.Tensor1D {
  if (logits.shape[1] !== 1)
    throw new Error(`${lossName} needs a cross-encoder with one label, this one has ${logits.shape[1]}`);
  return tf.reshape(logits, [-1]) as tf.Tensor1D;
}

/**
 * sentence-transformers' cross-encoder `BinaryCrossEntropyLoss`: `BCEWithLogitsLoss(pos_weight)` of the single
 * logit (after `activation`, identity by default) against labels in [0, 1]:
 * mean(posWeight·y·softplus(−x) + (1−y)·softplus(x)).
 */
export class BinaryCrossEntropyLoss extends CrossEncoderLoss {
  readonly name = 'BinaryCrossEntropyLoss';
  readonly columns = {
    minInputs: 2,
    maxInputs: 2,
    label: 'float' as const,
    description: '(sentence1, sentence2) with a label in [0, 1]',
  };
  readonly posWeight: number | undefined;
  readonly activation: LogitActivation;

  constructor(options: { posWeight?: number; activation?: LogitActivation } = {}) {
    super();
    if (options.posWeight !== undefined && !(options.posWeight > 0))
      throw new Error(`${this.name}: posWeight must be positive, got ${options.posWeight}`);
    this.posWeight = options.posWeight;
    this.activation = options.activation ?? 'identity';
  }

  forward(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): tf.Scalar {
    const labels = scalarLabels(batch, this.name);
    labels.forEach((l, i) => {
      if (l < 0 || l > 1) throw new Error(`${this.name}: label of row ${i} is ${l}, not in [0, 1]`);
    });
    return tf.tidy(() => {
      const x = singleLogit(activate(this.activation, this.logits(model, batch, ctx)), this.name);
      const y = tf.tensor1d(labels);
      const pos = tf.mul(tf.mul(y, tf.softplus(tf.neg(x))), this.posWeight ?? 1);
      const neg = tf.mul(tf.sub(1, y), tf.softplus(x));
      return tf.mean(tf.add(pos, neg)) as tf.Scalar;
    });
  }
}

/** sentence-transformers' cross-encoder `CrossEntropyLoss`: softmax cross entropy of the logits against class ids. */
export class CrossEntropyLoss extends CrossEncoderLoss {
  readonly name = 'CrossEntropyLoss';
  readonly columns = {
    minInputs: 2,
    maxInputs: 2,
    label: 'class' as const,
    description: '(sentence1, sentence2) with a class id',
  };
  readonly activation: LogitActivation;

  constructor(options: { activation?: LogitActivation } = {}) {
    super();
    this.activation = options.activation ?? 'identity';
  }

  forward(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): tf.Scalar {
    const labels = scalarLabels(batch, this.name);
    const n = this.scorer(model).numLabels;
    if (n < 2)
      throw new Error(`${this.name} needs a cross-encoder with at least 2 labels, this one has ${n}`);
    labels.forEach((l, i) => {
      if (!Number.isInteger(l) || l < 0 || l >= n)
        throw new Error(`${this.name}: label of row ${i} is ${l}, not a class id in 0..${n - 1}`);
    });
    return tf.tidy(() => crossEntropy(activate(this.activation, this.logits(model, batch, ctx)), labels));
  }
}

/** sentence-transformers' cross-encoder `MSELoss`: mean squared error of the single logit against a soft score. */
export class CrossEncoderMSELoss extends CrossEncoderLoss {
  readonly name = 'MSELoss';
  readonly columns = {
    minInputs: 2,
    maxInputs: 2,
    label: 'float' as const,
    description: '(sentence1, sentence2) with a score',
  };
  readonly activation: LogitActivation;

  constructor(options: { activation?: LogitActivation } = {}) {
    super();
    this.activation = options.activation ?? 'identity';
  }

  forward(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): tf.Scalar {
    const labels = scalarLabels(batch, this.name);
    return tf.tidy(() => {
      const x = singleLogit(activate(this.activation, this.logits(model, batch, ctx)), this.name);
      return tf.mean(tf.square(tf.sub(x, tf.tensor1d(labels)))) as tf.Scalar;
    });
  }
}

/**
 * sentence-transformers' cross-encoder `MultipleNegativesRankingLoss` (rerankers): for each `(query, positive[,
 * negative…])` row, the positive is scored against the row's negatives and `numNegatives` positives of other
 * rows (drawn with the step's seed, so a replay draws the same), `scale · activation(logit)` goes through a
 * softmax cross entropy with the positive as target. One `scoreTensor` call per batch.
 */
export class CrossEncoderMultipleNegativesRankingLoss extends CrossEncoderLoss {
  readonly name = 'CrossEncoderMultipleNegativesRankingLoss';
  readonly columns = {
    minInputs: 2,
    label: 'none' as const,
    description: '(query, positive[, negative...])',
  };
  readonly numNegatives: number;
  readonly scale: number;
  readonly activation: LogitActivation;

  /** Defaults as sentence-transformers: 4 in-batch negatives, scale 10, sigmoid. */
  constructor(options: { numNegatives?: number; scale?: number; activation?: LogitActivation } = {}) {
    super();
    this.numNegatives = options.numNegatives ?? 4;
    this.scale = options.scale ?? 10;
    this.activation = options.activation ?? 'sigmoid';
    if (!Number.isInteger(this.numNegatives) || this.numNegatives < 0)
      throw new Error(`${this.name}: numNegatives must be a non-negative integer`);
  }

  forward(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): tf.Scalar {
    const cols = columnTexts(batch, this.name);
    const [queries, positives] = cols as [string[], string[]];
    const negatives = cols.slice(2);
    const n = batch.size;
    const rand = mulberry32(ctx.seed ?? 0);
    const k = Math.min(this.numNegatives, n - 1);
    // Candidates per row: positive, the row's hard negatives, then k other rows' positives.
    const pairs: Array<[string, string]> = [];
    for (let i = 0; i < n; i++) {
      pairs.push([queries[i]!, positives[i]!]);
      for (const col of negatives) pairs.push([queries[i]!, col[i]!]);
      const others = Array.from({ length: n }, (_, j) => j).filter((j) => j !== i);
      for (let s = 0; s < k; s++) {
        const pick = s + Math.floor(rand() * (others.length - s));
        [others[s], others[pick]] = [others[pick]!, others[s]!];
        pairs.push([queries[i]!, positives[others[s]!]!]);
      }
    }
    const width = 1 + negatives.length + k;
    const { prompt: _none, ...options } = embedCallOptions(ctx, 0);
    return tf.tidy(() => {
      const logits = this.scorer(model).scoreTensor(pairs, options);
      const x = singleLogit(activate(this.activation, logits), this.name);
      const scores = tf.reshape(tf.mul(x, this.scale), [n, width]) as tf.Tensor2D;
      return crossEntropy(scores, new Array(n).fill(0));
    });
  }
}

export const LOGIT_ACTIVATIONS = ['identity', 'sigmoid', 'tanh'] as const;

/** Registry entry: `bce` / BinaryCrossEntropyLoss (cross-encoder). */
export const bceDefinition = defineLoss({
  name: 'bce',
  className: 'BinaryCrossEntropyLoss',
  description:
    'cross-encoder: binary cross-entropy of one logit against a 0/1 label (sentence1, sentence2, label)',
  options: {
    posWeight: lossOption.optionalNumber(positive),
    activation: lossOption.choice<LogitActivation>('identity', LOGIT_ACTIVATIONS),
  },
  create: (o) => new BinaryCrossEntropyLoss(o),
});

/** Registry entry: `ce` / CrossEntropyLoss (cross-encoder). */
export const ceDefinition = defineLoss({
  name: 'ce',
  className: 'CrossEntropyLoss',
  description:
    'cross-encoder: cross-entropy over num_labels logits against a class label (sentence1, sentence2, label)',
  options: { activation: lossOption.choice<LogitActivation>('identity', LOGIT_ACTIVATIONS) },
  create: (o) => new CrossEntropyLoss(o),
});

/** Registry entry: `mse` / MSELoss (cross-encoder). */
export const crossEncoderMseDefinition = defineLoss({
  name: 'mse',
  className: 'MSELoss',
  description:
    'cross-encoder: mean squared error of the logit against a soft score (sentence1, sentence2, score)',
  options: { activation: lossOption.choice<LogitActivation>('identity', LOGIT_ACTIVATIONS) },
  create: (o) => new CrossEncoderMSELoss(o),
});

/** Registry entry: `ce-mnrl` / CrossEncoderMultipleNegativesRankingLoss (reranker). */
export const ceMnrlDefinition = defineLoss({
  name: 'ce-mnrl',
  className: 'CrossEncoderMultipleNegativesRankingLoss',
  description:
    'cross-encoder reranker: the positive against in-batch and given negatives (anchor, positive[, negative…])',
  options: {
    numNegatives: lossOption.number(4, nonNegative),
    scale: lossOption.number(10, positive),
    activation: lossOption.choice<LogitActivation>('sigmoid', LOGIT_ACTIVATIONS),
  },
  create: (o) => new CrossEncoderMultipleNegativesRankingLoss(o),
});
