import { forgetValueFacts, nonzeroRowsOf } from '../host_view.js';
import { tf } from '../tf.js';
import { type WasmMemory, hostKernelsOn, tfjsWasmHeap } from './simd/host_kernels.js';

/** Kernel name of the fused AdamW step (registered for wasm only). */
export const ADAMW_UPDATE_KERNEL = 'ContrastiveAdamWUpdate';

/** Scalars of one AdamW step, precomputed on the host. */
export interface AdamWUpdateAttrs {
  beta1: number;
  beta2: number;
  eps: number;
  /** `1 − lr·weightDecay` (1 when the group is not decayed). */
  decayFactor: number;
  /** `lr / (1 − β1^t)`. */
  stepSize: number;
  /** `√(1 − β2^t)`. */
  sqrtBiasCorrection2: number;
  /** Multiplies the gradient first (clipping and the micro-batch mean, without a scaled copy). Default 1. */
  gradScale?: number;
  /**
   * The gradient is the step's to consume: where no other tensor shares its data, the new parameter is written
   * over it (each value is read before its place is written) and returned as that data, instead of a new
   * block. The caller must not read the gradient afterwards.
   */
  consumeGradient?: boolean;
}

/** A parameter's Adam moments (host arrays, or `HeapMoments` on the heap), updated in place by each step. */
export interface HostMoments {
  m: Float32Array;
  v: Float32Array;
  /**
   * Row tables (`ROW_SPARSE_MIN_ROWS` rows or more, e.g. a vocabulary): 1 for each row whose moments may be
   * nonzero (it has had a gradient). Kept by the kernel; built from m and v when missing.
   */
  activeRows?: Uint8Array;
}

/**
 * Moments on tfjs-wasm's heap (m, then v, at `heapOffset`): the SIMD step updates them in place, without the
 * chunk copies host moments need. `m` and `v` are views taken at each access (a heap may grow and detach older
 * views). `release()` frees the block.
 */
export class HeapMoments implements HostMoments {
  activeRows?: Uint8Array;

  constructor(
    private readonly heap: WasmMemory,
    readonly heapOffset: number,
    readonly size: number,
    private readonly free: (ptr: number) => void,
  ) {}

  get m(): Float32Array {
    return new Float32Array(this.heap.buffer, this.heapOffset, this.size);
  }

  get v(): Float32Array {
    return new Float32Array(this.heap.buffer, this.heapOffset + this.size * 4, this.size);
  }

  release(): void {
    this.free(this.heapOffset);
  }
}

/** Zeroed moments for `size` values on the active tfjs-wasm heap, or undefined where that is not available. */
export function allocateHeapMoments(size: number): HeapMoments | undefined {
  if (tf.getBackend() !== 'wasm' || size === 0) return undefined;
  const b = tf.backend() as unknown as Partial<WasmAlloc>;
  const heap = tfjsWasmHeap(b);
  if (!heap || !b.wasm || !hostKernelsOn(heap)) return undefined;
  const wasm = b.wasm;
  const ptr = wasm._malloc(size * 8);
  if (!ptr) return undefined;
  const moments = new HeapMoments(heap, ptr, size, (p) => wasm._free(p));
  new Float32Array(heap.buffer, ptr, size * 2).fill(0);
  return moments;
}

/**
 * A 2-D parameter with at least this many rows is updated row-sparsely: a row whose moments and gradient are
 * all zero (a vocabulary row no batch has used yet) gets exactly what the dense step gives it, p·(1 − lr·wd),
 * without reading or writing its moments.
 */
export const ROW_SPARSE_MIN_ROWS = 8192;

/**
 * The elementwise step, a plain top-level function so V8 optimizes it once for all parameters. Each element is
 * computed in double precision and rounded once when stored: within an ulp of torch's float32 op-by-op result
 * and ~2.5× faster than rounding every intermediate (`Math.fround` per op). Moments are updated in place.
 */
function adamwLoop(
  ps: Float32Array,
  gs: Float32Array,
  ms: Float32Array,
  vs: Float32Array,
  po: Float32Array,
  a: AdamWUpdateAttrs,
): void {
  const b1 = a.beta1;
  const oneMinusB1 = 1 - a.beta1;
  const b2 = a.beta2;
  const oneMinusB2 = 1 - a.beta2;
  const eps = a.eps;
  const decay = a.decayFactor;
  const stepSize = a.stepSize;
  const sqrtBc2 = a.sqrtBiasCorrection2;
  const gscale = a.gradScale ?? 1;
  const size = ps.length;
  for (let i = 0; i < size; i++) {
    // The scaled gradient rounded to float32, as torch's in-place clipping leaves it.
    const gi = gscale === 1 ? (gs[i] as number) : Math.fround((gs[i] as number) * gscale);
    const mi = (ms[i] as number) * b1 + gi * oneMinusB1;
    const vi = (vs[i] as number) * b2 + gi * gi * oneMinusB2;
    ms[i] = mi;
    vs[i] = vi;
    po[i] = (ps[i] as number) * decay - (mi / (Math.sqrt(vi) / sqrtBc2 + eps)) * stepSize;
  }
}

/** Moments are copied through a scratch block on the heap in chunks of this many values (2 × 256 KiB: in L2). */
const CHUNK = 65536;
/** Per heap: the moments' scratch block and a row-flag block (`flagRows` bytes), kept for the process's life. */
const scratchByHeap = new WeakMap<WasmMemory, { moments: number; flags: number; flagRows: number }>();

interface WasmAlloc {
  wasm: { _malloc(bytes: number): number; _free(ptr: number): void };
}

/** Allocates the heap's scratch blocks (before any heap view is taken: an allocation may grow the heap). */
function ensureScratch(backend: WasmAlloc, rows: number): void {
  const heap = tfjsWasmHeap(backend);
  if (!heap || !hostKernelsOn(heap)) return;
  let s = scratchByHeap.get(heap);
  if (!s) {
    const moments = backend.wasm._malloc(2 * CHUNK * 4);
    if (!moments) return;
    s = { moments, flags: 0, flagRows: 0 };
    scratchByHeap.set(heap, s);
  }
  if (rows > s.flagRows) {
    if (s.flags) backend.wasm._free(s.flags);
    s.flags = backend.wasm._malloc(rows);
    s.flagRows = s.flags ? rows : 0;
  }
}

/** Rows of a [rows, cols] table whose moments hold a nonzero value. */
function activeRowsOf(m: Float32Array, v: Float32Array, rows: number, cols: number): Uint8Array {
  const out = new Uint8Array(rows);
  for (let r = 0; r < rows; r++)
    for (let i = r * cols; i < (r + 1) * cols; i++)
      if (m[i] !== 0 || v[i] !== 0) {
        out[r] = 1;
        break;
      }
  return out;
}

/**
 * The step in wasm SIMD, float32 op by op as torch: p and g are read in place on the heap, the host moments go
 * through a heap scratch block chunk by chunk (they stay outside the heap; the copies stay in cache). Returns
 * false where wasm SIMD or the heap is not available (the JS loop runs instead).
 */
function adamwSimd(
  backend: WasmAlloc,
  p: Float32Array,
  g: Float32Array,
  moments: HostMoments,
  out: Float32Array,
  a: AdamWUpdateAttrs,
  shape: number[],
  /** The rows that hold every nonzero gradient value, where known (`markNonzeroRows`). */
  gradientRows?: Int32Array,
): boolean {
  const heap = tfjsWasmHeap(backend);
  const k = heap && hostKernelsOn(heap);
  const scratch = heap && scratchByHeap.get(heap);
  if (!heap || !k || !scratch || p.buffer !== heap.buffer) return false;
  const pOff = p.byteOffset;
  const gOff = g.byteOffset;
  const oOff = out.byteOffset;
  const mS = new Float32Array(heap.buffer, scratch.moments, CHUNK);
  const vS = new Float32Array(heap.buffer, scratch.moments + CHUNK * 4, CHUNK);
  const { m, v } = moments;
  // Moments on this heap are updated in place; host moments go through the scratch block.
  const onHeap = moments instanceof HeapMoments && m.buffer === heap.buffer ? moments.heapOffset : undefined;
  const f = Math.fround;
  const step = (start: number, n: number): void => {
    if (onHeap === undefined) {
      mS.set(m.subarray(start, start + n));
      vS.set(v.subarray(start, start + n));
    }
    k.adamw(
      pOff + start * 4,
      gOff + start * 4,
      onHeap === undefined ? scratch.moments : onHeap + start * 4,
      onHeap === undefined ? scratch.moments + CHUNK * 4 : onHeap + (p.length + start) * 4,
      oOff + start * 4,
      n,
      f(a.beta1),
      f(1 - a.beta1),
      f(a.beta2),
      f(1 - a.beta2),
      f(a.eps),
      f(a.decayFactor),
      f(a.stepSize),
      f(a.sqrtBiasCorrection2),
      f(a.gradScale ?? 1),
    );
    if (onHeap === undefined) {
      m.set(mS.subarray(0, n), start);
      v.set(vS.subarray(0, n), start);
    }
  };
  const dense = (from: number, to: number) => {
    for (let start = from; start < to; start += CHUNK) {
      const n = Math.min(CHUNK, to - start);
      step(start, n);
    }
  };
  const rows = shape.length === 2 ? shape[0]! : 0;
  if (rows < ROW_SPARSE_MIN_ROWS || scratch.flagRows < rows) {
    dense(0, p.length);
    return true;
  }
  // Row-sparse: rows that have never had a gradient (zero moments) and have none now only decay.
  const cols = p.length / rows;
  moments.activeRows ??= activeRowsOf(m, v, rows, cols);
  const active = moments.activeRows;
  if (gradientRows) {
    // The gradient's nonzero rows are known (a scattered embedding gradient): no scan of the whole table.
    for (let i = 0; i < gradientRows.length; i++) active[gradientRows[i]!] = 1;
  } else {
    k.nonzero_rows(gOff, rows, cols, scratch.flags);
    const flags = new Uint8Array(heap.buffer, scratch.flags, rows);
    for (let r = 0; r < rows; r++) active[r] = active[r]! | flags[r]!;
  }
  const decay = f(a.decayFactor);
  for (let r0 = 0; r0 < rows; ) {
    const on = active[r0];
    let r1 = r0 + 1;
    while (r1 < rows && active[r1] === on) r1++;
    if (on) dense(r0 * cols, r1 * cols);
    else k.scale(pOff + r0 * cols * 4, oOff + r0 * cols * 4, (r1 - r0) * cols, decay);
    r0 = r1;
  }
  return true;
}

/**
 * One torch AdamW step over a whole parameter in a single pass, instead of ~8 tfjs ops that each allocate a
 * full-size temporary on the wasm heap: wasm SIMD where available, else a JS loop. The parameter and its
 * gradient are read in place; the moments (`attrs.moments`: on the heap, or host arrays copied through a scratch
 * block) are updated in place; the new parameter is a new tensor (a weight is never
 * written in place: XNNPACK caches packed weights by tensor id). `gradScale` multiplies the gradient first
 * (clipping and the micro-batch mean, without a scaled copy).
 */
export const adamwUpdateWasmConfig: tf.KernelConfig = {
  kernelName: ADAMW_UPDATE_KERNEL,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { p, g } = inputs as Record<'p' | 'g', tf.TensorInfo>;
    const a = attrs as unknown as AdamWUpdateAttrs & { moments: HostMoments };
    // The wasm backend's heap helpers are not part of tfjs's public typings.
    const b = backend as unknown as {
      makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
      typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
      refCount(dataId: object): number;
      incRef(dataId: object): void;
    } & WasmAlloc;
    if (!p) throw new Error(`${ADAMW_UPDATE_KERNEL}: input "p" is missing`);
    const size = p.shape.reduce((x, c) => x * c, 1);
    for (const [name, t] of [
      ['p', p],
      ['g', g],
    ] as const) {
      if (!t) throw new Error(`${ADAMW_UPDATE_KERNEL}: input "${name}" is missing`);
      if (t.dtype !== 'float32')
        throw new Error(`${ADAMW_UPDATE_KERNEL}: input "${name}" is ${t.dtype}, not float32`);
      const n = t.shape.reduce((x, c) => x * c, 1);
      if (n !== size)
        throw new Error(`${ADAMW_UPDATE_KERNEL}: input "${name}" has ${n} values, p has ${size}`);
    }
    for (const k of ['m', 'v'] as const) {
      const arr = a.moments?.[k];
      if (!(arr instanceof Float32Array) || arr.length !== size)
        throw new Error(`${ADAMW_UPDATE_KERNEL}: moment "${k}" must be a Float32Array of ${size} values`);
    }
    // Allocate the output (and the scratch block) before taking any heap view: an allocation may grow (and
    // detach) the heap buffer.
    // In the gradient's place where the step owns it alone: no new block, so the heap does not grow (and fault
    // fresh pages in) by the largest parameter in the steps after the first.
    const inPlace = a.consumeGradient === true && g!.dataId !== p.dataId && b.refCount(g!.dataId) === 1;
    let pOut: tf.TensorInfo;
    if (inPlace) {
      b.incRef(g!.dataId);
      pOut = { dataId: g!.dataId, shape: p.shape, dtype: 'float32' };
    } else pOut = b.makeOutput(p.shape, 'float32');
    if (simdAdamWEnabled) ensureScratch(b, p.shape.length === 2 ? p.shape[0]! : 0);
    const views = [b.typedArrayFromHeap(p), b.typedArrayFromHeap(g), b.typedArrayFromHeap(pOut)] as const;
    if (
      !simdAdamWEnabled ||
      !adamwSimd(
        b,
        views[0],
        views[1],
        a.moments,
        views[2],
        a,
        p.shape,
        nonzeroRowsOf(g as { dataId: object }),
      )
    )
      adamwLoop(views[0], views[1], a.moments.m, a.moments.v, views[2], a);
    // Its nonzero rows and Σ g² described the gradient, not these values.
    if (inPlace) forgetValueFacts(g!.dataId);
    return pOut;
  },
};

/** Internal (tests): the SIMD step on or off (off: the JS loop, the reference it is held to). */
let simdAdamWEnabled = true;
export function setSimdAdamW(enabled: boolean): void {
  simdAdamWEnabled = enabled;
}

/**
 * Runs the fused step: returns the new parameter; `moments` are updated in place. Only on wasm with the kernel
 * registered (`registerMissingKernels('wasm')`); see `fusedAdamWAvailable`.
 */
export function adamwUpdate(
  p: tf.Tensor,
  g: tf.Tensor,
  moments: HostMoments,
  attrs: AdamWUpdateAttrs,
): tf.Tensor {
  return tf.engine().runKernel(ADAMW_UPDATE_KERNEL, { p, g }, {
    ...attrs,
    moments,
  } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor;
}

/** Whether the active backend can run the fused step. */
export function fusedAdamWAvailable(): boolean {
  const backend = tf.getBackend();
  return backend === 'wasm' && tf.getKernel(ADAMW_UPDATE_KERNEL, backend) !== undefined;
}
