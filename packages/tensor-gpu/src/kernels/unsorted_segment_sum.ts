import { tf } from '../tf.js';

/**
 * `UnsortedSegmentSum` for the wasm backend, which does not ship it. It is the gradient of `gather`,
 * so without it no embedding table can be trained on wasm. Rows are accumulated straight in the wasm
 * heap: zero-fill the output, then add each input row to its segment (O(rows × width), not O(segments)).
 */
export const unsortedSegmentSumWasmConfig: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    const { numSegments } = attrs as unknown as { numSegments: number };
    // The wasm backend's heap helpers are not part of tfjs's public typings.
    const b = backend as unknown as {
      makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
      typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array;
    };
    if (x.dtype !== 'float32' && x.dtype !== 'int32') {
      throw new Error(`UnsortedSegmentSum (wasm): unsupported dtype ${x.dtype}`);
    }
    const rows = segmentIds.shape.reduce((a, c) => a * c, 1);
    const inner = x.shape.slice(segmentIds.shape.length).reduce((a, c) => a * c, 1);
    const out = b.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], x.dtype);
    const xs = b.typedArrayFromHeap(x);
    const ids = b.typedArrayFromHeap(segmentIds);
    const o = b.typedArrayFromHeap(out);
    o.fill(0);
    for (let r = 0; r < rows; r++) {
      const s = ids[r]!;
      if (s < 0 || s >= numSegments) continue; // tf semantics: out-of-range ids are dropped
      const src = r * inner;
      const dst = s * inner;
      for (let k = 0; k < inner; k++) o[dst + k] = (o[dst + k] as number) + (xs[src + k] as number);
    }
    return out;
  },
};
