import { customGradOp } from '../internal/custom_grad.js';
import { tf } from '../tf.js';

/**
 * Dense layer `x · W + b` with `W` stored as [in, out]. Its gradient uses explicit `tf.transpose` instead of
 * matMul's transpose flags: on wasm, flagged matmuls leave XNNPACK for a plain loop ~10× slower.
 * `x` may have any leading dimensions; the last one is `in`.
 */
export function linear(x: tf.Tensor, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor {
  const inDim = weight.shape[0];
  const outDim = weight.shape[1];
  if (x.shape[x.rank - 1] !== inDim) {
    throw new Error(
      `linear: input's last dimension ${x.shape[x.rank - 1]} does not match weight [${weight.shape}]`,
    );
  }
  const lead = x.shape.slice(0, -1);
  const x2 = (x.rank === 2 ? x : tf.reshape(x, [-1, inDim])) as tf.Tensor2D;
  const y = bias ? linearWithBias(x2, weight, bias) : linearNoBias(x2, weight);
  return x.rank === 2 ? y : tf.reshape(y, [...lead, outDim]);
}

const linearWithBias = customGradOp(
  (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    save([x, w]);
    return {
      value: tf.add(tf.matMul(x, w), b),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        return [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy), tf.sum(dy, 0)];
      },
    };
  },
);

const linearNoBias = customGradOp((x: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy)];
    },
  };
});
