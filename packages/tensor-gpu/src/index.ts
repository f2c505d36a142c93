export { tf } from './tf.js';
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Variable, Rank, NamedTensorMap } from './tf.js';
export { initBackend, ensureBackend } from './backend.js';
export type { BackendName, BackendReport, BackendAttempt, InitBackendOptions } from './backend.js';
export { registerMissingKernels, nativeMatMulStatus, nativeMatMulCounts } from './kernels/index.js';
export type { NativeMatMulStatus } from './kernels/index.js';
export { DropoutMaskBuffer, dropoutMask, dropoutSeedAfter } from './kernels/simd/host_kernels.js';
export { linear, layerNorm, gelu, geluTanh, dropout } from './ops/index.js';
export {
  readSafetensors,
  parseSafetensors,
  serializeSafetensors,
  writeSafetensors,
  SafetensorsError,
} from './safetensors.js';
export type { SafetensorsDType, SafetensorsTensor, SafetensorsFile, TensorToWrite } from './safetensors.js';
export { measureTensorGrowth, assertNoTensorLeak, disposeAll } from './memory.js';
export type { LeakReport } from './memory.js';
export { AdamW, paramGroups, defaultNoDecay } from './optim/adamw.js';
export type { AdamWOptions, AdamWState, NamedVariable, ParamGroup } from './optim/adamw.js';
export { readFloat32, globalNorm, markNonzeroRows, scatterAddRows, squaredNorm } from './host_view.js';
export { parseEngineDevice } from './device.js';
export type { EngineDevice } from './device.js';
export {
  resolveEngine,
  resolveTrainingEngine,
  parseEngineChoice,
  onnxEngineName,
  defaultEngineThreads,
  ENGINE_CHOICES,
} from './engine.js';
export type {
  EngineChoice,
  EnginePurpose,
  ResolveEngineOptions,
  ResolvedEngine,
  TrainingEngineHandle,
  TrainingEngineRequest,
} from './engine.js';
