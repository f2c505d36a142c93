import { initBackend, tf } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy, diagonalCrossEntropy } from './ops.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('crossEntropy', () => {
  it('equals −mean log softmax at the target (hand-computed)', () => {
    // row 0: logits [0, ln 3] → p(target 1) = 3/4; row 1: [2, 2] → p(target 0) = 1/2
    const v = tf.tidy(
      () =>
        crossEntropy(
          tf.tensor2d([
            [0, Math.log(3)],
            [2, 2],
          ]),
          [1, 0],
        ).dataSync()[0]!,
    );
    expect(v).toBeCloseTo((-Math.log(3 / 4) - Math.log(1 / 2)) / 2, 6);
  });
  it('a batch of one row with one candidate has loss 0 (the last partial batch of an epoch)', () => {
    expect(tf.tidy(() => diagonalCrossEntropy(tf.tensor2d([[5]])).dataSync()[0])).toBeCloseTo(0, 7);
  });
});
