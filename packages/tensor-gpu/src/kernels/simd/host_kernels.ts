import { WASM_BASE64 } from './host_kernels_wasm.js';

/** The parts of the WebAssembly API used here (Node 20's type definitions do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}
const WASM = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The functions of host_kernels.wat (byte offsets into the instance's memory, element counts). */
interface HostKernelExports {
  adamw(
    p: number,
    g: number,
    m: number,
    v: number,
    out: number,
    n: number,
    b1: number,
    c1: number,
    b2: number,
    c2: number,
    eps: number,
    decay: number,
    step: number,
    bc2: number,
    gscale: number,
  ): void;
  sum_squares(x: number, n: number): number;
  dropout_mask(out: number, n: number, seed: number, threshold: number, keep: number): void;
  scale(p: number, out: number, n: number, s: number): void;
  nonzero_rows(x: number, rows: number, cols: number, flags: number): void;
  scatter_add_rows(dst: number, src: number, idx: number, n: number, cols: number): void;
}

let compiled: object | null | undefined;

/** The compiled module, or undefined where this runtime has no wasm SIMD (callers then run their JS loops). */
function hostKernelModule(): object | undefined {
  if (compiled === undefined) {
    try {
      const bytes = Uint8Array.from(atob(WASM_BASE64), (c) => c.charCodeAt(0));
      compiled = new WASM.Module(bytes);
    } catch {
      compiled = null;
    }
  }
  return compiled ?? undefined;
}

const byMemory = new WeakMap<WasmMemory, HostKernelExports>();

/** The kernels over `memory` (tfjs-wasm's heap, or one of our own), instantiated once per memory. */
export function hostKernelsOn(memory: WasmMemory): HostKernelExports | undefined {
  let k = byMemory.get(memory);
  if (!k) {
    const mod = hostKernelModule();
    if (!mod) return undefined;
    k = new WASM.Instance(mod, { env: { memory } }).exports as unknown as HostKernelExports;
    byMemory.set(memory, k);
  }
  return k;
}

/** Grows `memory` (whole 64 KiB pages) to hold at least `bytes`. */
function ensureBytes(memory: WasmMemory, bytes: number): void {
  const need = Math.ceil(bytes / 65536);
  const have = memory.buffer.byteLength / 65536;
  if (need > have) memory.grow(need - have);
}

/**
 * `dropoutMask(n, rate, seed)`'s values written into `view()`, a view on `memory` taken after the rate check
 * (by the SIMD kernel on that memory where wasm SIMD is available). `who` names the caller in the rate error.
 */
function drawMask(
  memory: WasmMemory,
  view: () => Float32Array,
  rate: number,
  seed: number,
  who: string,
): Float32Array {
  if (!(rate >= 0) || rate >= 1) throw new Error(`${who}: rate must be in [0, 1), got ${rate}`);
  const out = view();
  if (rate === 0) return out.fill(1);
  // draw ≥ rate·2³² (a real) ⇔ draw ≥ ⌈rate·2³²⌉ (an integer): one unsigned compare per value.
  const threshold = Math.ceil(rate * 4294967296);
  if (threshold > 0xffffffff) return out.fill(0);
  const n = out.length;
  const k = n > 0 ? hostKernelsOn(memory) : undefined;
  if (k) k.dropout_mask(out.byteOffset, n, seed | 0, threshold | 0, 1 / (1 - rate));
  else out.set(dropoutMaskScalar(n, rate, seed));
  return out;
}

/** `dropoutMask`'s memory of its own (grown on demand), where each mask is drawn before it is copied out. */
let scratch: WasmMemory | undefined;

/**
 * Inverted-dropout mask of `n` values: 0 with probability `rate`, else 1/(1−rate), from mulberry32 draws after
 * `seed` (draw i decides value i), so a pass is reproducible from its seed. Wasm SIMD draws four values at
 * once, bit for bit the scalar generator's masks (test).
 */
export function dropoutMask(
  n: number,
  rate: number,
  seed: number,
  /** Write the mask into `into.array` from `into.offset` (no new array) and return that array. */
  into?: { array: Float32Array; offset: number },
): Float32Array {
  scratch ??= new WASM.Memory({ initial: 1 });
  const memory = scratch;
  const mask = drawMask(
    memory,
    () => {
      if (into && (into.offset < 0 || into.offset + n > into.array.length))
        throw new Error(`dropoutMask: ${n} values from ${into.offset} do not fit ${into.array.length}`);
      ensureBytes(memory, n * 4);
      return new Float32Array(memory.buffer, 0, n);
    },
    rate,
    seed,
    'dropoutMask',
  );
  if (!into) return mask.slice();
  into.array.set(mask, into.offset);
  return into.array;
}

/**
 * Dropout masks drawn straight into a memory of their own, each a view on it (no copy per mask): the masks of
 * one pass, handed to onnxruntime as they are. `reserve(n)` sizes it for `n` values (views taken before a
 * `reserve` are not valid after it); `draw(offset, n, rate, seed)` writes values `[offset, offset + n)` exactly
 * as `dropoutMask(n, rate, seed)` and returns their view.
 */
export class DropoutMaskBuffer {
  private readonly memory = new WASM.Memory({ initial: 1 });
  private size = 0;

  reserve(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0)
      throw new Error(`DropoutMaskBuffer.reserve: n must be a non-negative integer, got ${n}`);
    ensureBytes(this.memory, n * 4);
    this.size = n;
  }

  /** Values `[offset, offset + n)` as drawn so far (several draws side by side as one mask). */
  view(offset: number, n: number): Float32Array {
    if (!(offset >= 0) || offset + n > this.size)
      throw new Error(
        `DropoutMaskBuffer.view: ${n} values from ${offset} do not fit the ${this.size} reserved`,
      );
    return new Float32Array(this.memory.buffer, offset * 4, n);
  }

  draw(offset: number, n: number, rate: number, seed: number): Float32Array {
    return drawMask(this.memory, () => this.view(offset, n), rate, seed, 'DropoutMaskBuffer.draw');
  }
}

/**
 * The seed whose mask continues `seed`'s after `draws` values: `dropoutMask(a + b, r, seed)` is
 * `dropoutMask(a, r, seed)` followed by `dropoutMask(b, r, dropoutSeedAfter(seed, a))` (mulberry32 is
 * counter-based: draw i hashes seed + (i+1)·0x6d2b79f5).
 */
export function dropoutSeedAfter(seed: number, draws: number): number {
  if (!Number.isSafeInteger(draws) || draws < 0)
    throw new Error(`dropoutSeedAfter: draws must be a non-negative integer, got ${draws}`);
  // Math.imul takes draws mod 2³² exactly (ToInt32) and multiplies mod 2³².
  return (seed + Math.imul(draws, 0x6d2b79f5)) >>> 0;
}

/** The scalar generator (the definition the SIMD kernel is held to; also the fallback without wasm SIMD). */
export function dropoutMaskScalar(n: number, rate: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  if (rate <= 0) return out.fill(1);
  if (rate >= 1) throw new Error(`dropoutMask: rate must be < 1, got ${rate}`);
  const keep = 1 / (1 - rate);
  const threshold = rate * 4294967296;
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    out[i] = (x ^ (x >>> 14)) >>> 0 >= threshold ? keep : 0;
  }
  return out;
}

/** The tfjs-wasm backend's heap, where the wasm backend is active (its module's exported memory). */
export function tfjsWasmHeap(backend: unknown): WasmMemory | undefined {
  const memory = (backend as { wasm?: { asm?: { memory?: unknown } } } | undefined)?.wasm?.asm?.memory;
  return memory instanceof WASM.Memory ? memory : undefined;
}
