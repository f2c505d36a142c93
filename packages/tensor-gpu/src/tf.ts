// The single tfjs namespace of contrastive. Every package imports tensors from here so one tfjs-core
// instance (with one set of registered kernels and gradients) serves the whole process.
import * as tf from '@tensorflow/tfjs';

export { tf };
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Variable, Rank, NamedTensorMap } from '@tensorflow/tfjs';
