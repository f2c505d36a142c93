import { initBackend, tf } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { TableModel, batchOf, evalCtx } from '../../test/table_model.js';
import { computeLoss, computeLossAndGradients } from '../compute.js';
import { SoftmaxLoss } from './softmax.js';

let model: TableModel;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = new TableModel({ u1: [1, 2], v1: [3, -1], u2: [0, 1], v2: [2, 2] });
});

const batch = () => batchOf({ premise: ['u1', 'u2'], hypothesis: ['v1', 'v2'] }, [2, 0]);

describe('SoftmaxLoss', () => {
  it('classifier over [u, v, |u − v|], initialized like torch.nn.Linear, in PyTorch layout', () => {
    const loss = new SoftmaxLoss({ numLabels: 3 });
    expect(() => loss.namedVariables()).toThrow(
      /does not exist yet; pass embeddingDimension or call prepare/,
    );
    loss.prepare(model); // dimension 2 from model.dimension
    const [w, b] = loss.namedVariables();
    expect(w!.name).toBe('classifier.weight');
    expect(b!.name).toBe('classifier.bias');
    expect(w!.variable.shape).toEqual([3, 6]);
    expect(b!.variable.shape).toEqual([3]);
    const bound = 1 / Math.sqrt(6);
    for (const v of [...w!.variable.dataSync(), ...b!.variable.dataSync()])
      expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    // Same seed, same weights.
    const again = new SoftmaxLoss({ numLabels: 3, embeddingDimension: 2 });
    expect(Array.from(again.namedVariables()[0]!.variable.dataSync())).toEqual(
      Array.from(w!.variable.dataSync()),
    );
    again.dispose();
    loss.dispose();
  });

  it('loss and classifier gradient match a hand computation from the weights', () => {
    const loss = new SoftmaxLoss({ numLabels: 3, embeddingDimension: 2 });
    const W = loss.namedVariables()[0]!.variable.arraySync() as number[][];
    const bias = Array.from(loss.namedVariables()[1]!.variable.dataSync());
    // Features [u, v, |u − v|]: row 1 = [1, 2, 3, −1, 2, 3], row 2 = [0, 1, 2, 2, 2, 1].
    const features = [
      [1, 2, 3, -1, 2, 3],
      [0, 1, 2, 2, 2, 1],
    ];
    const labels = [2, 0];
    let expected = 0;
    const expectedGradW = W.map((row) => row.map(() => 0));
    features.forEach((f, n) => {
      const logits = W.map((row, k) => row.reduce((s, w, i) => s + w * f[i]!, bias[k]!));
      const z = Math.log(logits.reduce((s, x) => s + Math.exp(x), 0));
      expected += (z - logits[labels[n]!]!) / 2;
      // d(CE)/d(logit_k) = softmax_k − [k = label]; averaged over the batch.
      logits.forEach((l, k) => {
        const g = (Math.exp(l - z) - (k === labels[n] ? 1 : 0)) / 2;
        f.forEach((x, i) => {
          expectedGradW[k]![i]! += g * x;
        });
      });
    });
    const { loss: value, grads } = computeLossAndGradients(loss, model, batch(), evalCtx);
    expect(value).toBeCloseTo(expected, 5);
    expect([...grads.keys()].sort()).toEqual(['classifier.bias', 'classifier.weight', 'table']);
    const gw = grads.get('classifier.weight')!.arraySync() as number[][];
    gw.forEach((row, k) => row.forEach((g, i) => expect(g).toBeCloseTo(expectedGradW[k]![i]!, 5)));
    for (const g of grads.values()) g.dispose();
    loss.dispose();
  });

  it('u ⊙ v when concatenationSentMultiplication is on; bad labels are errors', () => {
    const loss = new SoftmaxLoss({
      numLabels: 2,
      concatenationSentMultiplication: true,
      concatenationSentRep: false,
    });
    loss.prepare(model);
    expect(loss.namedVariables()[0]!.variable.shape).toEqual([2, 4]);
    const feats = tf.tidy(() => loss.features(tf.tensor2d([[1, 2]]), tf.tensor2d([[3, -1]])).arraySync());
    expect(feats).toEqual([[2, 3, 3, -2]]);
    const bad = batchOf({ premise: ['u1'], hypothesis: ['v1'] }, [5]);
    expect(() => computeLoss(loss, model, bad, evalCtx)).toThrow(
      /label of row 0 must be a class id in 0..1, got 5/,
    );
    loss.dispose();
    expect(() => new SoftmaxLoss({ numLabels: 1 })).toThrow(/numLabels must be an integer ≥ 2/);
  });
});
