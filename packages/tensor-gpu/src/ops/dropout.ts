import { tf } from '../tf.js';

/**
 * Inverted dropout with an explicit seed, so a resumed run draws the same masks as an uninterrupted one.
 * Returns `x` itself when `rate` is 0.
 */
export function dropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
  if (rate <= 0) return x;
  if (rate >= 1) throw new Error(`dropout: rate must be < 1, got ${rate}`);
  const keep = tf.cast(tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', seed), rate), 'float32');
  return tf.mul(x, tf.mul(keep, 1 / (1 - rate)));
}
