import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../backend.js';
import { globalNorm, markNonzeroRows } from '../../host_view.js';
import { tf } from '../../tf.js';
import {
  HeapMoments,
  ROW_SPARSE_MIN_ROWS,
  adamwUpdate,
  allocateHeapMoments,
  setSimdAdamW,
} from '../adamw_update.js';
import {
  DropoutMaskBuffer,
  dropoutMask,
  dropoutMaskScalar,
  dropoutSeedAfter,
  hostKernelsOn,
  tfjsWasmHeap,
} from './host_kernels.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm', nativeMatMul: false });
});
afterEach(() => setSimdAdamW(true));

function wave(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sin(i * 0.37 + seed * 1.7) * Math.cos(i * 0.011 + seed);
  return out;
}

describe('wasm SIMD host kernels', () => {
  it('run on tfjs-wasm heap', () => {
    const heap = tfjsWasmHeap(tf.backend());
    expect(heap).toBeDefined();
    expect(hostKernelsOn(heap!)).toBeDefined();
  });

  it('dropoutMask equals the scalar mulberry32 generator bit for bit (every tail length, any seed)', () => {
    for (const n of [0, 1, 3, 4, 5, 7, 8, 1000, 100_003])
      for (const seed of [0, 1, -5, 0x7fffffff, 0xdeadbeef | 0])
        for (const rate of [0.1, 0.25, 0.5, 0.9]) {
          const simd = dropoutMask(n, rate, seed);
          const scalar = dropoutMaskScalar(n, rate, seed);
          expect(simd.length).toBe(n);
          expect(Buffer.from(simd.buffer).equals(Buffer.from(scalar.buffer))).toBe(true);
        }
  });

  it('dropoutSeedAfter continues a mask: a mask drawn in pieces is the mask drawn at once', () => {
    const seed = 0xdeadbeef;
    const whole = dropoutMaskScalar(1000, 0.4, seed);
    for (const cut of [0, 1, 7, 333, 999, 1000]) {
      const head = dropoutMask(cut, 0.4, seed);
      const tail = dropoutMask(1000 - cut, 0.4, dropoutSeedAfter(seed, cut));
      expect(Array.from([...head, ...tail]), `cut ${cut}`).toEqual(Array.from(whole));
    }
    // Past 2³² draws the counter wraps (mod 2³² arithmetic, exact for large counts).
    expect(dropoutSeedAfter(5, 2 ** 32)).toBe(5);
    expect(dropoutSeedAfter(5, 2 ** 32 + 3)).toBe(dropoutSeedAfter(5, 3));
    expect(() => dropoutSeedAfter(1, -1)).toThrow(/non-negative integer/);
  });

  it('DropoutMaskBuffer draws masks side by side as views, each the scalar generator’s mask bit for bit', () => {
    const buffer = new DropoutMaskBuffer();
    // Sizes that leave unaligned offsets (the SIMD kernel stores four values at a time) and a zero rate.
    const draws = [
      { n: 5, rate: 0.1, seed: 1 },
      { n: 1003, rate: 0.25, seed: -7 },
      { n: 70_001, rate: 0.5, seed: 0xdeadbeef | 0 },
      { n: 3, rate: 0, seed: 4 },
    ];
    buffer.reserve(draws.reduce((n, d) => n + d.n, 0));
    let offset = 0;
    const views = draws.map(({ n, rate, seed }) => {
      const view = buffer.draw(offset, n, rate, seed);
      offset += n;
      return view;
    });
    // Each view still holds its own mask after the later draws, and shares the buffer (no copies).
    draws.forEach(({ n, rate, seed }, i) => {
      const want = rate === 0 ? new Float32Array(n).fill(1) : dropoutMaskScalar(n, rate, seed);
      expect(Buffer.from(views[i]!.slice().buffer).equals(Buffer.from(want.buffer)), `draw ${i}`).toBe(true);
      expect(views[i]!.buffer).toBe(views[0]!.buffer);
    });
    expect(Array.from(buffer.view(5, 1003))).toEqual(Array.from(views[1]!));
    expect(() => buffer.draw(offset - 2, 3, 0.1, 1)).toThrow(
      /3 values from 71010 do not fit the 71012 reserved/,
    );
    expect(() => buffer.draw(0, 1, 1, 1)).toThrow(/DropoutMaskBuffer.draw: rate must be in \[0, 1\)/);
    expect(() => buffer.reserve(-1)).toThrow(/non-negative integer/);
  });

  it('dropoutMask keeps 1 − rate of the values, scaled by 1/(1 − rate)', () => {
    const m = dropoutMask(200_000, 0.1, 42);
    const kept = m.filter((x) => x !== 0);
    expect(kept.length / m.length).toBeCloseTo(0.9, 2);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.9)]));
    expect(dropoutMask(5, 0, 3)).toEqual(Float32Array.from([1, 1, 1, 1, 1]));
    expect(() => dropoutMask(5, 1, 3)).toThrow(/rate/);
    // Into an existing array at an offset: the same values, the rest untouched.
    const into = new Float32Array(20).fill(7);
    expect(dropoutMask(13, 0.5, 9, { array: into, offset: 4 })).toBe(into);
    expect(into.subarray(4, 17)).toEqual(dropoutMask(13, 0.5, 9));
    expect([...into.subarray(0, 4), ...into.subarray(17)]).toEqual([7, 7, 7, 7, 7, 7, 7]);
    expect(() => dropoutMask(13, 0.5, 9, { array: into, offset: 10 })).toThrow(/fit/);
    // A prefix of a longer mask is the shorter mask (draw i decides value i).
    expect(dropoutMask(1001, 0.25, 7).subarray(0, 1000)).toEqual(dropoutMask(1000, 0.25, 7));
  });

  it('globalNorm sums squares in double precision on the heap (tails of every length)', () => {
    for (const n of [1, 5, 8, 13, 4099]) {
      const values = [wave(n, 1, 3), wave(n + 3, 2, 0.001)];
      const ts = values.map((v) => tf.tensor1d(v));
      let ref = 0;
      for (const v of values) for (const x of v) ref += x * x;
      expect(Math.abs(globalNorm(ts) - Math.sqrt(ref)) / Math.sqrt(ref)).toBeLessThan(1e-14);
      tf.dispose(ts);
    }
  });

  it('the AdamW step equals torch’s float32 op-by-op arithmetic exactly (gradient scale included)', () => {
    const f = Math.fround;
    // Sizes across the chunk boundary (65536) and with a scalar tail.
    for (const n of [7, 65_536 + 13]) {
      const p = tf.tensor1d(wave(n, 1));
      const g = tf.tensor1d(wave(n, 2, 100));
      const m0 = wave(n, 3, 0.1);
      const v0 = wave(n, 4, 0.01).map((x) => x * x);
      const attrs = {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-6,
        decayFactor: 1 - 2e-5 * 0.01,
        stepSize: 2e-5 / (1 - 0.9 ** 3),
        sqrtBiasCorrection2: Math.sqrt(1 - 0.999 ** 3),
        gradScale: 0.37,
      };
      const moments = { m: m0.slice(), v: v0.slice() };
      const out = adamwUpdate(p, g, moments, attrs).dataSync() as Float32Array;
      const ps = p.dataSync();
      const gs = g.dataSync();
      let mismatches = 0;
      for (let i = 0; i < n; i++) {
        const gi = f(gs[i]! * f(attrs.gradScale));
        const mi = f(f(m0[i]! * f(0.9)) + f(gi * f(1 - 0.9)));
        const vi = f(f(v0[i]! * f(0.999)) + f(f(gi * gi) * f(1 - 0.999)));
        const denom = f(f(f(Math.sqrt(vi)) / f(attrs.sqrtBiasCorrection2)) + f(attrs.eps));
        const pi = f(f(ps[i]! * f(attrs.decayFactor)) - f(f(mi / denom) * f(attrs.stepSize)));
        if (moments.m[i] !== mi || moments.v[i] !== vi || out[i] !== pi) mismatches++;
      }
      expect(mismatches).toBe(0);
      tf.dispose([p, g]);
    }
  });

  it('the SIMD step and the JS loop (double precision, rounded once) agree to float32 rounding', () => {
    const n = 10_001;
    const run = (simd: boolean) => {
      setSimdAdamW(simd);
      const p = tf.tensor1d(wave(n, 5));
      const g = tf.tensor1d(wave(n, 6, 10));
      const moments = { m: wave(n, 7, 0.1), v: wave(n, 8, 0.1).map((x) => x * x) };
      const out = adamwUpdate(p, g, moments, {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        decayFactor: 0.999,
        stepSize: 1e-3,
        sqrtBiasCorrection2: 0.5,
        gradScale: 0.5,
      }).dataSync() as Float32Array;
      tf.dispose([p, g]);
      return { out, moments };
    };
    const a = run(true);
    const b = run(false);
    const rel = (x: Float32Array, y: Float32Array) => {
      let w = 0;
      let s = 0;
      for (let i = 0; i < x.length; i++) {
        w = Math.max(w, Math.abs(x[i]! - y[i]!));
        s = Math.max(s, Math.abs(y[i]!));
      }
      return w / s;
    };
    expect(rel(a.out, b.out)).toBeLessThan(1e-6);
    expect(rel(a.moments.m, b.moments.m)).toBeLessThan(1e-6);
    expect(rel(a.moments.v, b.moments.v)).toBeLessThan(1e-6);
    expect(rel(a.out, b.out)).toBeGreaterThan(0); // two different implementations ran
  });

  it.each([4, 5])(
    'a vocabulary-sized table (%i columns) is updated row-sparsely with exactly the dense float32 result',
    (cols) => {
      const f = Math.fround;
      const rows = ROW_SPARSE_MIN_ROWS + 8;
      const n = rows * cols;
      let p = wave(n, 1);
      const ref = { p: p.slice(), m: new Float32Array(n), v: new Float32Array(n) };
      const moments: { m: Float32Array; v: Float32Array; activeRows?: Uint8Array } = {
        m: new Float32Array(n),
        v: new Float32Array(n),
      };
      // Gradients in a few rows per step (the last row included); step 3 has none: touched rows keep moving.
      const touched = [[3, rows - 1], [10], []];
      touched.forEach((rs, s) => {
        const g = new Float32Array(n);
        for (const r of rs) g.set(wave(cols, 20 + r + s, 0.01), r * cols);
        const attrs = {
          beta1: 0.9,
          beta2: 0.999,
          eps: 1e-8,
          decayFactor: 1 - 1e-3 * 0.01,
          stepSize: 1e-3 / (1 - 0.9 ** (s + 1)),
          sqrtBiasCorrection2: Math.sqrt(1 - 0.999 ** (s + 1)),
        };
        const pt = tf.tensor2d(p, [rows, cols]);
        const gt = tf.tensor2d(g, [rows, cols]);
        const out = adamwUpdate(pt, gt, moments, attrs);
        p = out.dataSync() as Float32Array;
        tf.dispose([pt, gt, out]);
        // The dense float32 step of every element (torch's arithmetic).
        for (let i = 0; i < n; i++) {
          const mi = f(f(ref.m[i]! * f(0.9)) + f(g[i]! * f(0.1)));
          const vi = f(f(ref.v[i]! * f(0.999)) + f(f(g[i]! * g[i]!) * f(1 - 0.999)));
          const denom = f(f(f(Math.sqrt(vi)) / f(attrs.sqrtBiasCorrection2)) + f(attrs.eps));
          ref.p[i] = f(f(ref.p[i]! * f(attrs.decayFactor)) - f(f(mi / denom) * f(attrs.stepSize)));
          ref.m[i] = mi;
          ref.v[i] = vi;
        }
      });
      expect(Buffer.from(p.buffer).equals(Buffer.from(ref.p.buffer))).toBe(true);
      expect(Buffer.from(moments.m.buffer).equals(Buffer.from(ref.m.buffer))).toBe(true);
      expect(Buffer.from(moments.v.buffer).equals(Buffer.from(ref.v.buffer))).toBe(true);
      const active = [...moments.activeRows!.entries()].filter(([, a]) => a).map(([r]) => r);
      expect(active).toEqual([3, 10, rows - 1]);
    },
  );

  it('moments on the heap (updated in place) give the host moments’ results bit for bit, row-sparse too', () => {
    for (const shape of [
      [1000, 7],
      [ROW_SPARSE_MIN_ROWS + 3, 4],
    ]) {
      const n = shape[0]! * shape[1]!;
      const heap = allocateHeapMoments(n)!;
      expect(heap).toBeInstanceOf(HeapMoments);
      expect(heap.m.every((x) => x === 0) && heap.v.every((x) => x === 0)).toBe(true);
      const host = { m: new Float32Array(n), v: new Float32Array(n) };
      const attrs = {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        decayFactor: 0.9999,
        stepSize: 1e-3,
        sqrtBiasCorrection2: 0.3,
        gradScale: 0.7,
      };
      const p = tf.tensor2d(wave(n, 1), shape as [number, number]);
      let outs: Float32Array[] = [];
      for (const moments of [host, heap]) {
        let cur: tf.Tensor = p.clone();
        for (let s = 0; s < 3; s++) {
          const g = new Float32Array(n);
          // A gradient in a few rows only (the row-sparse table keeps the others' moments at zero).
          g.set(wave(shape[1]! * 2, s, 0.1), (s + 1) * shape[1]!);
          const gt = tf.tensor2d(g, shape as [number, number]);
          const next = adamwUpdate(cur, gt, moments, attrs);
          tf.dispose([cur, gt]);
          cur = next;
        }
        outs = [...outs, cur.dataSync() as Float32Array, moments.m.slice(), moments.v.slice()];
        cur.dispose();
      }
      for (let k = 0; k < 3; k++)
        expect(Buffer.from(outs[k]!.buffer).equals(Buffer.from(outs[k + 3]!.buffer))).toBe(true);
      heap.release();
      p.dispose();
    }
  });
  it('a gradient with recorded nonzero rows (markNonzeroRows) gets the scanned result bit for bit', () => {
    const shape: [number, number] = [ROW_SPARSE_MIN_ROWS + 5, 6];
    const n = shape[0] * shape[1];
    const attrs = {
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      decayFactor: 0.999,
      stepSize: 1e-3,
      sqrtBiasCorrection2: 0.2,
    };
    const results: Float32Array[][] = [];
    for (const hinted of [false, true]) {
      const moments: { m: Float32Array; v: Float32Array; activeRows?: Uint8Array } = {
        m: new Float32Array(n),
        v: new Float32Array(n),
      };
      let cur: tf.Tensor = tf.tensor2d(wave(n, 2), shape);
      for (let s = 0; s < 3; s++) {
        // Different rows each step: earlier rows keep moving on their moments alone.
        const rows = Int32Array.of(s, 40 + s, 41 + s, shape[0] - 1 - s);
        const g = new Float32Array(n);
        rows.forEach((r, i) => g.set(wave(shape[1], 10 * s + i, 0.1), r * shape[1]));
        const gt = tf.tensor2d(g, shape);
        if (hinted) markNonzeroRows(gt, rows);
        const next = adamwUpdate(cur, gt, moments, attrs);
        tf.dispose([cur, gt]);
        cur = next;
      }
      results.push([cur.dataSync() as Float32Array, moments.m, moments.v]);
      cur.dispose();
    }
    for (let k = 0; k < 3; k++)
      expect(Buffer.from(results[1]![k]!.buffer).equals(Buffer.from(results[0]![k]!.buffer))).toBe(true);
    // The record is trusted, not checked (that is what saves the scan): a row left out only decays.
    const p = tf.tensor2d(wave(n, 3), shape);
    const g = new Float32Array(n);
    g.set(wave(shape[1], 1), 40 * shape[1]);
    const gt = tf.tensor2d(g, shape);
    markNonzeroRows(gt, Int32Array.of(7));
    const out = adamwUpdate(p, gt, { m: new Float32Array(n), v: new Float32Array(n) }, attrs);
    const row = (t: tf.Tensor) => (t.dataSync() as Float32Array).slice(40 * shape[1], 41 * shape[1]);
    expect(Array.from(row(out))).toEqual(Array.from(row(p)).map((x) => Math.fround(x * Math.fround(0.999))));
    tf.dispose([p, gt, out]);
  });
});
