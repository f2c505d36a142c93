import { initBackend, tf } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { TableModel, batchOf, evalCtx } from '../test/table_model.js';
import { computeLossAndGradients, labelKindOf, validateColumns } from './compute.js';
import { CachedMultipleNegativesRankingLoss } from './losses/cached_mnrl.js';
import { CoSENTLoss } from './losses/cosent.js';
import { DistillKLDivLoss, MarginMSELoss } from './losses/distillation.js';
import { GISTEmbedLoss } from './losses/gist.js';
import { MatryoshkaLoss } from './losses/matryoshka.js';
import { MultipleNegativesRankingLoss } from './losses/mnrl.js';
import { CosineSimilarityLoss, OnlineContrastiveLoss, TripletLoss } from './losses/pair_losses.js';
import { SoftmaxLoss } from './losses/softmax.js';
import type { Loss } from './types.js';

let model: TableModel;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = new TableModel({ q1: [1, 2], p1: [3, 0], n1: [0, 1], q2: [1, 0], p2: [1, 1], n2: [2, 0] });
});

describe('validateColumns', () => {
  it('names what the loss needs and what the data set has', () => {
    expect(() => validateColumns(new MultipleNegativesRankingLoss(), ['anchor'])).toThrow(
      'MultipleNegativesRankingLoss needs (anchor, positive[, negative...]) but the data set has 1 text column (anchor)',
    );
    expect(() => validateColumns(new TripletLoss(), ['a', 'b', 'c', 'd'])).toThrow(
      'TripletLoss needs (anchor, positive, negative) but the data set has 4 text columns (a, b, c, d)',
    );
    expect(() => validateColumns(new MultipleNegativesRankingLoss(), ['a', 'b', 'c', 'd'])).not.toThrow();
  });

  it('checks the label column: missing, or holding the wrong kind', () => {
    expect(() => validateColumns(new CosineSimilarityLoss(), ['s1', 's2'])).toThrow(
      /CosineSimilarityLoss needs \(sentence1, sentence2\) with a similarity score and a label column \("label" or "score"\) holding a number per row \(float\), but the data set has no label column/,
    );
    expect(() =>
      validateColumns(new CosineSimilarityLoss(), ['s1', 's2'], { present: true, kind: 'class' }),
    ).not.toThrow();
    expect(() =>
      validateColumns(new SoftmaxLoss({ numLabels: 3 }), ['s1', 's2'], { present: true, kind: 'float' }),
    ).toThrow(
      "SoftmaxLoss needs a label column holding an integer class id per row, but the data set's label column holds a number per row (float)",
    );
    expect(() => validateColumns(new CoSENTLoss(), ['s1', 's2'], { present: true, kind: 'list' })).toThrow(
      /holds a list of numbers per row/,
    );
    // MarginMSE takes one margin per row with one negative; DistillKL always needs a list.
    expect(() =>
      validateColumns(new MarginMSELoss(), ['q', 'p', 'n'], { present: true, kind: 'float' }),
    ).not.toThrow();
    expect(() =>
      validateColumns(new DistillKLDivLoss(), ['q', 'p', 'n'], { present: true, kind: 'float' }),
    ).toThrow(/DistillKLDivLoss needs a label column holding a list of numbers per row/);
    // A label the loss does not use is ignored, as sentence-transformers does.
    expect(() =>
      validateColumns(new MultipleNegativesRankingLoss(), ['a', 'p'], { present: true, kind: 'float' }),
    ).not.toThrow();
  });

  it('labelKindOf', () => {
    expect(labelKindOf([0, 1, 2])).toBe('class');
    expect(labelKindOf([0.5, 1])).toBe('float');
    expect(labelKindOf([[1, 2]])).toBe('list');
  });

  it('computeLossAndGradients validates the batch first', () => {
    expect(() =>
      computeLossAndGradients(
        new CosineSimilarityLoss(),
        model,
        batchOf({ s1: ['q1'], s2: ['p1'] }),
        evalCtx,
      ),
    ).toThrow(/no label column/);
  });
});

describe('computeLossAndGradients', () => {
  it('gradients by parameter name match a hand computation (MarginMSE, dot product)', () => {
    // L = ½ Σ_i r_i², r_i = q_i·(p_i − n_i) − y_i. Row 1: q1·(p1 − n1) = (1,2)·(3,−1) = 1, y = 0.5 → r = 0.5.
    // Row 2: q2·(p2 − n2) = (1,0)·(−1,1) = −1, y = 0 → r = −1. dL/dq = r(p − n), dL/dp = r·q, dL/dn = −r·q.
    const batch = batchOf({ q: ['q1', 'q2'], p: ['p1', 'p2'], n: ['n1', 'n2'] }, [0.5, 0]);
    const { loss, grads } = computeLossAndGradients(new MarginMSELoss(), model, batch, evalCtx);
    expect(loss).toBeCloseTo((0.25 + 1) / 2, 6);
    const rows = TableModel.rows(grads.get('table')!, model, ['q1', 'p1', 'n1', 'q2', 'p2', 'n2']);
    const expected = [
      [1.5, -0.5],
      [0.5, 1],
      [-0.5, -1],
      [1, -1],
      [-1, 0],
      [1, 0],
    ];
    rows.forEach((row, i) => row.forEach((g, j) => expect(g).toBeCloseTo(expected[i]![j]!, 5)));
    for (const g of grads.values()) g.dispose();
  });

  it('leaves no tensors behind, for every kind of loss', () => {
    const guide = new TableModel(
      { q1: [1, 1], p1: [1, 0], n1: [0, 1], q2: [0, 1], p2: [1, 2], n2: [2, 1] },
      'guide',
    );
    const triples = batchOf({ q: ['q1', 'q2'], p: ['p1', 'p2'], n: ['n1', 'n2'] });
    const pairs = (labels: number[]) => batchOf({ s1: ['q1', 'q2'], s2: ['p1', 'p2'] }, labels);
    const softmax = new SoftmaxLoss({ numLabels: 2 });
    const cases: Array<[Loss, ReturnType<typeof batchOf>]> = [
      [new MultipleNegativesRankingLoss({ useAnchorsAsNegatives: true, maskFalseNegatives: true }), triples],
      [new CachedMultipleNegativesRankingLoss({ miniBatchSize: 1 }), triples],
      [new MatryoshkaLoss(new CoSENTLoss(), { dims: [2, 1] }), pairs([0.1, 0.7])],
      [
        new MatryoshkaLoss(new CachedMultipleNegativesRankingLoss({ miniBatchSize: 1 }), { dims: [2, 1] }),
        triples,
      ],
      [new GISTEmbedLoss({ guide }), triples],
      [new OnlineContrastiveLoss(), pairs([1, 0])],
      [softmax, pairs([1, 0])],
    ];
    for (const [loss, batch] of cases) {
      const step = () => {
        const { grads } = computeLossAndGradients(loss, model, batch, { training: true, seed: 3 });
        expect(grads.size).toBeGreaterThan(0);
        for (const g of grads.values()) g.dispose();
      };
      step(); // the first call may create the loss's own variables
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step();
      expect(`${loss.name}: ${tf.memory().numTensors - before}`).toBe(`${loss.name}: 0`);
    }
    softmax.dispose();
    guide.dispose();
  });

  it('rejects a loss with neither forward nor computeGradients', () => {
    const empty: Loss = { name: 'Empty', columns: { minInputs: 1, label: 'none', description: '(text)' } };
    expect(() => computeLossAndGradients(empty, model, batchOf({ t: ['q1'] }), evalCtx)).toThrow(
      'Empty has neither forward() nor computeGradients()',
    );
  });
});
