import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { TableModel, batchOf, evalCtx } from '../../test/table_model.js';
import { computeLoss } from '../compute.js';
import { InfoNCELoss, MultipleNegativesRankingLoss, MultipleNegativesSymmetricRankingLoss } from './mnrl.js';

let model: TableModel;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = new TableModel({ a1: [1, 0], a2: [0, 1], p1: [1, 0], p2: [1, 1], n1: [0, 1], n2: [-1, 0] });
});

// a1 = (1,0), a2 = (0,1); p1 = (1,0), p2 = (1,1); n1 = (0,1), n2 = (-1,0).
// cos(a1,p1) = 1, cos(a1,p2) = 1/√2, cos(a2,p1) = 0, cos(a2,p2) = 1/√2,
// cos(a1,n1) = 0, cos(a1,n2) = −1, cos(a2,n1) = 1, cos(a2,n2) = 0, cos(a1,a2) = 0.
const r = Math.SQRT1_2;
const lse = (...xs: number[]) => Math.log(xs.reduce((s, x) => s + Math.exp(x), 0));
const pairs = () => batchOf({ anchor: ['a1', 'a2'], positive: ['p1', 'p2'] });

describe('MultipleNegativesRankingLoss (hand-computed)', () => {
  it('in-batch negatives, scale 20, cosine', () => {
    // Row 1 logits [20·1, 20/√2], target 0; row 2 logits [20·0, 20/√2], target 1.
    const row1 = lse(20, 20 * r) - 20;
    const row2 = lse(0, 20 * r) - 20 * r;
    expect(computeLoss(new MultipleNegativesRankingLoss(), model, pairs(), evalCtx)).toBeCloseTo(
      (row1 + row2) / 2,
      5,
    );
  });

  it('hard negatives are appended as extra candidates', () => {
    const batch = batchOf({ anchor: ['a1', 'a2'], positive: ['p1', 'p2'], negative: ['n1', 'n2'] });
    // Candidates [p1, p2, n1, n2]: row 1 logits 20·[1, r, 0, −1]; row 2 logits 20·[0, r, 1, 0], target 1.
    const row1 = lse(20, 20 * r, 0, -20) - 20;
    const row2 = lse(0, 20 * r, 20, 0) - 20 * r;
    expect(computeLoss(new MultipleNegativesRankingLoss(), model, batch, evalCtx)).toBeCloseTo(
      (row1 + row2) / 2,
      4,
    );
  });

  it('dot similarity and a custom scale', () => {
    // Dot products: a1·p1 = 1, a1·p2 = 1, a2·p1 = 0, a2·p2 = 1; scale 2.
    const row1 = lse(2, 2) - 2;
    const row2 = lse(0, 2) - 2;
    const loss = new MultipleNegativesRankingLoss({ scale: 2, similarity: 'dot' });
    expect(computeLoss(loss, model, pairs(), evalCtx)).toBeCloseTo((row1 + row2) / 2, 5);
  });

  it('useAnchorsAsNegatives adds the other anchors (never the anchor itself)', () => {
    // Extra logits per row: the other anchor, cos(a1, a2) = 0.
    const row1 = lse(20, 20 * r, 0) - 20;
    const row2 = lse(0, 20 * r, 0) - 20 * r;
    const loss = new MultipleNegativesRankingLoss({ useAnchorsAsNegatives: true });
    expect(computeLoss(loss, model, pairs(), evalCtx)).toBeCloseTo((row1 + row2) / 2, 5);
  });

  it('maskFalseNegatives drops in-batch candidates whose text equals the positive', () => {
    // Rows (a1, p2), (a2, p2), (a1, p1): rows 1 and 2 share the positive text "p2".
    const batch = batchOf({ anchor: ['a1', 'a2', 'a1'], positive: ['p2', 'p2', 'p1'] });
    // Row 1: candidates [p2 ✓, p2 (masked), p1] → logits 20·[r, 1]; row 2: [p2 (masked), p2 ✓, p1] → 20·[r, 0];
    // row 3: [p2, p2, p1 ✓] (no duplicate of p1) → 20·[r, r, 1].
    const row1 = lse(20 * r, 20) - 20 * r;
    const row2 = lse(20 * r, 0) - 20 * r;
    const row3 = lse(20 * r, 20 * r, 20) - 20;
    const masked = new MultipleNegativesRankingLoss({ maskFalseNegatives: true });
    expect(computeLoss(masked, model, batch, evalCtx)).toBeCloseTo((row1 + row2 + row3) / 3, 5);
    // Without masking the duplicate competes with the true positive.
    const plain = (lse(20 * r, 20 * r, 20) - 20 * r + (lse(20 * r, 20 * r, 0) - 20 * r) + row3) / 3;
    expect(computeLoss(new MultipleNegativesRankingLoss(), model, batch, evalCtx)).toBeCloseTo(plain, 5);
  });

  it('InfoNCELoss is MNRL with scale 1/temperature', () => {
    const loss = new InfoNCELoss({ temperature: 0.1 });
    expect(loss.name).toBe('InfoNCELoss');
    expect(loss.scale).toBeCloseTo(10, 10);
    const row1 = lse(10, 10 * r) - 10;
    const row2 = lse(0, 10 * r) - 10 * r;
    expect(computeLoss(loss, model, pairs(), evalCtx)).toBeCloseTo((row1 + row2) / 2, 5);
    expect(new InfoNCELoss().scale).toBeCloseTo(20, 10);
    expect(() => new InfoNCELoss({ temperature: 0 })).toThrow(/temperature must be positive/);
  });
});

describe('MultipleNegativesSymmetricRankingLoss (hand-computed)', () => {
  it('averages anchor→positives and positive→anchors', () => {
    const forward = (lse(20, 20 * r) - 20 + lse(0, 20 * r) - 20 * r) / 2;
    // Positive p1 over anchors: 20·[cos(a1,p1), cos(a2,p1)] = [20, 0], target a1; p2: [20r, 20r], target a2.
    const backward = (lse(20, 0) - 20 + lse(20 * r, 20 * r) - 20 * r) / 2;
    const loss = new MultipleNegativesSymmetricRankingLoss();
    expect(computeLoss(loss, model, pairs(), evalCtx)).toBeCloseTo((forward + backward) / 2, 5);
  });
});
