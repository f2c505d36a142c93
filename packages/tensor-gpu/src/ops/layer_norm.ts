import { customGradOp } from '../internal/custom_grad.js';
import { tf } from '../tf.js';

/**
 * LayerNorm over the last axis with a fused gradient that saves only the normalized input and 1/σ,
 * instead of every intermediate autodiff would keep (memory matters on the 4 GiB wasm heap).
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-12): tf.Tensor {
  const fn = customGradOp((xi: tf.Tensor, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const axis = xi.rank - 1;
    const mean = tf.mean(xi, axis, true);
    const centered = tf.sub(xi, mean);
    const variance = tf.mean(tf.square(centered), axis, true);
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(centered, rstd);
    save([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gs] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const lead = dy.shape.slice(0, -1);
        const reduceAxes = lead.map((_, i) => i);
        const dGamma = tf.sum(tf.mul(dy, xh), reduceAxes);
        const dBeta = tf.sum(dy, reduceAxes);
        const gdy = tf.mul(dy, gs);
        const a = tf.mean(gdy, axis, true);
        const c = tf.mean(tf.mul(gdy, xh), axis, true);
        const dx = tf.mul(rs, tf.sub(tf.sub(gdy, a), tf.mul(xh, c)));
        return [dx, dGamma, dBeta];
      },
    };
  });
  return fn(x, gamma, beta);
}
