import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { TableModel, batchOf, evalCtx } from '../../test/table_model.js';
import { computeLoss } from '../compute.js';
import { ContrastiveLoss, CosineSimilarityLoss, OnlineContrastiveLoss, TripletLoss } from './pair_losses.js';

let model: TableModel;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = new TableModel({
    u: [1, 0],
    v1: [1, 0],
    v2: [1, 1],
    v3: [0, 1],
    v4: [2, 1],
    o: [0, 0],
    t34: [3, 4],
    t68: [6, 8],
  });
});

const r = Math.SQRT1_2;
// u = (1,0) against v1 = (1,0), v2 = (1,1), v3 = (0,1), v4 = (2,1):
// cos = 1, 1/√2, 0, 2/√5; cosine distance 1 − cos = 0, 1 − 1/√2, 1, 1 − 2/√5.
const d2 = 1 - r;
const d4 = 1 - 2 / Math.sqrt(5);

describe('CosineSimilarityLoss (hand-computed)', () => {
  it('MSE of cos(u, v) against the score', () => {
    const batch = batchOf({ s1: ['u', 'u'], s2: ['v2', 'v3'] }, [0.5, 0.2]);
    // ((1/√2 − 0.5)² + (0 − 0.2)²) / 2
    expect(computeLoss(new CosineSimilarityLoss(), model, batch, evalCtx)).toBeCloseTo(
      ((r - 0.5) ** 2 + 0.04) / 2,
      6,
    );
  });
});

describe('TripletLoss (hand-computed)', () => {
  const batch = batchOf({ anchor: ['o', 'o'], positive: ['t34', 't68'], negative: ['t68', 't34'] });
  it('euclidean, margin 5: mean relu(d(a,p) − d(a,n) + 5)', () => {
    // Row 1: relu(5 − 10 + 5) = 0; row 2: relu(10 − 5 + 5) = 10; mean 5.
    expect(computeLoss(new TripletLoss(), model, batch, evalCtx)).toBeCloseTo(5, 4);
  });
  it('manhattan and cosine distances', () => {
    // Manhattan: |3|+|4| = 7 and 14 → relu(7 − 14 + 1) = 0, relu(14 − 7 + 1) = 8; mean 4.
    expect(
      computeLoss(new TripletLoss({ distance: 'manhattan', margin: 1 }), model, batch, evalCtx),
    ).toBeCloseTo(4, 4);
    // Cosine: a = u = (1,0), p = v2, n = v3: relu((1 − 1/√2) − (1 − 0) + 0.5); swapped: relu(1 − (1 − 1/√2) + 0.5).
    const cosBatch = batchOf({ anchor: ['u', 'u'], positive: ['v2', 'v3'], negative: ['v3', 'v2'] });
    const expected = (Math.max(0, d2 - 1 + 0.5) + Math.max(0, 1 - d2 + 0.5)) / 2;
    expect(
      computeLoss(new TripletLoss({ distance: 'cosine', margin: 0.5 }), model, cosBatch, evalCtx),
    ).toBeCloseTo(expected, 5);
  });
});

describe('ContrastiveLoss (hand-computed)', () => {
  const batch = batchOf({ s1: ['u', 'u', 'u'], s2: ['v2', 'v3', 'v4'] }, [1, 0, 0]);
  // 0.5·(1·d²) for the positive; 0.5·relu(0.5 − d)² for negatives: d = 1 → 0, d = 1 − 2/√5 → 0.5·(0.5 − d)².
  const losses = [0.5 * d2 ** 2, 0, 0.5 * (0.5 - d4) ** 2];
  it('mean by default', () => {
    expect(computeLoss(new ContrastiveLoss(), model, batch, evalCtx)).toBeCloseTo(
      (losses[0]! + losses[1]! + losses[2]!) / 3,
      6,
    );
  });
  it('sum when sizeAverage is false; euclidean distance', () => {
    expect(computeLoss(new ContrastiveLoss({ sizeAverage: false }), model, batch, evalCtx)).toBeCloseTo(
      losses[0]! + losses[1]! + losses[2]!,
      6,
    );
    // Euclidean: d(u, v2) = 1, d(u, v3) = √2, margin 2 → 0.5·1² + 0.5·(2 − √2)², mean over 2.
    const eb = batchOf({ s1: ['u', 'u'], s2: ['v2', 'v3'] }, [1, 0]);
    const expected = (0.5 + 0.5 * (2 - Math.SQRT2) ** 2) / 2;
    expect(
      computeLoss(new ContrastiveLoss({ distance: 'euclidean', margin: 2 }), model, eb, evalCtx),
    ).toBeCloseTo(expected, 5);
  });
});

describe('OnlineContrastiveLoss (hand-computed)', () => {
  it('keeps only hard positives and hard negatives', () => {
    // Positives: d(u,v2) = 1 − 1/√2 ≈ 0.293, d(u,v1) = 0. Negatives: d(u,v3) = 1, d(u,v4) ≈ 0.106.
    // Hard negatives: d < max positive distance 0.293 → only v4. Hard positives: d > min negative distance 0.106
    // → only v2. Loss = 0.293² + relu(0.5 − 0.106)².
    const batch = batchOf({ s1: ['u', 'u', 'u', 'u'], s2: ['v2', 'v1', 'v3', 'v4'] }, [1, 1, 0, 0]);
    expect(computeLoss(new OnlineContrastiveLoss(), model, batch, evalCtx)).toBeCloseTo(
      d2 ** 2 + (0.5 - d4) ** 2,
      5,
    );
  });
  it('with a single negative, positives are compared with their own mean', () => {
    // One negative (v3, d = 1): hard positives are those above the positives' mean (0.293 + 0)/2 → v2;
    // hard negatives are below the max positive distance 0.293 → none.
    const batch = batchOf({ s1: ['u', 'u', 'u'], s2: ['v2', 'v1', 'v3'] }, [1, 1, 0]);
    expect(computeLoss(new OnlineContrastiveLoss(), model, batch, evalCtx)).toBeCloseTo(d2 ** 2, 5);
  });
  it('rejects labels other than 0/1', () => {
    const batch = batchOf({ s1: ['u'], s2: ['v2'] }, [2]);
    expect(() => computeLoss(new OnlineContrastiveLoss(), model, batch, evalCtx)).toThrow(
      /label of row 0 must be 0 or 1, got 2/,
    );
  });
});
