import type { SimilarityFunction } from '@contrastive/pooling';
import type { EngineChoice } from '@contrastive/tensor-gpu';
import type { ExportOnnxOptions } from './onnx/export.js';

export interface EncodeOptions {
  batchSize?: number;
  /** L2-normalize outputs (in addition to a Normalize module, if any). */
  normalize?: boolean;
  /** Text prepended to every input, e.g. `query: `. */
  prompt?: string;
  /** Name of a prompt from `config_sentence_transformers.json`. */
  promptName?: string;
  /** Called after each batch with the number of texts done. */
  progress?: (done: number, total: number) => void;
  /**
   * What runs the model: `onnx` (onnxruntime-node, several times faster on CPU), `tfjs`, or `auto` (the
   * encoder's `encodeEngine`, itself `auto` by default: onnx where it loads, except on tfjs-node(-gpu)).
   */
  engine?: EngineChoice;
  /**
   * Batch texts in order of length (the default, as sentence-transformers does, then by token count within
   * windows of 64 batches: batches pad little) or in input order. Output is in input order either way.
   */
  sortByLength?: boolean;
  /**
   * Keep the first N dimensions of each embedding (Matryoshka models), as sentence-transformers' `truncate_dim`;
   * default the encoder's `truncateDim`. Applied before `normalize`.
   */
  truncateDim?: number;
}

export interface EmbedTensorOptions {
  training?: boolean;
  seed?: number;
  dropoutRate?: number;
  prompt?: string;
}

export interface SentenceTransformersConfig {
  prompts: Record<string, string>;
  default_prompt_name: string | null;
  similarity_fn_name: SimilarityFunction | null;
  /** Matryoshka: embeddings keep their first `truncate_dim` dimensions (written only when set, as sentence-transformers). */
  truncate_dim?: number | null;
}

export interface SaveOptions {
  /** Model card text written as README.md. */
  modelCard?: string;
  /** Also write `onnx/model.onnx` (the Transformer module, as sentence-transformers' ONNX backend loads it). */
  onnx?: boolean | ExportOnnxOptions;
}
