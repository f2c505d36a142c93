import { initBackend } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableModel, batchOf, evalCtx } from '../../test/table_model.js';
import { computeLoss, computeLossAndGradients } from '../compute.js';
import { createLoss } from '../registry.js';
import { BatchAllTripletLoss, BatchHardTripletLoss, BatchSemiHardTripletLoss } from './batch_triplet.js';

// Points on a line, so euclidean distances are |x − y|: x = 0, 1 (label 0) and 3, 7 (label 1).
// d01 = 1, d02 = 3, d03 = 7, d12 = 2, d13 = 6, d23 = 4.
let model: TableModel;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = new TableModel({
    x0: [0, 0],
    x1: [1, 0],
    x3: [3, 0],
    x7: [7, 0],
    u: [1, 0],
    v2: [1, 1],
    v3: [0, 1],
  });
});
afterAll(() => model.dispose());

const batch = batchOf({ text: ['x0', 'x1', 'x3', 'x7'] }, [0, 0, 1, 1]);

describe('BatchHardTripletLoss (hand-computed)', () => {
  it('euclidean, margin 5 (the default): mean over anchors of relu(farthest positive − closest negative + 5)', () => {
    // Anchors: 1 − 3 + 5 = 3; 1 − 2 + 5 = 4; 4 − 2 + 5 = 7; 4 − 6 + 5 = 3 → 17 / 4.
    expect(computeLoss(new BatchHardTripletLoss(), model, batch, evalCtx)).toBeCloseTo(17 / 4, 4);
    // Margin 1: 0, 0, 3, 0 → 3 / 4.
    expect(computeLoss(new BatchHardTripletLoss({ margin: 1 }), model, batch, evalCtx)).toBeCloseTo(0.75, 4);
  });
  it('cosine distance; an anchor without a positive counts 0 for it', () => {
    const b = batchOf({ text: ['u', 'v2', 'v3'] }, [0, 0, 1]);
    const d2 = 1 - Math.SQRT1_2; // 1 − cos 45°; d(u, v3) = 1
    // u: relu(d2 − 1 + 0.5) = 0; v2: relu(d2 − d2 + 0.5) = 0.5; v3: relu(0 − d2 + 0.5).
    const expected = (0 + 0.5 + (0.5 - d2)) / 3;
    const loss = new BatchHardTripletLoss({ distance: 'cosine', margin: 0.5 });
    expect(computeLoss(loss, model, b, evalCtx)).toBeCloseTo(expected, 5);
  });
});

describe('BatchAllTripletLoss (hand-computed)', () => {
  it('sum over valid triplets / number of positive ones', () => {
    // Margin 5: (0,1,2) 3, (0,1,3) 0, (1,0,2) 4, (1,0,3) 0, (2,3,0) 6, (2,3,1) 7, (3,2,0) 2, (3,2,1) 3 → 25 / 6.
    expect(computeLoss(new BatchAllTripletLoss(), model, batch, evalCtx)).toBeCloseTo(25 / 6, 4);
    // Margin 1: only (2,3,0) = 2 and (2,3,1) = 3 are positive → 5 / 2.
    expect(computeLoss(new BatchAllTripletLoss({ margin: 1 }), model, batch, evalCtx)).toBeCloseTo(2.5, 4);
  });
});

describe('BatchSemiHardTripletLoss (hand-computed)', () => {
  it('closest negative farther than the positive, else the farthest negative', () => {
    // (0,1): d 1, negatives 3, 7 → 3: 1 − 3 + 5 = 3. (1,0): negatives 2, 6 → 2: 4. (2,3): d 4, negatives 3, 2,
    // none farther → farthest 3: 6. (3,2): negatives 7, 6 → 6: 3. Sum 16 over 4 positive pairs.
    expect(computeLoss(new BatchSemiHardTripletLoss(), model, batch, evalCtx)).toBeCloseTo(4, 4);
  });
  it('gradients flow through the chosen distances only', () => {
    // Margin 1: only (2,3) with negative x0 is active: L = (d23 − d20 + 1) / 4 = ((x7 − x3) − (x3 − x0) + 1) / 4.
    const { loss, grads } = computeLossAndGradients(
      new BatchSemiHardTripletLoss({ margin: 1 }),
      model,
      batch,
      evalCtx,
    );
    expect(loss).toBeCloseTo(0.5, 5);
    const rows = TableModel.rows(grads.get('table')!, model, ['x0', 'x1', 'x3', 'x7']);
    expect(rows.map((r) => r[0]!)).toEqual([0.25, 0, -0.5, 0.25].map((v) => expect.closeTo(v, 5)));
    for (const g of grads.values()) g.dispose();
  });
});

describe('registry', () => {
  it('builds the triplet family with sentence-transformers defaults and checks options', () => {
    const l = createLoss('batch-semi-hard-triplet') as BatchSemiHardTripletLoss;
    expect([l.distance, l.margin]).toEqual(['euclidean', 5]);
    const c = createLoss('BatchAllTripletLoss', { distance: 'cosine', margin: '0.2' }) as BatchAllTripletLoss;
    expect([c.name, c.distance, c.margin]).toEqual(['BatchAllTripletLoss', 'cosine', 0.2]);
    expect(() => createLoss('batch-hard-triplet', { distance: 'manhattan' })).toThrow(/euclidean, cosine/);
  });
  it('needs an integer label column', () => {
    expect(() =>
      computeLoss(new BatchHardTripletLoss(), model, batchOf({ text: ['x0', 'x1'] }, [0.5, 1]), evalCtx),
    ).toThrow(/integer class/);
  });
});
