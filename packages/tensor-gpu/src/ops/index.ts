export { linear } from './linear.js';
export { layerNorm } from './layer_norm.js';
export { gelu, geluTanh } from './gelu.js';
export { dropout } from './dropout.js';
