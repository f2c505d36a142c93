export { OnnxSentenceEncoder, denseWeightsOf } from './onnx_encoder.js';
export type {
  OnnxEncoderOptions,
  OnnxEncodeOptions,
  OnnxEncoderSource,
  GraphOptimizationLevel,
} from './onnx_encoder.js';
export { exportOnnx } from './export.js';
export { buildBertGraph } from './bert_graph.js';
export type { BertGraphOptions, OnnxDenseWeights, OnnxOpSet, TorchTensor } from './bert_graph.js';
export { encodeModel, decodeModel } from './proto.js';
export { loadOnnxRuntime } from './runtime.js';
export { OnnxTrainingEngine, OnnxTrainingStep } from './training/engine.js';
export type { OnnxTrainingEngineOptions } from './training/engine.js';
