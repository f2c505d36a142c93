import type { EmbeddingModel, ExternalTrainingStep } from '@contrastive/losses';
import type { EngineChoice, EngineDevice } from '@contrastive/tensor-gpu';

/** A transformer whose training passes run outside tfjs's tape (the onnxruntime engine). */
export interface TrainingEngine {
  /** For the one-line report, e.g. `onnxruntime-node (2 threads)`. */
  readonly name: string;
  /** One optimizer step's forward/backward passes; fits @contrastive/losses' `ExternalTrainingStep`. */
  beginStep(): ExternalTrainingStep;
  release(): Promise<void>;
}

/**
 * What the trainer needs from a model — the losses' `EmbeddingModel` plus saving, checkpoint restore and
 * evaluation. `SentenceEncoder` (@contrastive/bert) implements it; so can a cross-encoder or a plugin's model.
 * The trainer imports no model package.
 */
export interface TrainableEncoder extends EmbeddingModel {
  /** Embeddings for evaluators, on the requested engine. */
  embed(texts: string[], options?: { engine?: EngineChoice }): Promise<ArrayLike<number>[]>;
  /**
   * Scores of sentence pairs for evaluators (a cross-encoder's `predict`: one number per pair, or a row of
   * label scores), on the requested engine. Absent on a model that embeds single texts.
   */
  predict?(
    pairs: Array<[string, string]>,
    options?: { engine?: EngineChoice },
  ): Promise<ArrayLike<number>[] | number[]>;
  /** Writes the model (its own on-disk format) into `dir`; `modelCard` becomes its README.md. */
  save(dir: string, options?: { modelCard?: string }): Promise<void>;
  /** Restores weights saved by `save` of a model of the same shape (checkpoints, best model). */
  loadWeightsFrom(dir: string): void;
  /**
   * True when the model pools without the prompt's tokens (sentence-transformers' include_prompt false): the
   * trainer then passes prompts through `LossContext.prompts` instead of prefixing the texts.
   */
  readonly excludesPromptFromPooling?: boolean;
  /** A faster engine for the training passes, or undefined to train on tfjs's tape. */
  createTrainingEngine?(options: {
    engine: EngineChoice;
    threads?: number;
    device?: EngineDevice;
    report?: (line: string) => void;
  }): Promise<TrainingEngine | undefined>;
  /** Bytes of activations tfjs keeps for a batch of `texts` texts (warns before the wasm heap overflows). */
  trainingActivationBytes?(texts: number): number;
  /** For the model card. */
  summary?(): {
    maxSeqLength?: number;
    dimension?: number;
    similarityFunction?: string;
    architecture?: string;
  };
  /** Frees engine snapshots taken for evaluation. */
  release?(): Promise<void>;
  /**
   * Adds named prompts that `save` writes (config_sentence_transformers.json's `prompts`): the trainer gives
   * it those it trained with (see `savedPrompts`), so inference can prepend them by name.
   */
  addPrompts?(prompts: Record<string, string>, defaultPromptName?: string | null): void;
}
