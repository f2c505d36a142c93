import { initBackend } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableModel, batchOf, evalCtx } from '../../test/table_model.js';
import { computeLoss } from '../compute.js';
import { createLoss } from '../registry.js';
import { MegaBatchMarginLoss } from './mega_batch_margin.js';

let model: TableModel;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = new TableModel({ u: [1, 0], v2: [1, 1], v3: [0, 1], v4: [2, 1] });
});
afterAll(() => model.dispose());

describe('MegaBatchMarginLoss (hand-computed)', () => {
  it('relu(0.8 − cos(a, p)) + relu(cos(a, hardest other positive) − 0.3), mean over rows', () => {
    // Anchors u, v3; positives v2, v4. cos(u,v2) = 1/√2, cos(u,v4) = 2/√5, cos(v3,v2) = 1/√2, cos(v3,v4) = 1/√5.
    // Row u: (0.8 − 1/√2) + (2/√5 − 0.3); row v3: (0.8 − 1/√5) + (1/√2 − 0.3). Mean = (1 + 1/√5) / 2.
    const batch = batchOf({ anchor: ['u', 'v3'], positive: ['v2', 'v4'] });
    expect(computeLoss(new MegaBatchMarginLoss(), model, batch, evalCtx)).toBeCloseTo(
      (1 + 1 / Math.sqrt(5)) / 2,
      5,
    );
    // Margins that every pair satisfies: 0.
    const easy = createLoss('mega-batch-margin', { positive_margin: 0.3, negative_margin: 0.95 });
    expect(computeLoss(easy, model, batch, evalCtx)).toBeCloseTo(0, 6);
  });
});
