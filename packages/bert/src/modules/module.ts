import type { NamedVariable, tf } from '@contrastive/tensor-gpu';
import type { GraphBuilder } from '../onnx/graph_builder.js';

/**
 * What flows from the transformer through the head modules, as sentence-transformers' `features` dict: token
 * embeddings and their mask in, a sentence embedding out.
 */
export interface Features {
  /** The transformer's last hidden state `[B, L, H]`. */
  tokenEmbeddings: tf.Tensor3D;
  /** `[B, L]`, 1 on real tokens. */
  attentionMask: tf.Tensor2D;
  /** Leading tokens pooling leaves out ([CLS] + a prompt when include_prompt is false), else 0. */
  excludeLeadingTokens: number;
  /** `[B, D]`, set by a pooling module and transformed by the modules after it. */
  sentenceEmbedding?: tf.Tensor2D;
}

/** The same values as names in an ONNX graph, for modules that can write themselves into one. */
export interface OnnxFeatures {
  /** `[batch, sequence, H]` float. */
  tokenEmbeddings: string;
  /** Pooling mask as float `[batch, sequence, 1]` (the prompt already left out when it must be). */
  poolingMask3: string;
  /** int64 `[1]`: the sequence length. */
  sequenceLength: string;
  maxPositions: number;
  /** `[batch, D]` once a pooling module ran. */
  sentenceEmbedding?: string;
  /** Width of `sentenceEmbedding` (or of the token embeddings before pooling). */
  dimension: number;
}

/** Writes a module's computation into an ONNX graph (the fused inference engine). */
export type OnnxModuleWriter = (g: GraphBuilder, x: OnnxFeatures) => OnnxFeatures;

/**
 * A module after the transformer (Pooling, Dense, Normalize, …), as sentence-transformers' modules: it runs
 * on the token embeddings whichever backend produced them, and loads and saves its own folder.
 */
export interface HeadModule {
  /** The `type` written to modules.json, e.g. `sentence_transformers.models.Dense`. */
  readonly type: string;
  /** Folder name suffix: the module is saved under `<idx>_<folderName>`. */
  readonly folderName: string;
  /** Width of the output given the width of the input. */
  outputDimension(inputDimension: number): number;
  /** The module's computation on tfjs (differentiable; runs under the caller's tape and tidy). */
  forward(features: Features): Features;
  /** Trainable parameters, named inside the module (`linear.weight`); the encoder adds a prefix. */
  namedVariables(): NamedVariable[];
  /** Writes config and weights into `dir` (the module's own folder, created by the caller). */
  save(dir: string): Promise<void>;
  /** Replaces the weights with those saved in `dir` by a module of the same shape (checkpoints). */
  loadWeights?(dir: string): void;
  /**
   * Its ONNX form, or undefined when it has none for this configuration: the ONNX engine then runs the
   * transformer natively and this module (and those after it) on tfjs.
   */
  onnx?(): OnnxModuleWriter | undefined;
  /** One phrase for the model card, e.g. `Dense(384 → 256, tanh)`. */
  describe(): string;
  dispose(): void;
}

export interface ModuleLoadContext {
  /** Width of the previous module's output. */
  inputDimension: number;
  /** modules.json, for error messages. */
  modulesFile: string;
}

/** A module type: how to load it from its folder. Register new ones with `registerModule`. */
export interface HeadModuleType {
  /** modules.json type, e.g. `sentence_transformers.models.Dense` (short forms such as `Dense` are accepted too). */
  type: string;
  load(dir: string, context: ModuleLoadContext): HeadModule;
}

/** Applies head modules to the transformer's output: the sentence embedding `[B, D]`. */
export function applyModules(
  modules: readonly HeadModule[],
  tokenEmbeddings: tf.Tensor3D,
  attentionMask: tf.Tensor2D,
  excludeLeadingTokens = 0,
): tf.Tensor2D {
  let f: Features = { tokenEmbeddings, attentionMask, excludeLeadingTokens };
  for (const m of modules) f = m.forward(f);
  if (!f.sentenceEmbedding)
    throw new Error('no module produced a sentence embedding (is there a Pooling module?)');
  return f.sentenceEmbedding;
}
