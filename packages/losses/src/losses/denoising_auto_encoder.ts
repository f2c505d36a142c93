import { deleteWords } from '@contrastive/core';
import { mixSeed, mulberry32 } from '@contrastive/core';
import { type NamedVariable, tf } from '@contrastive/tensor-gpu';
import { columnTexts, embedCallOptions } from '../internal/embed.js';
import { deriveSeed } from '../internal/rng.js';
import { defineLoss, lossOption } from '../loss_definition.js';
import type { EmbedCallOptions, EmbeddingModel, Loss, LossBatch, LossContext } from '../types.js';

/**
 * A decoder that reconstructs texts from their sentence embeddings (TSDAE). @contrastive/bert's
 * `BertLMHeadModel` fits it.
 */
export interface SentenceDecoder {
  /**
   * Mean token cross entropy of reconstructing `texts` from `embeddings` `[N, dim]` (teacher forcing), under the
   * caller's gradient tape.
   */
  reconstructionLoss(embeddings: tf.Tensor2D, texts: string[], options: EmbedCallOptions): tf.Scalar;
  /** The decoder's own parameters: tied weights are the encoder's and are not listed here. */
  ownVariables(): NamedVariable[];
  dispose?(): void;
}

/** A model that can build TSDAE's decoder over itself. @contrastive/bert's SentenceEncoder fits it. */
export interface DecoderFactory {
  createDecoder(options: { tieEncoderDecoder: boolean; seed: number }): SentenceDecoder;
}

function isDecoderFactory(model: unknown): model is DecoderFactory {
  return typeof (model as Partial<DecoderFactory> | null)?.createDecoder === 'function';
}

export interface DenoisingAutoEncoderLossOptions {
  /** Share the encoder's weights with the decoder (sentence-transformers' `tie_encoder_decoder`). Default true. */
  tieEncoderDecoder?: boolean;
  /** Deletion noise: the probability that each word of the input is deleted. Default 0.6. */
  deletionRatio?: number;
  /** A decoder of your own (sentence-transformers' `decoder_name_or_path`); default: the model's `createDecoder`. */
  decoder?: SentenceDecoder;
  /** Seed of the decoder's new weights. Default 42. */
  seed?: number;
}

/** Salts separating the noise draw and the decoder's dropout from the encoder call's seed. */
const NOISE_SALT = 0x75da3e;
const DECODER_CALL = 1;

/**
 * sentence-transformers' DenoisingAutoEncoderLoss (TSDAE, Wang et al. 2021) on a single column of plain
 * sentences. The loss does what DenoisingAutoEncoderDataset does in the reference: each sentence is noised
 * by word deletion (ratio 0.6, @contrastive/core's `deleteWords`), seeded by the step's seed (so a resumed
 * run draws the same noise); the encoder embeds the noised sentence; a BERT decoder with cross-attention to that
 * one sentence vector reconstructs the original tokens (cross entropy over the vocabulary, teacher forcing,
 * causal self-attention, padding ignored).
 *
 * The decoder comes from the model (`createDecoder`, on `prepare`): tied to the encoder by default, so only
 * its cross-attention and LM head are the loss's own parameters (optimized and checkpointed with the model,
 * never saved in it); the tied weights are the model's and get the gradients of both uses. The decoder runs on
 * tfjs; with the onnxruntime training engine the encoder's passes run natively and the gradient with respect
 * to the sentence embedding flows back through the `ExternalTrainingStep` like any loss's.
 */
export class DenoisingAutoEncoderLoss implements Loss {
  readonly name = 'DenoisingAutoEncoderLoss';
  readonly columns = {
    minInputs: 1,
    maxInputs: 1,
    label: 'none' as const,
    description: '(text): plain sentences, noised by the loss',
  };
  /** The reference trains TSDAE at 3e-5 (its example); the CLI uses it when no learning rate is given. */
  readonly trainingDefaults = { learningRate: 3e-5, pooling: 'cls' as const };
  readonly tieEncoderDecoder: boolean;
  readonly deletionRatio: number;
  private readonly seed: number;
  private decoderInstance: SentenceDecoder | undefined;
  private readonly ownsDecoder: boolean;

  constructor(options: DenoisingAutoEncoderLossOptions = {}) {
    this.tieEncoderDecoder = options.tieEncoderDecoder ?? true;
    this.deletionRatio = options.deletionRatio ?? 0.6;
    if (!(this.deletionRatio >= 0 && this.deletionRatio <= 1))
      throw new Error(`${this.name}: deletionRatio must be in [0, 1], got ${this.deletionRatio}`);
    this.seed = options.seed ?? 42;
    this.decoderInstance = options.decoder;
    this.ownsDecoder = options.decoder === undefined;
  }

  /** Builds the decoder over `model` (once). */
  prepare(model: EmbeddingModel): void {
    if (this.decoderInstance) return;
    if (!isDecoderFactory(model))
      throw new Error(
        `${this.name}: the model cannot build a decoder (no createDecoder()); pass options.decoder, or train a @contrastive/bert SentenceEncoder`,
      );
    this.decoderInstance = model.createDecoder({
      tieEncoderDecoder: this.tieEncoderDecoder,
      seed: this.seed,
    });
  }

  get decoder(): SentenceDecoder {
    if (!this.decoderInstance)
      throw new Error(`${this.name}: no decoder yet; call prepare(model) first (the trainer does)`);
    return this.decoderInstance;
  }

  namedVariables(): NamedVariable[] {
    return this.decoder.ownVariables();
  }

  /** The noised inputs of a batch: deterministic in (seed, row), so both passes of an external step agree. */
  noise(texts: string[], seed: number | undefined): string[] {
    const base = seed ?? 0;
    return texts.map((t, i) => deleteWords(t, mulberry32(mixSeed(base, NOISE_SALT, i)), this.deletionRatio));
  }

  forward(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): tf.Scalar {
    const [texts] = columnTexts(batch, this.name) as [string[]];
    const decoder = this.decoder;
    const encodeOptions = embedCallOptions(ctx, 0);
    const decodeOptions: EmbedCallOptions = { training: ctx.training };
    if (ctx.seed !== undefined) decodeOptions.seed = deriveSeed(ctx.seed, DECODER_CALL);
    if (ctx.dropoutRate !== undefined) decodeOptions.dropoutRate = ctx.dropoutRate;
    const noised = this.noise(texts, ctx.seed);
    return tf.tidy(() => {
      const embeddings = model.embedTensor(noised, encodeOptions);
      // The targets carry the column's prompt too when the model adds it (the reference tokenizes both alike).
      const targets = encodeOptions.prompt ? texts.map((t) => encodeOptions.prompt + t) : texts;
      return decoder.reconstructionLoss(embeddings, targets, decodeOptions);
    });
  }

  /** Frees the decoder's own weights when the loss built it. */
  dispose(): void {
    if (this.ownsDecoder) this.decoderInstance?.dispose?.();
    this.decoderInstance = undefined;
  }
}

/** Registry entry: `tsdae` / DenoisingAutoEncoderLoss. */
export const tsdaeDefinition = defineLoss({
  name: 'tsdae',
  className: 'DenoisingAutoEncoderLoss',
  description:
    'TSDAE on (text): deletion-noised sentence → embedding → BERT decoder reconstructs it (default lr 3e-5, CLS pooling)',
  options: {
    tieEncoderDecoder: lossOption.boolean(true),
    deletionRatio: lossOption.number(0.6, (v) => (v >= 0 && v <= 1 ? undefined : 'must be in [0, 1]')),
    seed: lossOption.number(42),
  },
  create: (o) => new DenoisingAutoEncoderLoss(o),
});
