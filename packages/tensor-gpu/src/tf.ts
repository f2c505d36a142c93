// The single tfjs namespace of contrastive. Every package imports tensors from here so one tfjs-core
// instance (with one set of registered kernels and gradients) serves the whole process.
import * as tf from '@tensorflow/tfjs';

export { tf };
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Variable, Rank, NamedTensorMap } from '@tensorflow/tfjs';

// tfjs-backend-cpu prints "Hi, looks like you are running TensorFlow.js in Node.js…" on its first tensor, which
// users cannot act on: initBackend's one-line report says which backend runs and what would be faster.
const cpuBackend = tf.findBackend('cpu') as { firstUse?: boolean } | null;
if (cpuBackend) cpuBackend.firstUse = false;
