import { initBackend, tf } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { TableModel, batchOf, evalCtx } from '../../test/table_model.js';
import { computeLoss } from '../compute.js';
import { AnglELoss, CoSENTLoss, pairwiseAngleSimilarity } from './cosent.js';

let model: TableModel;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  // u = (1,0); v1 = (1,0), v2 = (1,1), v3 = (0,1), v4 = (2,1).
  model = new TableModel({ u: [1, 0], v1: [1, 0], v2: [1, 1], v3: [0, 1], v4: [2, 1] });
});

const r = Math.SQRT1_2;

describe('CoSENTLoss (hand-computed)', () => {
  it('log(1 + Σ exp(20·(s_i − s_j))) over pairs with label_i < label_j', () => {
    // cos = [1, 1/√2, 0]; labels [0.2, 0.9, 0.5]. Pairs with label_i < label_j: (1,2), (1,3), (3,2).
    const batch = batchOf({ s1: ['u', 'u', 'u'], s2: ['v1', 'v2', 'v3'] }, [0.2, 0.9, 0.5]);
    const expected = Math.log(1 + Math.exp(20 * (1 - r)) + Math.exp(20 * (1 - 0)) + Math.exp(20 * (0 - r)));
    expect(computeLoss(new CoSENTLoss(), model, batch, evalCtx)).toBeCloseTo(expected, 4);
    // Correctly ordered scores give a small loss: labels [0.9, 0.5, 0.2] with cos [1, 0.707, 0].
    const ordered = batchOf({ s1: ['u', 'u', 'u'], s2: ['v1', 'v2', 'v3'] }, [0.9, 0.5, 0.2]);
    const small = Math.log(1 + Math.exp(20 * (r - 1)) + Math.exp(20 * (0 - 1)) + Math.exp(20 * (0 - r)));
    expect(computeLoss(new CoSENTLoss({ scale: 20 }), model, ordered, evalCtx)).toBeCloseTo(small, 6);
  });
});

describe('AnglELoss (hand-computed)', () => {
  it('pairwise angle similarity: |re + im| of the normalized quotient x / y', () => {
    // x = 1 + 0i. y = 1: quotient 1 → 1. y = 1 + i: (1 − i)/2, rescaled by |y|/|x| = √2 → (1 − i)/√2 → |0| = 0.
    // y = i: −i → |−1| = 1. y = 2 + i: (2 − i)/5 · √5 → |(2 − 1)/√5| = 1/√5.
    const s = tf.tidy(() =>
      pairwiseAngleSimilarity(
        tf.tensor2d([
          [1, 0],
          [1, 0],
          [1, 0],
          [1, 0],
        ]),
        tf.tensor2d([
          [1, 0],
          [1, 1],
          [0, 1],
          [2, 1],
        ]),
      ).arraySync(),
    );
    [1, 0, 1, 1 / Math.sqrt(5)].forEach((v, i) => expect(s[i]).toBeCloseTo(v, 6));
  });

  it('CoSENT on the angle similarity', () => {
    // Scores s = [1, 0, 1/√5] for v1, v2, v4; labels [0.9, 0.1, 0.5]: pairs (2,1), (2,3), (3,1).
    const batch = batchOf({ s1: ['u', 'u', 'u'], s2: ['v1', 'v2', 'v4'] }, [0.9, 0.1, 0.5]);
    const s3 = 1 / Math.sqrt(5);
    const expected = Math.log(1 + Math.exp(20 * (0 - 1)) + Math.exp(20 * (0 - s3)) + Math.exp(20 * (s3 - 1)));
    expect(computeLoss(new AnglELoss(), model, batch, evalCtx)).toBeCloseTo(expected, 6);
  });

  it('needs an even embedding dimension', () => {
    const odd = new TableModel({ x: [1, 2, 3], y: [3, 2, 1] });
    const batch = batchOf({ s1: ['x'], s2: ['y'] }, [1]);
    expect(() => computeLoss(new AnglELoss(), odd, batch, evalCtx)).toThrow(/dimension must be even, got 3/);
    odd.dispose();
  });
});
