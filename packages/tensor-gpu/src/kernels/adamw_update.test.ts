import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { markNonzeroRows, squaredNorm } from '../host_view.js';
import { AdamW, setFusedAdamW } from '../optim/adamw.js';
import { tf } from '../tf.js';
import {
  ADAMW_UPDATE_KERNEL,
  ROW_SPARSE_MIN_ROWS,
  adamwUpdate,
  fusedAdamWAvailable,
} from './adamw_update.js';
import { tfjsWasmHeap } from './simd/host_kernels.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm', nativeMatMul: false });
});

// Each test sets the fused switch it needs (on by default, see adamw.ts); reset to the default after each.
afterEach(() => setFusedAdamW(process.env.CONTRASTIVE_FUSED_ADAMW !== '0'));

/** Deterministic values in roughly [-1, 1] that differ per element and per seed. */
function wave(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(i * 0.37 + seed * 1.7) * Math.cos(i * 0.011 + seed);
  return out;
}

/** Runs `steps` AdamW steps on two parameters (one decayed, one not) and returns their final values. */
function trajectory(fused: boolean, sizes: { big: number; small: number }, steps: number, wd: number) {
  setFusedAdamW(fused);
  const w = tf.tidy(() => tf.variable(tf.tensor1d(wave(sizes.big, 0))));
  const bias = tf.tidy(() => tf.variable(tf.tensor1d(wave(sizes.small, 1))));
  const opt = new AdamW(
    [
      { name: 'layer.dense.weight', variable: w },
      { name: 'layer.dense.bias', variable: bias },
    ],
    { lr: 0.01, weightDecay: wd },
  );
  for (let s = 1; s <= steps; s++) {
    tf.tidy(() =>
      opt.applyGradients({
        // Gradients with a large dynamic range, so m/√v is not trivially ±1.
        'layer.dense.weight': tf.mul(tf.tensor1d(wave(sizes.big, 10 + s)), 10 ** (s % 3)),
        'layer.dense.bias': tf.tensor1d(wave(sizes.small, 20 + s)),
      }),
    );
  }
  const out = { w: w.dataSync().slice(), bias: bias.dataSync().slice() };
  opt.dispose();
  w.dispose();
  bias.dispose();
  return out;
}

/**
 * Largest difference relative to the largest value: the fused loop rounds once per element, the composite ops
 * once per op, so elements that cancel to ~0 differ by an ulp of their inputs, not of themselves.
 */
function maxScaledDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return worst / scale;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-6);
    if (d > worst) worst = d;
  }
  return worst;
}

describe('fused AdamW kernel on wasm', () => {
  it('is registered with the wasm backend', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel(ADAMW_UPDATE_KERNEL, 'wasm')).toBeDefined();
    expect(fusedAdamWAvailable()).toBe(true);
  });

  it('computes one torch AdamW step by hand (double precision, 1e-6)', () => {
    const [p, g, m, v] = [
      [0.5, -1.5, 2],
      [0.3, -1, 4],
      [0.1, 0.2, -0.3],
      [0.01, 0.04, 0.5],
    ];
    const [b1, b2, eps, lr, wd, t] = [0.9, 0.999, 1e-8, 0.1, 0.3, 2];
    const moments = { m: Float32Array.from(m!), v: Float32Array.from(v!) };
    const pNew = tf.tidy(() =>
      Array.from(
        adamwUpdate(tf.tensor1d(p!), tf.tensor1d(g!), moments, {
          beta1: b1,
          beta2: b2,
          eps,
          decayFactor: 1 - lr * wd,
          stepSize: lr / (1 - b1 ** t),
          sqrtBiasCorrection2: Math.sqrt(1 - b2 ** t),
        }).dataSync(),
      ),
    );
    for (let i = 0; i < 3; i++) {
      const mi = b1 * m![i]! + (1 - b1) * g![i]!;
      const vi = b2 * v![i]! + (1 - b2) * g![i]! ** 2;
      const pi =
        p![i]! * (1 - lr * wd) - (lr / (1 - b1 ** t)) * (mi / (Math.sqrt(vi) / Math.sqrt(1 - b2 ** t) + eps));
      expect(pNew[i]).toBeCloseTo(pi, 6);
      // The moments live in host memory and are updated in place.
      expect(moments.m[i]).toBeCloseTo(mi, 6);
      expect(moments.v[i]).toBeCloseTo(vi, 6);
    }
  });

  for (const wd of [0.01, 0]) {
    it(`matches the composite ops over several steps (weight decay ${wd}, large and small tensor)`, () => {
      const sizes = { big: 300_001, small: 7 };
      const before = tf.memory().numTensors;
      const composite = trajectory(false, sizes, 4, wd);
      const fused = trajectory(true, sizes, 4, wd);
      expect(tf.memory().numTensors).toBe(before);
      expect(maxScaledDiff(fused.w, composite.w)).toBeLessThan(1e-6);
      expect(maxScaledDiff(fused.bias, composite.bias)).toBeLessThan(1e-6);
      // The update did move the parameters (the comparison is not between two untouched copies).
      expect(maxRelDiff(fused.w, wave(sizes.big, 0))).toBeGreaterThan(1e-3);
    });
  }

  it('leaks no tensors across steps and keeps the inputs untouched', () => {
    setFusedAdamW(true);
    const w = tf.tidy(() => tf.variable(tf.tensor1d(wave(1000, 3))));
    const opt = new AdamW([{ name: 'w', variable: w }], { lr: 0.01 });
    const g = tf.tensor1d(wave(1000, 4));
    const gBefore = g.dataSync().slice();
    tf.tidy(() => opt.applyGradients({ w: g })); // first step creates the moment variables
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tf.tidy(() => opt.applyGradients({ w: g }));
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(g.dataSync())).toEqual(Array.from(gBefore));
    g.dispose();
    opt.dispose();
    w.dispose();
  });

  it('exports and reloads state so a fused resumed run continues like the composite one', async () => {
    const run = async (fused: boolean) => {
      setFusedAdamW(fused);
      const a = tf.variable(tf.tensor1d(wave(50, 5)));
      const optA = new AdamW([{ name: 'p', variable: a }], { lr: 0.05, weightDecay: 0.1 });
      for (let s = 1; s <= 2; s++) tf.tidy(() => optA.applyGradients({ p: tf.tensor1d(wave(50, 30 + s)) }));
      const state = await optA.exportState();
      const b = tf.variable(a.clone());
      const optB = new AdamW([{ name: 'p', variable: b }], { lr: 0.05, weightDecay: 0.1 });
      optB.loadState(state);
      tf.tidy(() => optB.applyGradients({ p: tf.tensor1d(wave(50, 33)) }));
      const out = { state, p: b.dataSync().slice() };
      for (const x of [optA, optB, a, b]) x.dispose();
      return out;
    };
    const composite = await run(false);
    const fused = await run(true);
    expect(fused.state.step).toBe(2);
    expect(maxScaledDiff(fused.state.m.p!, composite.state.m.p!)).toBeLessThan(1e-6);
    expect(maxScaledDiff(fused.state.v.p!, composite.state.v.p!)).toBeLessThan(1e-6);
    expect(maxScaledDiff(fused.p, composite.p)).toBeLessThan(1e-6);
  });

  it('rejects mismatched inputs by name', () => {
    const attrs = {
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      decayFactor: 1,
      stepSize: 0.1,
      sqrtBiasCorrection2: 1,
    };
    const moments = { m: new Float32Array(3), v: new Float32Array(3) };
    expect(() => tf.tidy(() => adamwUpdate(tf.zeros([3]), tf.zeros([4]), moments, attrs))).toThrow(
      /input "g" has 4 values, p has 3/,
    );
    expect(() =>
      tf.tidy(() =>
        adamwUpdate(tf.zeros([3]), tf.zeros([3]), { m: new Float32Array(2), v: moments.v }, attrs),
      ),
    ).toThrow(/moment "m" must be a Float32Array of 3 values/);
  });

  it('keeps the moments off the wasm heap, and moves them when the backend changes mid-run', async () => {
    setFusedAdamW(true);
    const w = tf.variable(tf.tensor1d(wave(64, 7)));
    const opt = new AdamW([{ name: 'w', variable: w }], { lr: 0.01 });
    const g = tf.tensor1d(wave(64, 8));
    const before = tf.memory().numTensors;
    opt.applyGradients({ w: g });
    expect(tf.memory().numTensors).toBe(before); // no moment tensors: they are host arrays
    const reference = await opt.exportState();
    // Composite path from now on: the moments become tfjs variables with the same values.
    setFusedAdamW(false);
    opt.applyGradients({ w: g });
    expect(tf.memory().numTensors).toBe(before + 2);
    setFusedAdamW(true);
    opt.applyGradients({ w: g });
    expect(tf.memory().numTensors).toBe(before);
    expect((await opt.exportState()).step).toBe(3);
    expect(reference.m.w!.length).toBe(64);
    for (const x of [opt, g, w]) x.dispose();
  });

  describe('gradients the update consumes (disposeGradients)', () => {
    const dataIdOf = (t: tf.Tensor) => (t as unknown as { dataId: object }).dataId;
    /** A vocabulary-sized table (row-sparse path) and a dense weight, each with its own variable. */
    const params = () => ({
      table: tf.tidy(() =>
        tf.variable(tf.tensor2d(wave(ROW_SPARSE_MIN_ROWS * 4, 40), [ROW_SPARSE_MIN_ROWS, 4])),
      ),
      dense: tf.tidy(() => tf.variable(tf.tensor1d(wave(1001, 41)))),
    });
    /** Step s's gradients: the table's on rows 3 and 5 only (marked), the dense one everywhere. */
    const gradients = (s: number) => {
      const rows = new Float32Array(ROW_SPARSE_MIN_ROWS * 4);
      rows.set(wave(4, 50 + s), 3 * 4);
      rows.set(wave(4, 60 + s), 5 * 4);
      const table = tf.tensor2d(rows, [ROW_SPARSE_MIN_ROWS, 4]);
      markNonzeroRows(table, Int32Array.of(3, 5));
      return { table, dense: tf.tensor1d(wave(1001, 70 + s)) };
    };
    const named = (p: ReturnType<typeof params>) => [
      { name: 'embeddings.word_embeddings.weight', variable: p.table },
      { name: 'layer.dense.weight', variable: p.dense },
    ];
    const toMap = (g: ReturnType<typeof gradients>) => ({
      'embeddings.word_embeddings.weight': g.table,
      'layer.dense.weight': g.dense,
    });

    it('writes each new parameter over its gradient, with the values a separate output gets', () => {
      setFusedAdamW(true);
      const kept = params();
      const consumed = params();
      const optKept = new AdamW(named(kept), { lr: 0.01, weightDecay: 0.1 });
      const optConsumed = new AdamW(named(consumed), { lr: 0.01, weightDecay: 0.1 });
      const before = tf.memory().numTensors;
      for (let s = 1; s <= 3; s++) {
        const gk = gradients(s);
        optKept.applyGradients(toMap(gk));
        tf.dispose([gk.table, gk.dense]);
        const gc = gradients(s);
        // Facts recorded about the gradient's values (its Σ g²) must not outlive them.
        squaredNorm(gc.table);
        const ids = { table: dataIdOf(gc.table), dense: dataIdOf(gc.dense) };
        optConsumed.applyGradients(toMap(gc), { disposeGradients: true });
        expect(gc.table.isDisposed && gc.dense.isDisposed).toBe(true);
        // The parameters now hold the gradients' data (no new blocks)...
        expect(dataIdOf(consumed.table)).toBe(ids.table);
        expect(dataIdOf(consumed.dense)).toBe(ids.dense);
        expect(dataIdOf(kept.table)).not.toBe(dataIdOf(consumed.table));
        // ...with exactly the values of the run that kept its gradients.
        expect(Array.from(consumed.table.dataSync())).toEqual(Array.from(kept.table.dataSync()));
        expect(Array.from(consumed.dense.dataSync())).toEqual(Array.from(kept.dense.dataSync()));
        const values = consumed.table.dataSync();
        let sum = 0;
        for (let i = 0; i < values.length; i++) sum += values[i]! * values[i]!;
        expect(squaredNorm(consumed.table)).toBeCloseTo(sum, 6);
      }
      expect(tf.memory().numTensors).toBe(before);
      // The update moved the table's untouched rows too (weight decay), not only rows 3 and 5.
      expect(consumed.table.dataSync()[0]).not.toBe(wave(1, 40)[0]);
      for (const x of [optKept, optConsumed, kept.table, kept.dense, consumed.table, consumed.dense])
        x.dispose();
    });

    it('leaves a gradient whose data another tensor shares, or that serves two parameters', () => {
      setFusedAdamW(true);
      const reference = params();
      const shared = params();
      const optReference = new AdamW(named(reference), { lr: 0.01 });
      const optShared = new AdamW(named(shared), { lr: 0.01 });
      const gr = gradients(1);
      optReference.applyGradients(toMap(gr));
      const gs = gradients(1);
      const alias = gs.dense.clone(); // same data as the dense gradient
      const aliasBefore = alias.dataSync().slice();
      optShared.applyGradients(toMap(gs), { disposeGradients: true });
      expect(Array.from(alias.dataSync())).toEqual(Array.from(aliasBefore));
      expect(dataIdOf(shared.dense)).not.toBe(dataIdOf(alias));
      expect(Array.from(shared.dense.dataSync())).toEqual(Array.from(reference.dense.dataSync()));
      // One tensor as the gradient of two parameters: both updates read its original values, then it is disposed.
      const a = tf.variable(tf.tensor1d(wave(33, 80)));
      const b = tf.variable(tf.tensor1d(wave(33, 81)));
      const ra = tf.variable(tf.tensor1d(wave(33, 80)));
      const rb = tf.variable(tf.tensor1d(wave(33, 81)));
      const g = tf.tensor1d(wave(33, 82));
      const optRa = new AdamW(
        [
          { name: 'a', variable: ra },
          { name: 'b', variable: rb },
        ],
        { lr: 0.01 },
      );
      optRa.applyGradients({ a: g, b: g });
      expect(g.isDisposed).toBe(false);
      const optA = new AdamW(
        [
          { name: 'a', variable: a },
          { name: 'b', variable: b },
        ],
        { lr: 0.01 },
      );
      optA.applyGradients({ a: g, b: g }, { disposeGradients: true });
      expect(g.isDisposed).toBe(true);
      expect(Array.from(a.dataSync())).toEqual(Array.from(ra.dataSync()));
      expect(Array.from(b.dataSync())).toEqual(Array.from(rb.dataSync()));
      for (const o of [optReference, optShared, optRa, optA]) o.dispose();
      tf.dispose([
        gr.table,
        gr.dense,
        alias,
        a,
        b,
        ra,
        rb,
        ...Object.values(reference),
        ...Object.values(shared),
      ]);
    });

    it('grows the heap in the first step only: moments for every parameter first, new values in place', () => {
      setFusedAdamW(true);
      const heap = tfjsWasmHeap(tf.backend())!;
      // Large enough that the heap must grow for them: 3 × 4M values (48 MiB of weights).
      const n = 4 * 1024 * 1024;
      const vars = [0, 1, 2].map((i) => tf.tidy(() => tf.variable(tf.fill([n], 0.5 + i))));
      const opt = new AdamW(
        vars.map((variable, i) => ({ name: `layer.${i}.weight`, variable })),
        { lr: 0.01 },
      );
      const step = (s: number) =>
        opt.applyGradients(
          Object.fromEntries(vars.map((_, i) => [`layer.${i}.weight`, tf.fill([n], 0.1 * s + i)])),
          {
            disposeGradients: true,
          },
        );
      step(1);
      const afterFirst = heap.buffer.byteLength;
      for (let s = 2; s <= 4; s++) step(s);
      expect(heap.buffer.byteLength).toBe(afterFirst);
      opt.dispose();
      tf.dispose(vars);
    });
  });
});
