import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { tf } from '../tf.js';
import { dropout } from './dropout.js';
import { gelu } from './gelu.js';
import { layerNorm } from './layer_norm.js';
import { linear } from './linear.js';

function close(a: tf.Tensor, b: tf.Tensor, tol = 1e-5) {
  const x = a.dataSync();
  const y = b.dataSync();
  expect(a.shape).toEqual(b.shape);
  for (let i = 0; i < x.length; i++)
    expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(tol * (1 + Math.abs(y[i]!)));
}

const rnd = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('fused ops match autodiff of their plain definitions', () => {
  it('linear (3-D input, with and without bias)', () => {
    tf.tidy(() => {
      const x = rnd([2, 3, 4], 1);
      const w = rnd([4, 5], 2) as tf.Tensor2D;
      const b = rnd([5], 3) as tf.Tensor1D;
      const dy = rnd([2, 3, 5], 4);
      const ours = tf.grads((xi, wi, bi) =>
        tf.sum(tf.mul(linear(xi, wi as tf.Tensor2D, bi as tf.Tensor1D), dy)),
      );
      const ref = tf.grads((xi, wi, bi) =>
        tf.sum(
          tf.mul(tf.add(tf.reshape(tf.matMul(tf.reshape(xi, [6, 4]), wi as tf.Tensor2D), [2, 3, 5]), bi), dy),
        ),
      );
      const g1 = ours([x, w, b]);
      const g2 = ref([x, w, b]);
      g1.forEach((g, i) => close(g, g2[i]!));
      close(linear(x, w), tf.reshape(tf.matMul(tf.reshape(x, [6, 4]), w), [2, 3, 5]));
    });
  });

  it('layerNorm', () => {
    tf.tidy(() => {
      const x = rnd([3, 2, 6], 5);
      const g = rnd([6], 6) as tf.Tensor1D;
      const b = rnd([6], 7) as tf.Tensor1D;
      const dy = rnd([3, 2, 6], 8);
      const plain = (xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) => {
        const { mean, variance } = tf.moments(xi, -1, true);
        return tf.add(tf.mul(tf.div(tf.sub(xi, mean), tf.sqrt(tf.add(variance, 1e-12))), gi), bi);
      };
      close(layerNorm(x, g, b), plain(x, g, b));
      const g1 = tf.grads((xi, gi, bi) =>
        tf.sum(tf.mul(layerNorm(xi, gi as tf.Tensor1D, bi as tf.Tensor1D), dy)),
      )([x, g, b]);
      const g2 = tf.grads((xi, gi, bi) => tf.sum(tf.mul(plain(xi, gi, bi), dy)))([x, g, b]);
      g1.forEach((t, i) => close(t, g2[i]!, 1e-4));
    });
  });

  it('gelu: values from the erf definition, gradient against finite differences', () => {
    // gelu(1) = 0.5 * (1 + erf(1/√2)) = 0.8413447
    expect(gelu(tf.scalar(1)).dataSync()[0]).toBeCloseTo(0.8413447, 6);
    expect(gelu(tf.scalar(-2)).dataSync()[0]).toBeCloseTo(-0.0455003, 6);
    const xs = [-2, -0.5, 0, 0.7, 3];
    const g = tf
      .grad((x) => tf.sum(gelu(x)))(tf.tensor1d(xs))
      .dataSync();
    const f = (v: number) => gelu(tf.scalar(v)).dataSync()[0]!;
    xs.forEach((v, i) => expect(g[i]).toBeCloseTo((f(v + 1e-2) - f(v - 1e-2)) / 2e-2, 3));
  });

  it('dropout is seeded, scales kept units by 1/(1-p) and passes gradients through the same mask', () => {
    const x = tf.ones([1000]);
    const a = dropout(x, 0.25, 42).dataSync();
    const b = dropout(x, 0.25, 42).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    const kept = Array.from(a).filter((v) => v !== 0);
    kept.forEach((v) => expect(v).toBeCloseTo(1 / 0.75, 6));
    expect(kept.length).toBeGreaterThan(650);
    expect(kept.length).toBeLessThan(850);
    const g = tf
      .grad((t) => tf.sum(dropout(t, 0.25, 42)))(x)
      .dataSync();
    expect(Array.from(g)).toEqual(Array.from(a));
    expect(dropout(x, 0, 1)).toBe(x);
  });
});
