// Head modules: the interfaces, the built-in modules and the registry by modules.json type.
export { registerModule, listModuleTypes, readModules } from './module_list.js';
export type { ModuleEntry } from './module_list.js';
export type {
  Features,
  HeadModule,
  HeadModuleType,
  ModuleLoadContext,
  OnnxFeatures,
  OnnxModuleWriter,
} from './module.js';
export { applyModules } from './module.js';
export { PoolingModule, defaultPooling } from './pooling.js';
export { DenseModule, randomDense, readDenseLayer, parseActivation, activationTypeName } from './dense.js';
export type { DenseLayer, DenseActivation } from './dense.js';
export { NormalizeModule } from './normalize.js';
