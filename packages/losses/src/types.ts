import type { LabelKind } from '@contrastive/core';
import type { NamedVariable, tf } from '@contrastive/tensor-gpu';

/** Options of one `embedTensor` call: dropout on/off, its seed and rate, a prompt. */
export interface EmbedCallOptions {
  training?: boolean;
  seed?: number;
  prompt?: string;
  dropoutRate?: number;
}

/** What a loss needs from a model. @contrastive/bert's SentenceEncoder fits it. */
export interface EmbeddingModel {
  /** Sentence embeddings [N, dim] of one batch; synchronous so it runs inside the trainer's gradient tape. */
  embedTensor(texts: string[], options?: EmbedCallOptions): tf.Tensor2D;
  namedVariables(): NamedVariable[];
}

/**
 * What a cross-encoder loss needs from a model: logits of sentence pairs. @contrastive/bert's CrossEncoder fits
 * it (and `EmbeddingModel` too, with an `embedTensor` that refuses: a cross-encoder embeds no single text).
 */
export interface PairScoringModel {
  /** Logits `[N, numLabels]` of one batch of pairs; synchronous so it runs inside the trainer's gradient tape. */
  scoreTensor(pairs: Array<[string, string]>, options?: EmbedCallOptions): tf.Tensor2D;
  readonly numLabels: number;
  namedVariables(): NamedVariable[];
}

/** Whether a model scores pairs (a cross-encoder). */
export function isPairScoringModel(model: unknown): model is PairScoringModel {
  const m = model as Partial<PairScoringModel> | null;
  return !!m && typeof m.scoreTensor === 'function' && typeof m.numLabels === 'number';
}

/**
 * One training step of a model whose forward and backward passes run outside tfjs's gradient tape (e.g.
 * @contrastive/bert's onnxruntime engine): embeddings first, parameter gradients later from the gradients of
 * those embeddings. The loss itself still runs on tfjs (`computeLossAndGradientsExternal`).
 */
export interface ExternalTrainingStep {
  /** Embedding width. */
  readonly dimension: number;
  /** The forward pass of one `embedTensor` call; keeps what its backward pass needs. Caller owns the tensor. */
  embed(texts: string[], options: EmbedCallOptions): Promise<tf.Tensor2D>;
  /** The forward pass of one `scoreTensor` call (cross-encoders): logits `[N, numLabels]`. Caller owns the tensor. */
  score?(pairs: Array<[string, string]>, options: EmbedCallOptions): Promise<tf.Tensor2D>;
  /**
   * Adds the parameter gradients of call `index` (0-based, in the order of `embed` and `score` calls together)
   * given its output's gradient.
   */
  backward(index: number, dEmbeddings: tf.Tensor2D): Promise<void>;
  /**
   * Optional: the forward passes of several `embed` calls at once, results in call order. An engine may run
   * them as one pass (one weight-gradient output for all); each result is what `embed` gives for its call.
   * A step that has it also has `backwardAll`, which then replaces `backward` for these calls.
   */
  embedAll?(calls: Array<{ texts: string[]; options: EmbedCallOptions }>): Promise<tf.Tensor2D[]>;
  /** The backward passes of every `embedAll` call at once (null: the loss did not depend on that call). */
  backwardAll?(dEmbeddings: Array<tf.Tensor2D | null>): Promise<void>;
  /**
   * Optional: a whole step of a loss given as `FusedLossForm` over these embed calls, inside the engine (no
   * embeddings come back); adds the gradients as `backward` does and returns the loss, or undefined when this
   * step cannot run that form (the model's head, the kind): the caller then takes the general path.
   */
  trainFused?(
    form: FusedLossForm,
    calls: Array<{ texts: string[]; options: EmbedCallOptions }>,
  ): Promise<number | undefined>;
  /** The summed parameter gradients by the model's names; the caller owns them. */
  gradients(): Map<string, tf.Tensor>;
  /** Frees what the step holds (also after a failure). */
  dispose(): void;
}

export interface LossBatch {
  /** Text columns, in data set order (sentence-transformers matches inputs by position, labels by name). */
  columnNames: string[];
  columns: Record<string, string[]>;
  /** The `label`/`score` column when present: one number per row, or a list per row (DistillKL teacher scores). */
  labels?: number[] | number[][];
  size: number;
}

export interface LossContext {
  training: boolean;
  /**
   * Prompts by text column (batch.columnNames order) that the model adds itself, leaving their tokens out of
   * the pooling when its Pooling has include_prompt false (sentence-transformers' prompt_length). Absent: the
   * texts already carry their prompts.
   */
  prompts?: Array<string | undefined>;
  /** Base seed for dropout in this step: every embedding call of the step derives its own seed from it. */
  seed?: number;
  dropoutRate?: number;
}

/** What a label column holds (`@contrastive/core`'s labelKind decides). */
export type { LabelKind };

export interface ColumnRequirement {
  /** Text columns. */
  minInputs: number;
  maxInputs?: number;
  /** What the label column must hold. `float` also accepts integers (class ids are numbers). */
  label: 'none' | LabelKind;
  /** For `label: 'list'`: a plain number per row is read as a list of one (MarginMSELoss with one negative). */
  acceptsScalarLabel?: boolean;
  /** e.g. "(anchor, positive[, negative...])", for error messages. */
  description: string;
}

/** Gradients by parameter name (the model's names, then loss-owned names). */
export interface LossGradients {
  loss: number;
  grads: Map<string, tf.Tensor>;
}

/** Training settings the reference uses with a loss, which a caller applies where the user set none (the CLI). */
export interface LossTrainingDefaults {
  /** Peak learning rate (TSDAE: 3e-5). */
  learningRate?: number;
  /** Pooling for a model that has no pooling of its own yet (a plain BERT folder; TSDAE: `cls`). */
  pooling?: string;
}

export interface Loss {
  readonly name: string;
  readonly columns: ColumnRequirement;
  /** What the reference trains this loss with (e.g. TSDAE's learning rate); absent: the trainer's defaults. */
  readonly trainingDefaults?: LossTrainingDefaults;
  /**
   * Called once by the trainer before `namedVariables()`, so a loss can size itself from the model
   * (SoftmaxLoss's classifier input, MatryoshkaLoss's default dimensions).
   */
  prepare?(model: EmbeddingModel): void;
  /** Parameters the loss owns (SoftmaxLoss's classifier): optimized and checkpointed with the model, not saved in the encoder. */
  namedVariables?(): NamedVariable[];
  /** The scalar loss, computed under the trainer's gradient tape. */
  forward?(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): tf.Scalar;
  /**
   * For losses that run forward/backward themselves (GradCache): loss value and gradients directly. They must
   * be `forward`'s gradients (this exists to bound tfjs's memory or skip work on its tape): a model that runs
   * outside tfjs (`ExternalTrainingStep`) is trained from `forward` instead.
   */
  computeGradients?(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): LossGradients;
  /**
   * Optional: the loss as a description an engine can run inside its own step (`ExternalTrainingStep.trainFused`),
   * when `forward` is exactly that loss over its embed calls; undefined for options the description lacks.
   */
  fusedForm?(batch: LossBatch): FusedLossForm | undefined;
}

/**
 * A loss an engine may compute itself: `mnrl` is MultipleNegativesRankingLoss with cosine similarity times
 * `scale`, the first embed call's rows the anchors and every later call's rows the candidates (in call order).
 */
export interface FusedLossForm {
  kind: 'mnrl';
  scale: number;
}

/** The options object a registered loss factory receives: numbers and booleans may arrive as strings (CLI). */
export type LossOptions = Record<string, unknown>;
export type LossFactory = (options: LossOptions) => Loss;
