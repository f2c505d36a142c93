import { tf } from '../tf.js';
import { adamwUpdateWasmConfig } from './adamw_update.js';
import { unsortedSegmentSumWasmConfig } from './unsorted_segment_sum.js';

/** Kernels that some backend lacks (or fused ones of ours), filled in by name as tfjs's own backends do. */
const FILL_INS: tf.KernelConfig[] = [unsortedSegmentSumWasmConfig, adamwUpdateWasmConfig];

/** Registers every fill-in kernel for `backendName` that the backend does not already provide. */
export function registerMissingKernels(backendName: string): string[] {
  const added: string[] = [];
  for (const k of FILL_INS) {
    if (k.backendName !== backendName) continue;
    if (tf.getKernel(k.kernelName, backendName)) continue;
    tf.registerKernel(k);
    added.push(k.kernelName);
  }
  return added;
}

export {
  enableNativeMatMul,
  disableNativeMatMul,
  nativeMatMulStatus,
  nativeMatMulCounts,
} from './native_matmul.js';
export type { NativeMatMulOptions, NativeMatMulStatus, NativeMatMulCounts } from './native_matmul.js';
