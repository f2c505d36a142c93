import { hostKernelsOn, tfjsWasmHeap } from './kernels/simd/host_kernels.js';
import { tf } from './tf.js';

/** The active backend's heap and our SIMD kernels on it, where the backend is tfjs-wasm and wasm SIMD runs. */
function wasmHostKernels() {
  const heap = tf.getBackend() === 'wasm' ? tfjsWasmHeap(tf.backend()) : undefined;
  const kernels = heap && hostKernelsOn(heap);
  return heap && kernels ? { heap, kernels } : undefined;
}

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
 * Rows of 2-D tensors known to hold every nonzero value (a scattered embedding gradient: the few vocabulary rows
 * of a batch in a 30k-row table), keyed by the tensor's data. `globalNorm` and the AdamW step read only those
 * rows instead of the whole table. A derived tensor (`tf.add`, a clone's new data) has no entry: it is read whole.
 */
const nonzeroRowsByData = new WeakMap<object, Int32Array>();

/**
 * Records that every row of the 2-D tensor `t` outside `rows` (ascending, no repeats) is zero. Call it after the
 * tensor's values are final; the promise is the caller's (it is not checked against the values).
 */
export function markNonzeroRows(t: tf.Tensor, rows: Int32Array): void {
  if (t.rank !== 2) throw new Error(`markNonzeroRows: tensor must be 2-D, got shape [${t.shape}]`);
  const n = t.shape[0]!;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (!(r >= 0 && r < n)) throw new Error(`markNonzeroRows: row ${r} (index ${i}) is outside [0, ${n})`);
    if (i > 0 && r <= rows[i - 1]!)
      throw new Error(`markNonzeroRows: rows must ascend without repeats (index ${i}: ${rows[i - 1]}, ${r})`);
  }
  nonzeroRowsByData.set(t.dataId, rows);
}

/** The rows `markNonzeroRows` recorded for this tensor's data, if any. */
export function nonzeroRowsOf(t: { dataId: object }): Int32Array | undefined {
  return nonzeroRowsByData.get(t.dataId);
}

/** Calls `run(firstRow, endRow)` for each maximal range of consecutive rows in `rows` (ascending). */
export function forEachRowRange(rows: Int32Array, run: (from: number, to: number) => void): void {
  for (let i = 0; i < rows.length; ) {
    let j = i + 1;
    while (j < rows.length && rows[j] === rows[j - 1]! + 1) j++;
    run(rows[i]!, rows[j - 1]! + 1);
    i = j;
  }
}

/** Each tensor data's Σ t², once computed (a tensor's values never change). */
const squaredNormByData = new WeakMap<object, number>();

/**
 * Σ t² of a float32 tensor in double precision, read in place (wasm: a SIMD kernel on the heap); a tensor with
 * recorded nonzero rows (`markNonzeroRows`) is read on those rows only. Remembered per tensor data, so calling
 * it right after writing a tensor (its values still in cache) makes a later `globalNorm` over it free.
 */
export function squaredNorm(t: tf.Tensor): number {
  const known = squaredNormByData.get(t.dataId);
  if (known !== undefined) return known;
  const wasm = wasmHostKernels();
  const values = readFloat32(t);
  const squares = (from: number, to: number) => {
    if (wasm && values.buffer === wasm.heap.buffer)
      return wasm.kernels.sum_squares(values.byteOffset + from * 4, to - from);
    let s = 0;
    for (let i = from; i < to; i++) {
      const v = values[i]!;
      s += v * v;
    }
    return s;
  };
  const rows = nonzeroRowsOf(t);
  let sum = 0;
  if (!rows) sum = squares(0, values.length);
  else {
    const cols = t.shape[1]!;
    forEachRowRange(rows, (r0, r1) => {
      sum += squares(r0 * cols, r1 * cols);
    });
  }
  squaredNormByData.set(t.dataId, sum);
  return sum;
}

/**
 * Forgets what was recorded about a tensor data's values (its nonzero rows, its Σ t²): for a kernel that writes
 * new values into a data it owns alone (AdamW's new weights in the gradient's place). Not exported by the package.
 */
export function forgetValueFacts(dataId: object): void {
  nonzeroRowsByData.delete(dataId);
  squaredNormByData.delete(dataId);
}

/**
 * Adds row t of `values` (`[rows.length, cols]`, row-major) into row `rows[t]` of the 2-D float32 `table`, in
 * order, writing the table's data in place: for a tensor its caller has just created for this and that nothing
 * else reads yet (the gradient of an embedding lookup, scattered into a zero table). Runs as wasm SIMD on
 * tfjs-wasm's heap and returns true; elsewhere (another backend, no wasm SIMD) it writes nothing and returns false,
 * for every table alike, and the caller scatters into host arrays. Row indices are checked first: the kernel
 * writes where they point.
 */
export function scatterAddRows(table: tf.Tensor, values: Float32Array, rows: Int32Array): boolean {
  if (table.rank !== 2 || table.dtype !== 'float32')
    throw new Error(
      `scatterAddRows: table must be a 2-D float32 tensor, got ${table.dtype} [${table.shape}]`,
    );
  const [n, cols] = table.shape as [number, number];
  if (values.length !== rows.length * cols)
    throw new Error(`scatterAddRows: ${values.length} values for ${rows.length} rows of ${cols}`);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (!(r >= 0 && r < n)) throw new Error(`scatterAddRows: row ${r} (index ${i}) is outside [0, ${n})`);
  }
  const wasm = wasmHostKernels();
  if (!wasm) return false;
  // The rows and their indices copied onto the heap first; views are taken after (an allocation may grow it).
  const src = tf.tensor(values, [values.length], 'float32');
  const idx = tf.tensor(rows, [rows.length], 'int32');
  try {
    const backend = tf.backend() as unknown as { typedArrayFromHeap(t: tf.TensorInfo): Int32Array };
    const dst = readFloat32(table);
    const indices = backend.typedArrayFromHeap({ dataId: idx.dataId, shape: idx.shape, dtype: 'int32' });
    if (dst.buffer !== wasm.heap.buffer) return false;
    wasm.kernels.scatter_add_rows(
      dst.byteOffset,
      readFloat32(src).byteOffset,
      indices.byteOffset,
      rows.length,
      cols,
    );
  } finally {
    src.dispose();
    idx.dispose();
  }
  forgetValueFacts(table.dataId);
  return true;
}

/**
 * √(Σ‖tᵢ‖²) over tensors (`squaredNorm` of each, one pass, no temporaries): the global gradient norm of
 * clipping, accumulated in double precision.
 */
export function globalNorm(tensors: Iterable<tf.Tensor>): number {
  let sum = 0;
  for (const t of tensors) sum += squaredNorm(t);
  return Math.sqrt(sum);
}
