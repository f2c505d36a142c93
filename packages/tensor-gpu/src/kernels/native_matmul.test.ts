import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { linear } from '../ops/linear.js';
import { tf } from '../tf.js';
import {
  PINNED_ONNXRUNTIME_VERSION,
  createMatMulSession,
  disableNativeMatMul,
  enableNativeMatMul,
  matMulModelBytes,
  nativeMatMulCounts,
  nativeMatMulStatus,
} from './native_matmul.js';

/** Deterministic values in [-1, 1) without a seedable tfjs RNG in play. */
function filled(shape: number[], salt: number): tf.Tensor {
  const size = shape.reduce((p, c) => p * c, 1);
  const v = new Float32Array(size);
  for (let i = 0; i < size; i++) v[i] = Math.sin(i * 0.37 + salt) * Math.cos(i * 0.011 + 2 * salt);
  return tf.tensor(v, shape);
}

/** max |x − y| / max |y|: one relative error for the whole result. */
function relativeError(x: Float32Array | number[], y: Float32Array | number[]): number {
  expect(x.length).toBe(y.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs((x[i] as number) - (y[i] as number)));
    scale = Math.max(scale, Math.abs(y[i] as number));
  }
  return diff / (scale || 1);
}

describe('native BatchMatMul (onnxruntime-node) on wasm', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });
  afterAll(() => disableNativeMatMul());

  it('finds the pinned onnxruntime-node internal binding and passes its self-test', async () => {
    const status = await enableNativeMatMul({ threads: 1, minMacs: 0 });
    // If this fails after an onnxruntime-node upgrade, the internal synchronous binding moved: see native_matmul.ts.
    expect(status).toMatchObject({ enabled: true, threads: 1, version: PINNED_ONNXRUNTIME_VERSION });
    expect(status.reason).toBeUndefined();
  });

  it('equals the wasm kernel for several shapes, odd sizes included', async () => {
    const shapes: [number, number, number][] = [
      [7, 13, 5],
      [37, 129, 67],
      [1, 384, 384],
      [576, 384, 1536],
      [64, 1536, 3],
    ];
    for (const [m, k, n] of shapes) {
      const results: Record<string, Float32Array> = {};
      for (const mode of ['wasm', 'native'] as const) {
        if (mode === 'native') await enableNativeMatMul({ threads: 1, minMacs: 0 });
        else disableNativeMatMul('reference');
        results[mode] = tf.tidy(
          () => tf.matMul(filled([m, k], 1), filled([k, n], 2)).dataSync() as Float32Array,
        );
      }
      expect(nativeMatMulCounts()).toEqual({ native: 1, fallback: 0 });
      expect(relativeError(results.native!, results.wasm!), `[${m},${k}]×[${k},${n}]`).toBeLessThan(1e-4);
    }
    // And against a product computed here: row 2, column 3 of [7,13]×[13,5].
    const [a, b, y] = tf.tidy(() => {
      const ta = filled([7, 13], 1);
      const tb = filled([13, 5], 2);
      return [ta.arraySync(), tb.arraySync(), tf.matMul(ta, tb).arraySync()] as number[][][];
    });
    let dot = 0;
    for (let i = 0; i < 13; i++) dot += a![2]![i]! * b![i]![3]!;
    expect(y![2]![3]).toBeCloseTo(dot, 5);
  });

  it('gives a dense layer the same gradients as the wasm kernel', async () => {
    const run = () =>
      tf.tidy(() => {
        const x = filled([3, 40, 48], 3); // rank 3: linear reshapes it to [120, 48]
        const w = filled([48, 72], 4) as tf.Tensor2D;
        const bias = filled([72], 5) as tf.Tensor1D;
        const probe = filled([3, 40, 72], 6);
        const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
          tf.sum(tf.mul(linear(xx, ww as tf.Tensor2D, bb as tf.Tensor1D), probe));
        const { value, grads } = tf.valueAndGrads(f)([x, w, bias]);
        return [value, ...grads].map((t) => t.dataSync() as Float32Array);
      });
    disableNativeMatMul('reference');
    const wasm = run();
    await enableNativeMatMul({ threads: 1, minMacs: 0 });
    const native = run();
    // Forward, dx = dy·Wᵀ and dW = xᵀ·dy: three plain products, all native.
    expect(nativeMatMulCounts()).toEqual({ native: 3, fallback: 0 });
    expect(native).toHaveLength(4);
    for (let i = 0; i < wasm.length; i++) {
      expect(relativeError(native[i]!, wasm[i]!), `output ${i}`).toBeLessThan(1e-4);
    }
  });

  it('sends transposed, batched and small products to the original kernel', async () => {
    await enableNativeMatMul({ threads: 1, minMacs: 10_000 });
    const a = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    const b = [
      [7, 8],
      [9, 10],
      [11, 12],
    ];
    const ab = [
      [58, 64],
      [139, 154],
    ];
    const out = tf.tidy(() => {
      const ta = tf.tensor2d(a);
      const tb = tf.tensor2d(b);
      return {
        small: tf.matMul(ta, tb).arraySync(),
        transposedA: tf.matMul(tf.transpose(ta), tf.transpose(tb), true, true).arraySync(),
        transposedB: tf.matMul(ta, tf.transpose(tb), false, true).arraySync(),
        batched: tf.matMul(tf.stack([ta, tf.mul(ta, 2)]), tf.stack([tb, tb])).arraySync(),
      };
    });
    expect(out.small).toEqual(ab);
    expect(out.transposedA).toEqual(ab);
    expect(out.transposedB).toEqual(ab);
    expect(out.batched).toEqual([ab, ab.map((r) => r.map((v) => 2 * v))]);
    expect(nativeMatMulCounts()).toEqual({ native: 0, fallback: 4 });
    // A large transposed product also stays on wasm; the same product without the flag goes native.
    const big = tf.tidy(() => {
      const x = filled([64, 200], 7);
      const w = filled([200, 50], 8);
      return {
        flagged: tf.matMul(x, tf.transpose(w), false, true).dataSync() as Float32Array,
        plain: tf.matMul(x, w).dataSync() as Float32Array,
      };
    });
    expect(nativeMatMulCounts()).toEqual({ native: 1, fallback: 5 });
    expect(relativeError(big.plain, big.flagged)).toBeLessThan(1e-4);
  });

  it('leaks no tensors and no wasm memory', async () => {
    await enableNativeMatMul({ threads: 1, minMacs: 0 });
    const x = filled([33, 65], 9);
    const w = filled([65, 17], 10);
    const step = () => tf.tidy(() => tf.sum(tf.matMul(x, w)).dataSync());
    step();
    const before = tf.memory();
    for (let i = 0; i < 5; i++) step();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
    expect(nativeMatMulCounts().native).toBe(6);
    tf.dispose([x, w]);
  });

  it('stays off with a reason when the binding has changed shape', async () => {
    disableNativeMatMul();
    const broken = await enableNativeMatMul({ threads: 1 }, async () => ({
      binding: { binding: {}, initOrt: () => {} },
      version: '9.9.9',
    }));
    expect(broken.enabled).toBe(false);
    expect(broken.reason).toMatch(
      /no longer exports \{ binding: \{ InferenceSession \}, initOrt \}.*9\.9\.9/,
    );
    const missing = await enableNativeMatMul({}, async () => {
      throw new Error("Cannot find module 'onnxruntime-node/dist/binding.js'");
    });
    expect(missing).toEqual({ enabled: false, reason: 'onnxruntime-node not installed' });
    // A session whose run is asynchronous now (or computes something else) fails the self-test.
    class AsyncSession {
      loadModel() {}
      run() {
        return Promise.resolve({});
      }
    }
    expect(() =>
      createMatMulSession({ binding: { InferenceSession: AsyncSession }, initOrt: () => {} }, 1),
    ).toThrow(/no longer synchronous/);
    class WrongSession {
      loadModel() {}
      run() {
        return {};
      }
    }
    expect(() =>
      createMatMulSession({ binding: { InferenceSession: WrongSession }, initOrt: () => {} }, 1),
    ).toThrow('self-test product gave [0, 0, 0, 0] instead of [58, 64, 139, 154]');
    // The wasm kernel is still the one registered: products work.
    expect(tf.tidy(() => tf.matMul(tf.tensor2d([[2]]), tf.tensor2d([[3]])).arraySync())).toEqual([[6]]);
  });

  it('is enabled by initBackend and named in its summary', async () => {
    const report = await initBackend({ backend: 'wasm', nativeMatMul: true, nativeMatMulThreads: 1 });
    expect(report.nativeMatMul).toMatchObject({ enabled: true, threads: 1 });
    expect(report.summary).toMatch(/native matmul: onnxruntime-node 1\.31\.1, 1 thread\b/);
    const off = await initBackend({ backend: 'wasm', nativeMatMul: false });
    expect(off.nativeMatMul).toBeUndefined();
    expect(nativeMatMulStatus()).toEqual({ enabled: false, reason: 'disabled by option' });
  });

  it('reads CONTRASTIVE_NATIVE_MATMUL and its threads from the environment', async () => {
    const saved = {
      on: process.env.CONTRASTIVE_NATIVE_MATMUL,
      threads: process.env.CONTRASTIVE_NATIVE_MATMUL_THREADS,
    };
    try {
      process.env.CONTRASTIVE_NATIVE_MATMUL = '1';
      process.env.CONTRASTIVE_NATIVE_MATMUL_THREADS = '1';
      const report = await initBackend({ backend: 'wasm' });
      expect(report.nativeMatMul).toMatchObject({ enabled: true, threads: 1 });
      process.env.CONTRASTIVE_NATIVE_MATMUL = 'maybe';
      expect(() => initBackend({ backend: 'wasm' })).toThrow(
        'CONTRASTIVE_NATIVE_MATMUL: expected 1 or 0, got "maybe"',
      );
      process.env.CONTRASTIVE_NATIVE_MATMUL = '0';
      await initBackend({ backend: 'wasm' });
      expect(nativeMatMulStatus().enabled).toBe(false);
    } finally {
      for (const [name, value] of [
        ['CONTRASTIVE_NATIVE_MATMUL', saved.on],
        ['CONTRASTIVE_NATIVE_MATMUL_THREADS', saved.threads],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('encodes the MatMul model as protobuf bytes starting with ir_version 8', () => {
    const bytes = matMulModelBytes();
    expect([...bytes.slice(0, 2)]).toEqual([0x08, 8]); // field 1 varint = 8
    expect(new TextDecoder().decode(bytes)).toContain('MatMul');
  });
});
