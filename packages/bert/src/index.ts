export {
  parseBertConfig,
  readBertConfig,
  bertConfigToJson,
  presetConfig,
  BERT_PRESETS,
  bertParameterCount,
  checkModelFits,
  isDecoderConfig,
  hasCrossAttention,
} from './config.js';
export type { BertConfig, BertPreset } from './config.js';
export { BertModel } from './model.js';
export { BertLMHeadModel } from './decoder/index.js';
export type { DecoderSource, DecoderOptions, DecodeOptions } from './decoder/index.js';
export type { BertForwardOptions, BertInputs } from './model.js';
export { bertParamSpecs, canonicalBertName } from './weights.js';
export type { ParamSpec } from './weights.js';
export { SentenceTokenizer } from './tokenizer.js';
export type { EncodedBatch } from './tokenizer.js';
export { SentenceEncoder } from './sentence_encoder.js';
export type { SentenceEncoderOptions, EncoderTrainingEngine } from './sentence_encoder.js';
export type { EncodeOptions, EmbedTensorOptions, SentenceTransformersConfig, SaveOptions } from './types.js';
export {
  registerModule,
  listModuleTypes,
  readModules,
  applyModules,
  PoolingModule,
  defaultPooling,
  DenseModule,
  randomDense,
  readDenseLayer,
  NormalizeModule,
} from './modules/index.js';
export type {
  ModuleEntry,
  Features,
  HeadModule,
  HeadModuleType,
  ModuleLoadContext,
  OnnxFeatures,
  OnnxModuleWriter,
  DenseLayer,
  DenseActivation,
} from './modules/index.js';
export { CrossEncoder } from './cross_encoder.js';
export type {
  CrossEncoderActivation,
  CrossEncoderLoadOptions,
  CrossEncoderScores,
  PredictOptions,
  RankedDocument,
} from './cross_encoder.js';
export { ClassificationHead } from './modules/classification_head.js';
export type { HeadForwardOptions } from './modules/classification_head.js';
export { TfjsTransformer } from './backends.js';
export type {
  TokenEmbeddingBackend,
  TokenEmbeddingTrainer,
  TransformerPassOptions,
  TransformerTrainingPass,
} from './backends.js';
export { OnnxTransformerTrainer } from './onnx/training/transformer_trainer.js';
export { resolveModelDir } from './hub_loader.js';
export {
  OnnxEncoderSession,
  autoWorkers,
  AUTO_WORKERS_MAX_MODEL_BYTES,
  AUTO_WORKERS_MIN_TEXTS,
  OnnxTrainingEngine,
  OnnxTrainingStep,
  exportOnnx,
  quantizeDynamicInt8,
  loadOnnxRuntime,
  probeDevice,
} from './onnx/index.js';
export type {
  OnnxSessionOptions,
  OnnxSessionSource,
  OnnxOpSet,
  GraphOptimizationLevel,
  OnnxTrainingEngineOptions,
  LinearHead,
  FusedLossForm,
  TrainableTransformerEncoder,
  ExportOnnxOptions,
  ExportedOnnx,
  QuantizeOptions,
  DeviceProbe,
} from './onnx/index.js';
export {
  BertForMaskedLM,
  MaskedLanguageModelingLoss,
  MLM_HEAD_NAMES,
  maskTokens,
  IGNORE_LABEL,
} from './mlm/index.js';
export type { MaskingOptions, MaskingVocabulary, MaskedBatch, MlmEmbedOptions } from './mlm/index.js';
