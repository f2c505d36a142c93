import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { globalNorm, readFloat32 } from './host_view.js';
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
