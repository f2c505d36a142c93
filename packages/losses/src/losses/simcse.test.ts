import { initBackend } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableModel, batchOf } from '../../test/table_model.js';
import { computeLoss, computeLossAndGradients } from '../compute.js';
import { createLoss } from '../registry.js';
import type { ContrastiveTensionLoss } from './contrastive_tension.js';
import { MultipleNegativesRankingLoss } from './mnrl.js';
import { SimCSELoss } from './simcse.js';

let model: TableModel;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = new TableModel({ u: [1, 0], v2: [1, 1], v3: [0, 1] });
});
afterAll(() => model.dispose());

const r = Math.SQRT1_2;
const ctx = { training: true, seed: 7 };
// Texts u and v2 (cos 1/√2), each its own positive: scores 20·[[1, r], [r, 1]], so every row's cross entropy
// is log(1 + e^{20(r − 1)}).
const rowLoss = Math.log(1 + Math.exp(20 * (r - 1)));

describe('SimCSELoss', () => {
  it('unsupervised: one column embedded twice with different dropout seeds, MNRL at scale 20', () => {
    model.calls.length = 0;
    const batch = batchOf({ text: ['u', 'v2'] });
    expect(computeLoss(new SimCSELoss(), model, batch, ctx)).toBeCloseTo(rowLoss, 6);
    expect(model.calls.map((c) => c.texts)).toEqual([
      ['u', 'v2'],
      ['u', 'v2'],
    ]);
    const [a, b] = model.calls.map((c) => c.options?.seed);
    expect(a).toBeTypeOf('number');
    expect(a).not.toBe(b);
    expect(model.calls.every((c) => c.options?.training === true)).toBe(true);
  });
  it("the column's prompt rides on both passes", () => {
    model.calls.length = 0;
    computeLoss(new SimCSELoss(), model, batchOf({ text: ['u', 'v2'] }), { ...ctx, prompts: ['q: '] });
    expect(model.calls.map((c) => c.options?.prompt)).toEqual(['q: ', 'q: ']);
  });
  it('supervised on (anchor, positive, negative) is MNRL with scale 20', () => {
    const batch = batchOf({ anchor: ['u', 'v3'], positive: ['v2', 'v3'], negative: ['v3', 'u'] });
    expect(computeLoss(createLoss('simcse'), model, batch, ctx)).toBeCloseTo(
      computeLoss(new MultipleNegativesRankingLoss({ scale: 20 }), model, batch, ctx),
      6,
    );
  });
});

describe('ContrastiveTensionLoss (in-batch negatives)', () => {
  it('symmetric cross entropy at exp(logit_scale) = 20, and the gradient of the learnable scale', () => {
    model.calls.length = 0;
    const loss = createLoss('ct') as ContrastiveTensionLoss;
    expect(loss.scale).toBeCloseTo(20, 4);
    const { loss: value, grads } = computeLossAndGradients(loss, model, batchOf({ text: ['u', 'v2'] }), ctx);
    expect(value).toBeCloseTo(rowLoss, 6);
    // L = log(1 + e^{e^s (r − 1)}) → dL/ds = σ(20(r − 1)) · 20(r − 1).
    const z = 20 * (r - 1);
    const expected = (1 / (1 + Math.exp(-z))) * z;
    expect(grads.get('contrastive_tension.logit_scale')!.dataSync()[0]).toBeCloseTo(expected, 5);
    const [a, b] = model.calls.map((c) => c.options?.seed);
    expect(a).not.toBe(b);
    for (const g of grads.values()) g.dispose();
    loss.dispose();
  });
});
