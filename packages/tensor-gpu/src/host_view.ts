import { hostKernelsOn, tfjsWasmHeap } from './kernels/simd/host_kernels.js';
import { tf } from './tf.js';

/** The wasm backend's heap accessor, which is not in tfjs's public typings. */
interface WasmHeapBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/**
 * A float32 tensor's values without a copy where the backend allows it (wasm: a view on its heap), else a copy
 * (`dataSync`). A view is valid only until the next tfjs operation (an allocation may grow the heap and detach
 * it) and must never be written (XNNPACK caches packed weights by tensor id): take it right before use.
 */
export function readFloat32(t: tf.Tensor): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`readFloat32: tensor is ${t.dtype}, not float32`);
  if (tf.getBackend() === 'wasm') {
    const backend = tf.backend() as unknown as Partial<WasmHeapBackend>;
    if (typeof backend.typedArrayFromHeap === 'function') {
      return backend.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
    }
  }
  return t.dataSync() as Float32Array;
}

/**
 * √(Σ‖tᵢ‖²) over tensors, read in place (one pass, no temporaries): the global gradient norm of clipping.
 * Accumulated in double precision; on wasm by a SIMD kernel on the heap itself.
 */
export function globalNorm(tensors: Iterable<tf.Tensor>): number {
  let sum = 0;
  const heap = tf.getBackend() === 'wasm' ? tfjsWasmHeap(tf.backend()) : undefined;
  const simd = heap && hostKernelsOn(heap);
  for (const t of tensors) {
    const values = readFloat32(t);
    if (simd && values.buffer === heap.buffer) {
      sum += simd.sum_squares(values.byteOffset, values.length);
      continue;
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      sum += v * v;
    }
  }
  return Math.sqrt(sum);
}
