import { tf } from '../tf.js';

type GradResult = { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };

/** `tf.customGrad` with positional tensor arguments typed (tfjs types the inputs as one variadic union). */
export function customGradOp<A extends tf.Tensor[]>(
  f: (...args: [...A, tf.GradSaveFunc]) => GradResult,
): (...args: A) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
    ...args: A
  ) => tf.Tensor;
}
