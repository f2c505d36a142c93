import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import {
  forEachRowRange,
  globalNorm,
  markNonzeroRows,
  readFloat32,
  scatterAddRows,
  squaredNorm,
} from './host_view.js';
import { tf } from './tf.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('readFloat32 / globalNorm', () => {
  it('reads a tensor in place on wasm (a view, not a copy) and rejects other dtypes', () => {
    const t = tf.tensor1d([1, -2, 3.5]);
    const view = readFloat32(t);
    expect(Array.from(view)).toEqual([1, -2, 3.5]);
    // A view on the wasm heap: its buffer is the heap, far larger than the 12 bytes of the tensor.
    expect(view.buffer.byteLength).toBeGreaterThan(1 << 16);
    const ints = tf.tensor1d([1, 2], 'int32');
    expect(() => readFloat32(ints)).toThrow(/int32, not float32/);
    tf.dispose([t, ints]);
  });

  it('computes the global norm of several tensors as √ of the sum of squares', () => {
    const a = tf.tensor2d([
      [3, 0],
      [0, 4],
    ]);
    const b = tf.tensor1d([12]);
    expect(globalNorm([a, b])).toBeCloseTo(13, 10); // √(9 + 16 + 144)
    expect(globalNorm([])).toBe(0);
    tf.dispose([a, b]);
  });

  it('remembers a tensor’s Σ t² (squaredNorm), which globalNorm then uses without reading the tensor again', () => {
    const values = [
      [1, 2],
      [3, 4],
    ];
    const t = tf.tensor2d(values);
    expect(squaredNorm(t)).toBeCloseTo(30, 12);
    // Remembered per tensor data: a row record made afterwards (a false one here) is not read any more.
    markNonzeroRows(t, Int32Array.of(0));
    expect(squaredNorm(t)).toBeCloseTo(30, 12);
    expect(globalNorm([t])).toBeCloseTo(Math.sqrt(30), 12);
    // The same values and record on fresh data: read on row 0 only.
    const u = tf.tensor2d(values);
    markNonzeroRows(u, Int32Array.of(0));
    expect(squaredNorm(u)).toBeCloseTo(5, 12);
    tf.dispose([t, u]);
  });

  it('reads only the recorded nonzero rows of a table (markNonzeroRows), and checks the record', () => {
    const rows = 20;
    const values = new Float32Array(rows * 3);
    for (const [r, v] of [
      [2, 1],
      [3, -2],
      [4, 0.5],
      [17, 3],
    ] as const)
      values.fill(v, r * 3, r * 3 + 3);
    const t = tf.tensor2d(values, [rows, 3]);
    const whole = globalNorm([t]);
    expect(whole).toBeCloseTo(Math.sqrt(3 * (1 + 4 + 0.25 + 9)), 10);
    markNonzeroRows(t, Int32Array.of(2, 3, 4, 17));
    expect(globalNorm([t])).toBeCloseTo(whole, 12);
    // Trusted, not checked: a row left out is not read.
    const partial = tf.tensor2d(values, [rows, 3]);
    markNonzeroRows(partial, Int32Array.of(2, 3));
    expect(globalNorm([partial])).toBeCloseTo(Math.sqrt(3 * (1 + 4)), 10);
    // A tensor derived from it has no record and is read whole.
    const copy = tf.add(partial, 0);
    expect(globalNorm([copy])).toBeCloseTo(whole, 10);
    expect(() => markNonzeroRows(t, Int32Array.of(3, 2))).toThrow(/ascend without repeats \(index 1: 3, 2\)/);
    expect(() => markNonzeroRows(t, Int32Array.of(20))).toThrow(/row 20 \(index 0\) is outside \[0, 20\)/);
    expect(() => markNonzeroRows(tf.tensor1d([1]), Int32Array.of(0))).toThrow(/must be 2-D/);
    const ranges: number[][] = [];
    forEachRowRange(Int32Array.of(2, 3, 4, 9, 11, 12), (a, b) => ranges.push([a, b]));
    expect(ranges).toEqual([
      [2, 5],
      [9, 10],
      [11, 13],
    ]);
    tf.dispose([t, partial, copy]);
  });

  it('copies where the backend has no heap view (cpu)', async () => {
    await initBackend({ backend: 'cpu' });
    try {
      const t = tf.tensor1d([0.5, 0.25]);
      const v = readFloat32(t);
      expect(Array.from(v)).toEqual([0.5, 0.25]);
      expect(globalNorm([t])).toBeCloseTo(Math.sqrt(0.3125), 10);
      t.dispose();
    } finally {
      await initBackend({ backend: 'wasm' });
    }
  });
});

describe('scatterAddRows', () => {
  it('adds each row into its table row in order, repeats included, as a host loop does (odd width: the scalar tail)', () => {
    // 7 columns: one 4-lane block and 3 values of the scalar tail per row.
    const rows = 5;
    const cols = 7;
    const start = Float32Array.from({ length: rows * cols }, (_, i) => (i % 3) * 0.25);
    const ids = Int32Array.of(3, 0, 3, 4, 3);
    const values = Float32Array.from({ length: ids.length * cols }, (_, i) =>
      Math.fround(Math.sin(i) * 1e-3 + i),
    );
    const expected = start.slice();
    ids.forEach((r, t) => {
      for (let j = 0; j < cols; j++)
        expected[r * cols + j] = Math.fround(expected[r * cols + j]! + values[t * cols + j]!);
    });
    const table = tf.tensor2d(start, [rows, cols]);
    // Σ t² remembered before the write is forgotten after it.
    const before = squaredNorm(table);
    expect(scatterAddRows(table, values, ids)).toBe(true);
    expect(Array.from(table.dataSync())).toEqual(Array.from(expected));
    expect(squaredNorm(table)).not.toBeCloseTo(before, 3);
    expect(squaredNorm(table)).toBeCloseTo(
      expected.reduce((a, v) => a + v * v, 0),
      3,
    );
    table.dispose();
  });

  it('checks the rows and sizes before writing anything', () => {
    const table = tf.zeros([4, 8]);
    expect(() => scatterAddRows(table, new Float32Array(8), Int32Array.of(4))).toThrow(
      /row 4 \(index 0\) is outside \[0, 4\)/,
    );
    expect(() => scatterAddRows(table, new Float32Array(8), Int32Array.of(-1))).toThrow(/outside/);
    expect(() => scatterAddRows(table, new Float32Array(7), Int32Array.of(1))).toThrow(
      /7 values for 1 rows of 8/,
    );
    const flat = tf.zeros([8]);
    expect(() => scatterAddRows(flat, new Float32Array(8), Int32Array.of(0))).toThrow(/2-D float32/);
    expect(Array.from(table.dataSync()).every((v) => v === 0)).toBe(true);
    tf.dispose([table, flat]);
  });
});
