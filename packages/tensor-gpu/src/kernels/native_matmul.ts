import { tf } from '../tf.js';

/**
 * `BatchMatMul` on the wasm backend through onnxruntime-node's native MatMul (MLAS, AVX2/AVX-512 on x64).
 * wasm's XNNPACK runs a plain 2-D product at ~25 GFLOP/s on one thread; onnxruntime several times that.
 * tfjs keeps autodiff: only the forward kernel is replaced, so every matmul in a gradient goes through it too.
 *
 * onnxruntime's public `InferenceSession.run` is asynchronous, but a tfjs kernel must be synchronous, so this
 * uses the package's internal binding (`onnxruntime-node/dist/binding.js`), whose session wrap has a
 * synchronous `run(feeds, fetches, options)`. That is an internal API of onnxruntime-node 1.31.1: it is checked
 * on load (shape of the binding, then a small product with a known result) and anything unexpected disables
 * the kernel with a reason instead of failing later.
 *
 * Inputs are passed as views on the wasm heap and the output is preallocated there, so onnxruntime reads and
 * writes tfjs's memory directly (no copies). Only the common case goes native: float32, no transpose flags,
 * batch size 1 (tfjs reshapes a 2-D `matMul` to [1, M, K]) and at least `minMacs` multiply-adds; every other
 * call goes to the original wasm kernel.
 */

export const PINNED_ONNXRUNTIME_VERSION = '1.31.1';
const BINDING_MODULE = 'onnxruntime-node/dist/binding.js';
const VERSION_MODULE = 'onnxruntime-node/dist/version.js';

export interface NativeMatMulOptions {
  /** onnxruntime intra-op threads. Default: `CONTRASTIVE_NATIVE_MATMUL_THREADS` or 2. */
  threads?: number;
  /** Smallest product (M·K·N multiply-adds) sent to onnxruntime; smaller ones stay on wasm. Default 65,536. */
  minMacs?: number;
}

export interface NativeMatMulStatus {
  enabled: boolean;
  /** Why it is not enabled (onnxruntime-node missing, binding changed, self-test failed...). */
  reason?: string;
  threads?: number;
  minMacs?: number;
  /** onnxruntime-node's version, when it loaded. */
  version?: string;
}

/** What the kernel did since it was enabled: products run natively and calls handed to the wasm kernel. */
export interface NativeMatMulCounts {
  native: number;
  fallback: number;
}

/** The few members of the internal session wrap this kernel uses. */
interface SyncSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(
    feeds: Record<string, OrtTensorLike>,
    fetches: Record<string, OrtTensorLike | null>,
    options?: object,
  ): unknown;
  dispose?(): void;
}

interface OrtTensorLike {
  type: 'float32';
  dims: number[];
  data: Float32Array;
  location: 'cpu';
}

/** The wasm backend's heap helpers, which are not in tfjs's public typings. */
interface WasmBackendHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
}

const DEFAULT_THREADS = 2;
const DEFAULT_MIN_MACS = 65_536;

let original: tf.KernelConfig | undefined;
let session: SyncSession | undefined;
let settings = { threads: DEFAULT_THREADS, minMacs: DEFAULT_MIN_MACS };
let status: NativeMatMulStatus = { enabled: false, reason: 'not requested' };
const counts: NativeMatMulCounts = { native: 0, fallback: 0 };

// --- A one-node ONNX model: Y = MatMul(A[m,k], B[k,n]) with symbolic dims, protobuf-encoded by hand. ---

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 127) {
    out.push((v & 127) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
const lengthDelimited = (field: number, body: number[]): number[] => [
  ...varint(field * 8 + 2),
  ...varint(body.length),
  ...body,
];
const stringField = (field: number, s: string): number[] =>
  lengthDelimited(field, [...new TextEncoder().encode(s)]);
const intField = (field: number, v: number): number[] => [...varint(field * 8), ...varint(v)];

/** ValueInfoProto{name, type: TypeProto{tensor_type: {elem_type: FLOAT, shape: dims as dim_param}}}. */
function float2dValueInfo(name: string, rows: string, cols: string): number[] {
  const dim = (param: string) => lengthDelimited(1, stringField(2, param));
  const tensorType = [...intField(1, 1), ...lengthDelimited(2, [...dim(rows), ...dim(cols)])];
  return [...stringField(1, name), ...lengthDelimited(2, lengthDelimited(1, tensorType))];
}

/** ModelProto bytes (IR 8, opset 13) of a single MatMul with dynamic [m,k]×[k,n] inputs. */
export function matMulModelBytes(): Uint8Array {
  const node = [
    ...stringField(1, 'A'),
    ...stringField(1, 'B'),
    ...stringField(2, 'Y'),
    ...stringField(4, 'MatMul'),
  ];
  const graph = [
    ...lengthDelimited(1, node),
    ...stringField(2, 'matmul'),
    ...lengthDelimited(11, float2dValueInfo('A', 'm', 'k')),
    ...lengthDelimited(11, float2dValueInfo('B', 'k', 'n')),
    ...lengthDelimited(12, float2dValueInfo('Y', 'm', 'n')),
  ];
  return Uint8Array.from([
    ...intField(1, 8),
    ...lengthDelimited(8, intField(2, 13)),
    ...lengthDelimited(7, graph),
  ]);
}

const tensorLike = (data: Float32Array, dims: number[]): OrtTensorLike => ({
  type: 'float32',
  dims,
  data,
  location: 'cpu',
});

/**
 * Builds a synchronous MatMul session from the binding module's exports, checking every member it relies on
 * and a 2×3 · 3×2 product computed by hand. Throws with the reason when anything differs.
 */
export function createMatMulSession(bindingModule: unknown, threads: number): SyncSession {
  const mod = bindingModule as { binding?: { InferenceSession?: unknown }; initOrt?: unknown } | undefined;
  const Ctor = mod?.binding?.InferenceSession;
  if (typeof Ctor !== 'function' || typeof mod?.initOrt !== 'function') {
    throw new Error(`${BINDING_MODULE} no longer exports { binding: { InferenceSession }, initOrt }`);
  }
  (mod.initOrt as () => void)();
  const s = new (Ctor as new () => SyncSession)();
  if (typeof s.loadModel !== 'function' || typeof s.run !== 'function') {
    throw new Error('the internal InferenceSession has no loadModel/run methods');
  }
  const model = matMulModelBytes();
  s.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'disabled',
    // Idle intra-op threads would otherwise spin for a while after each product, taking a core from tfjs's
    // own kernels (and from every other process on a small machine) between matmuls.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  // [[1,2,3],[4,5,6]] · [[7,8],[9,10],[11,12]] = [[58,64],[139,154]], written into a preallocated output.
  const y = new Float32Array(4);
  const ret = s.run(
    {
      A: tensorLike(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]),
      B: tensorLike(Float32Array.of(7, 8, 9, 10, 11, 12), [3, 2]),
    },
    { Y: tensorLike(y, [2, 2]) },
  );
  if (ret instanceof Promise) throw new Error('the internal InferenceSession.run is no longer synchronous');
  if (y.join(',') !== '58,64,139,154') {
    throw new Error(`self-test product gave [${y.join(', ')}] instead of [58, 64, 139, 154]`);
  }
  return s;
}

function outerSize(shape: number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length - 2; i++) n *= shape[i] as number;
  return n;
}

const nativeBatchMatMul: tf.KernelFunc = (args) => {
  const { inputs, attrs, backend } = args;
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const fallback = original?.kernelFunc;
  if (!fallback) throw new Error('native BatchMatMul: the original wasm kernel is missing');
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const m = a.shape[aRank - 2] ?? 0;
  const k = a.shape[aRank - 1] ?? 0;
  const n = b.shape[bRank - 1] ?? 0;
  const eligible =
    session !== undefined &&
    a.dtype === 'float32' &&
    b.dtype === 'float32' &&
    !transposeA &&
    !transposeB &&
    aRank >= 2 &&
    bRank >= 2 &&
    outerSize(a.shape) === 1 &&
    outerSize(b.shape) === 1 &&
    b.shape[bRank - 2] === k &&
    m * k * n >= settings.minMacs &&
    m * k * n > 0;
  if (!eligible) {
    counts.fallback++;
    return fallback(args);
  }
  const heap = backend as unknown as WasmBackendHeap;
  const lead = (aRank >= bRank ? a.shape : b.shape).slice(0, -2); // all ones
  const out = heap.makeOutput([...lead, m, n], 'float32');
  try {
    // Views after makeOutput: allocating may grow the wasm memory and detach earlier views.
    (session as SyncSession).run(
      {
        A: tensorLike(heap.typedArrayFromHeap(a), [m, k]),
        B: tensorLike(heap.typedArrayFromHeap(b), [k, n]),
      },
      { Y: tensorLike(heap.typedArrayFromHeap(out), [m, n]) },
    );
  } catch (e) {
    heap.disposeData(out.dataId);
    disableNativeMatMul(`onnxruntime MatMul failed (${e instanceof Error ? e.message : String(e)})`);
    process.stderr.write(`contrastive: native matmul disabled, back to the wasm kernel: ${status.reason}\n`);
    counts.fallback++;
    return fallback(args);
  }
  counts.native++;
  return out;
};

async function loadBindingModule(): Promise<{ binding: unknown; version: string | undefined }> {
  // onnxruntime-node otherwise writes a device id and usage database under ~/.cache/Microsoft (1.30 also a
  // /tmp/mat-debug-<pid>.log); the variable must be set before the library loads. ORT_DISABLE_TELEMETRY=0 opts in.
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  const binding: unknown = await import(/* @vite-ignore */ BINDING_MODULE);
  let version: string | undefined;
  try {
    const v = (await import(/* @vite-ignore */ VERSION_MODULE)) as {
      version?: string;
      default?: { version?: string };
    };
    version = v.version ?? v.default?.version;
  } catch {
    version = undefined;
  }
  // CommonJS interop: the exports may sit on `default`.
  const b = binding as { binding?: unknown; default?: unknown };
  return { binding: b.binding ? b : b.default, version };
}

function parseThreads(): number {
  const env = process.env.CONTRASTIVE_NATIVE_MATMUL_THREADS;
  if (env === undefined || env === '') return DEFAULT_THREADS;
  const t = Number(env);
  if (!Number.isInteger(t) || t < 1) {
    throw new Error(`CONTRASTIVE_NATIVE_MATMUL_THREADS: expected a positive integer, got "${env}"`);
  }
  return t;
}

/**
 * Replaces the wasm backend's `BatchMatMul` with the native one (call after the wasm backend is registered).
 * Never throws for a missing or changed onnxruntime-node: the status says why it stayed off.
 * `loadBinding` is for tests (a binding whose shape changed).
 */
export async function enableNativeMatMul(
  options: NativeMatMulOptions = {},
  loadBinding: () => Promise<{ binding: unknown; version: string | undefined }> = loadBindingModule,
): Promise<NativeMatMulStatus> {
  const threads = options.threads ?? parseThreads();
  const minMacs = options.minMacs ?? DEFAULT_MIN_MACS;
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`nativeMatMul threads: expected a positive integer, got ${threads}`);
  if (!(minMacs >= 0)) throw new Error(`nativeMatMul minMacs: expected a number ≥ 0, got ${minMacs}`);
  counts.native = 0;
  counts.fallback = 0;
  if (session && status.enabled && settings.threads === threads) {
    settings = { threads, minMacs };
    status = { ...status, minMacs };
    return status;
  }
  disableNativeMatMul('reloading');
  let version: string | undefined;
  try {
    const loaded = await loadBinding();
    version = loaded.version;
    session = createMatMulSession(loaded.binding, threads);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    const why = /Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(msg ?? '')
      ? 'onnxruntime-node not installed'
      : msg;
    status = { enabled: false, reason: `${why}${version ? ` (onnxruntime-node ${version})` : ''}` };
    return status;
  }
  const current = tf.getKernel(tf.BatchMatMul, 'wasm');
  if (!current) {
    session = undefined;
    status = { enabled: false, reason: 'the wasm backend has no BatchMatMul kernel (is it loaded?)' };
    return status;
  }
  original = current;
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  // Keep the original's setupFunc/disposeFunc: a re-initialized wasm backend still sets up its fallback.
  tf.registerKernel({ ...current, kernelFunc: nativeBatchMatMul });
  settings = { threads, minMacs };
  status = { enabled: true, threads, minMacs, version };
  if (version && version !== PINNED_ONNXRUNTIME_VERSION) {
    status.reason = `onnxruntime-node ${version} is not the pinned ${PINNED_ONNXRUNTIME_VERSION}; its self-test passed`;
  }
  return status;
}

/** Puts the original wasm `BatchMatMul` back (no-op when the native one is not registered). */
export function disableNativeMatMul(reason = 'disabled'): void {
  if (original) {
    tf.unregisterKernel(tf.BatchMatMul, 'wasm');
    tf.registerKernel(original);
    original = undefined;
  }
  session?.dispose?.();
  session = undefined;
  status = { enabled: false, reason };
}

export function nativeMatMulStatus(): NativeMatMulStatus {
  return { ...status };
}

/** Counts since the last `enableNativeMatMul` call (for tests and profiling: which products really went native). */
export function nativeMatMulCounts(): NativeMatMulCounts {
  return { ...counts };
}
