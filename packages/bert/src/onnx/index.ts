export {
  OnnxEncoderSession,
  autoWorkers,
  AUTO_WORKERS_MAX_MODEL_BYTES,
  AUTO_WORKERS_MIN_TEXTS,
} from './encoder_session.js';
export type { OnnxSessionOptions, OnnxSessionSource, GraphOptimizationLevel } from './encoder_session.js';
export { exportOnnx } from './export.js';
export type { ExportOnnxOptions, ExportedOnnx } from './export.js';
export { quantizeDynamicInt8 } from './quantize.js';
export type { QuantizeOptions } from './quantize.js';
export { buildBertGraph } from './bert_graph.js';
export type { BertGraphOptions, OnnxOpSet, TorchTensor } from './bert_graph.js';
export { encodeModel, decodeModel } from './proto.js';
export { loadOnnxRuntime, probeDevice } from './runtime.js';
export type { DeviceProbe } from './runtime.js';
export { OnnxTrainingEngine, OnnxTrainingStep } from './training/engine.js';
export type {
  OnnxTrainingEngineOptions,
  TrainableTransformerEncoder,
  LinearHead,
  FusedLossForm,
} from './training/engine.js';
