export { parseBertConfig, readBertConfig, bertConfigToJson, presetConfig, BERT_PRESETS } from './config.js';
export type { BertConfig, BertPreset } from './config.js';
export { BertModel } from './model.js';
export type { BertForwardOptions, BertInputs } from './model.js';
export { bertParamSpecs, canonicalBertName } from './weights.js';
export type { ParamSpec } from './weights.js';
export { SentenceTokenizer } from './tokenizer.js';
export type { EncodedBatch } from './tokenizer.js';
export { SentenceEncoder, randomDense } from './sentence_encoder.js';
export type {
  DenseLayer,
  EncodeOptions,
  EncodeEngine,
  EmbedTensorOptions,
  SentenceEncoderOptions,
  SentenceTransformersConfig,
  SaveOptions,
} from './sentence_encoder.js';
export { readModules } from './modules.js';
export type { ModuleEntry, DenseActivation } from './modules.js';
export { resolveModelDir } from './hub_loader.js';
export { OnnxSentenceEncoder, OnnxTrainingEngine, OnnxTrainingStep, exportOnnx } from './onnx/index.js';
export type {
  OnnxEncoderOptions,
  OnnxEncodeOptions,
  OnnxOpSet,
  GraphOptimizationLevel,
  OnnxTrainingEngineOptions,
} from './onnx/index.js';
