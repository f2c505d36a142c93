import { mulberry32 } from '@contrastive/core';
import { type NamedVariable, tf } from '@contrastive/tensor-gpu';
import { EmbeddingLoss } from '../embedding_loss.js';
import { scalarLabels } from '../internal/embed.js';
import { crossEntropy } from '../internal/ops.js';
import { defineLoss, lossOption } from '../loss_definition.js';
import { positiveInteger } from '../options.js';
import type { EmbeddingModel, LossBatch } from '../types.js';

export interface SoftmaxLossOptions {
  numLabels: number;
  /** Sentence embedding size; when absent it is read from the model in `prepare` (or at the first batch). */
  embeddingDimension?: number;
  /** Include u and v. Default true. */
  concatenationSentRep?: boolean;
  /** Include |u − v|. Default true. */
  concatenationSentDifference?: boolean;
  /** Include u ⊙ v. Default false. */
  concatenationSentMultiplication?: boolean;
  /** Seed of the classifier's initialization. Default 42. */
  seed?: number;
}

/** The embedding size of a model: its `dimension` property when it has one, else one probe embedding. */
export function modelDimension(model: EmbeddingModel): number {
  const d = (model as { dimension?: unknown }).dimension;
  if (typeof d === 'number' && Number.isInteger(d) && d > 0) return d;
  const probe = tf.tidy(() => model.embedTensor(['dimension probe']));
  const dim = probe.shape[1];
  probe.dispose();
  return dim;
}

/**
 * sentence-transformers' SoftmaxLoss (SBERT's NLI objective): a linear classifier over
 * `[u, v, |u − v|, u ⊙ v]` (parts as configured) trained with cross entropy on class labels. The classifier is
 * the loss's own parameters, `classifier.weight` `[numLabels, in]` (PyTorch layout) and `classifier.bias`,
 * initialized like torch.nn.Linear (uniform ±1/√in) from a seed.
 */
export class SoftmaxLoss extends EmbeddingLoss {
  readonly name = 'SoftmaxLoss';
  readonly columns = {
    minInputs: 2,
    maxInputs: 2,
    label: 'class' as const,
    description: '(sentence1, sentence2) with an integer class label',
  };
  readonly numLabels: number;
  readonly concatenationSentRep: boolean;
  readonly concatenationSentDifference: boolean;
  readonly concatenationSentMultiplication: boolean;
  private readonly seed: number;
  private weight: tf.Variable | undefined;
  private bias: tf.Variable | undefined;
  private dimension: number | undefined;

  constructor(options: SoftmaxLossOptions) {
    super();
    if (!Number.isInteger(options.numLabels) || options.numLabels < 2) {
      throw new Error(`SoftmaxLoss: numLabels must be an integer ≥ 2, got ${options.numLabels}`);
    }
    this.numLabels = options.numLabels;
    this.concatenationSentRep = options.concatenationSentRep ?? true;
    this.concatenationSentDifference = options.concatenationSentDifference ?? true;
    this.concatenationSentMultiplication = options.concatenationSentMultiplication ?? false;
    if (
      !this.concatenationSentRep &&
      !this.concatenationSentDifference &&
      !this.concatenationSentMultiplication
    ) {
      throw new Error(
        'SoftmaxLoss: at least one of concatenationSentRep/Difference/Multiplication must be on',
      );
    }
    this.seed = options.seed ?? 42;
    if (options.embeddingDimension !== undefined) this.initialize(options.embeddingDimension);
  }

  /** Number of embedding-sized vectors concatenated: 2·rep + difference + multiplication. */
  get vectorsConcatenated(): number {
    return (
      (this.concatenationSentRep ? 2 : 0) +
      (this.concatenationSentDifference ? 1 : 0) +
      (this.concatenationSentMultiplication ? 1 : 0)
    );
  }

  /** Creates the classifier for embeddings of size `dimension` (no-op when it exists with that size). */
  initialize(dimension: number): void {
    if (this.dimension !== undefined) {
      if (dimension !== this.dimension)
        throw new Error(
          `SoftmaxLoss: classifier built for embedding dimension ${this.dimension}, got ${dimension}`,
        );
      return;
    }
    if (!Number.isInteger(dimension) || dimension < 1)
      throw new Error(`SoftmaxLoss: embedding dimension must be a positive integer, got ${dimension}`);
    const inFeatures = this.vectorsConcatenated * dimension;
    const rand = mulberry32(this.seed);
    const bound = 1 / Math.sqrt(inFeatures);
    const uniform = (n: number) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * bound);
    this.weight = tf.variable(
      tf.tensor2d(uniform(this.numLabels * inFeatures), [this.numLabels, inFeatures]),
      true,
    );
    this.bias = tf.variable(tf.tensor1d(uniform(this.numLabels)), true);
    this.dimension = dimension;
  }

  prepare(model: EmbeddingModel): void {
    if (this.dimension === undefined) this.initialize(modelDimension(model));
  }

  namedVariables(): NamedVariable[] {
    if (!this.weight || !this.bias) {
      throw new Error(
        'SoftmaxLoss: the classifier does not exist yet; pass embeddingDimension or call prepare(model) first',
      );
    }
    return [
      { name: 'classifier.weight', variable: this.weight },
      { name: 'classifier.bias', variable: this.bias },
    ];
  }

  /** The classifier's input features for embeddings u, v. */
  features(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const parts: tf.Tensor2D[] = [];
      if (this.concatenationSentRep) parts.push(u, v);
      if (this.concatenationSentDifference) parts.push(tf.abs(tf.sub(u, v)) as tf.Tensor2D);
      if (this.concatenationSentMultiplication) parts.push(tf.mul(u, v) as tf.Tensor2D);
      return parts.length === 1 ? parts[0]! : (tf.concat(parts, 1) as tf.Tensor2D);
    });
  }

  /** Class logits `[N, numLabels]`. */
  logits(u: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor2D {
    this.initialize(u.shape[1]);
    const w = this.weight!;
    const b = this.bias!;
    // Explicit transpose: matMul's transpose flags take a slow path on wasm.
    return tf.tidy(() => tf.add(tf.matMul(this.features(u, v), tf.transpose(w)), b) as tf.Tensor2D);
  }

  lossFromEmbeddings(embeddings: tf.Tensor2D[], batch: LossBatch): tf.Scalar {
    const labels = scalarLabels(batch, this.name);
    labels.forEach((l, i) => {
      if (!Number.isInteger(l) || l < 0 || l >= this.numLabels) {
        throw new Error(
          `${this.name}: label of row ${i} must be a class id in 0..${this.numLabels - 1}, got ${l}`,
        );
      }
    });
    return tf.tidy(() => crossEntropy(this.logits(embeddings[0]!, embeddings[1]!), labels));
  }

  dispose(): void {
    this.weight?.dispose();
    this.bias?.dispose();
    this.weight = undefined;
    this.bias = undefined;
    this.dimension = undefined;
  }
}

/** Registry entry: `softmax` / SoftmaxLoss. */
export const softmaxDefinition = defineLoss({
  name: 'softmax',
  className: 'SoftmaxLoss',
  description: 'classifier on (u, v, |u−v|) of (sentence1, sentence2, class label), as SBERT on NLI',
  options: {
    numLabels: lossOption.requiredNumber('the number of classes', positiveInteger),
    embeddingDimension: lossOption.optionalNumber(positiveInteger, 'sentenceEmbeddingDimension'),
    concatenationSentRep: lossOption.boolean(true),
    concatenationSentDifference: lossOption.boolean(true),
    concatenationSentMultiplication: lossOption.boolean(false),
    seed: lossOption.number(42),
  },
  create: (o) => new SoftmaxLoss(o),
});
