import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { TableModel, batchOf, evalCtx } from '../../test/table_model.js';
import { computeLoss, computeLossAndGradients } from '../compute.js';
import { GISTEmbedLoss } from './gist.js';

let model: TableModel;
let guide: TableModel;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  // Model: a1 = (1,0), a2 = (0,1), p1 = (1,1), p2 = (−1,1), n1 = (1,0), n2 = (1,0).
  model = new TableModel({ a1: [1, 0], a2: [0, 1], p1: [1, 1], p2: [-1, 1], n1: [1, 0], n2: [1, 0] });
  // Guide: a1 = (1,0), a2 = (0,1), p1 = (2,1), p2 = (1,1), n1 = (1,0), n2 = (0,1).
  guide = new TableModel({ a1: [1, 0], a2: [0, 1], p1: [2, 1], p2: [1, 1], n1: [1, 0], n2: [0, 1] });
});

const r = Math.SQRT1_2;
const lse = (...xs: number[]) => Math.log(xs.reduce((s, x) => s + Math.exp(x), 0));
const T = 0.1;

// Guide thresholds (its anchor–positive scores): s1 = cos((1,0),(2,1)) = 2/√5 ≈ 0.894, s2 = cos((0,1),(1,1)) ≈ 0.707.
// Guide anchor–positive off-diagonal: cos(a1,p2) = 0.707 < s1, cos(a2,p1) = 1/√5 < s2 → kept.
// Guide anchor–anchor: diagonal 1 > s → masked; off-diagonal 0 → kept.
// Guide positive–positive: cos((2,1),(1,1)) = 3/√10 ≈ 0.949 > s1 and > s2 → masked, diagonal masked too.
// So row 1 keeps [ap11 = cos(a1,p1) = r, ap12 = cos(a1,p2) = −r, aa12 = 0], target ap11;
// row 2 keeps [ap21 = cos(a2,p1) = r, ap22 = cos(a2,p2) = r, aa21 = 0], target ap22.
describe('GISTEmbedLoss (hand-computed)', () => {
  it('masks the candidates the guide scores above the guide positive', () => {
    const loss = new GISTEmbedLoss({ guide, temperature: T });
    const row1 = lse(r / T, -r / T, 0) - r / T;
    const row2 = lse(r / T, r / T, 0) - r / T;
    const batch = batchOf({ anchor: ['a1', 'a2'], positive: ['p1', 'p2'] });
    expect(computeLoss(loss, model, batch, evalCtx)).toBeCloseTo((row1 + row2) / 2, 5);
    // computeGradients (guide outside the tape) gives the same value, and gradients only for the model.
    const { loss: value, grads } = computeLossAndGradients(loss, model, batch, evalCtx);
    expect(value).toBeCloseTo((row1 + row2) / 2, 5);
    expect([...grads.keys()]).toEqual(['table']);
    for (const g of grads.values()) g.dispose();
  });

  it('hard negatives: masked where the guide scores them above the positive', () => {
    // Guide anchor–negative: cos(a1,n1) = 1 > s1 masked, cos(a1,n2) = 0 kept, cos(a2,n1) = 0 kept, cos(a2,n2) = 1 masked.
    // Model anchor–negative: cos(a1,n2) = 1, cos(a2,n1) = 0.
    const loss = new GISTEmbedLoss({ guide, temperature: T });
    const row1 = lse(r / T, -r / T, 0, 1 / T) - r / T;
    const row2 = lse(r / T, r / T, 0, 0) - r / T;
    const batch = batchOf({ anchor: ['a1', 'a2'], positive: ['p1', 'p2'], negative: ['n1', 'n2'] });
    expect(computeLoss(loss, model, batch, evalCtx)).toBeCloseTo((row1 + row2) / 2, 5);
  });

  it('contrastAnchors / contrastPositives off drop those blocks; the relative margin strategy', () => {
    const batch = batchOf({ anchor: ['a1', 'a2'], positive: ['p1', 'p2'] });
    const apOnly = new GISTEmbedLoss({
      guide,
      temperature: T,
      contrastAnchors: false,
      contrastPositives: false,
    });
    expect(computeLoss(apOnly, model, batch, evalCtx)).toBeCloseTo(
      (lse(r / T, -r / T) - r / T + lse(r / T, r / T) - r / T) / 2,
      5,
    );
    // Relative margin 0.5: thresholds s·0.5 = 0.447 and 0.354. Row 1 masks ap12 (0.707 > 0.447); row 2 masks
    // ap21 (1/√5 ≈ 0.447 > 0.354). Anchor–anchor off-diagonals (0) stay.
    const relative = new GISTEmbedLoss({
      guide,
      temperature: T,
      marginStrategy: 'relative',
      margin: 0.5,
      contrastPositives: false,
    });
    const expected = (lse(r / T, 0) - r / T + lse(r / T, 0) - r / T) / 2;
    expect(computeLoss(relative, model, batch, evalCtx)).toBeCloseTo(expected, 5);
  });

  it('requires a guide model', () => {
    expect(() => new GISTEmbedLoss({ guide: undefined as never })).toThrow(
      /option guide must be an embedding model/,
    );
  });
});
