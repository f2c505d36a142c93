import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { TableModel, batchOf, evalCtx } from '../../test/table_model.js';
import { computeLossAndGradients } from '../compute.js';
import { CachedMultipleNegativesRankingLoss } from './cached_mnrl.js';
import { MultipleNegativesRankingLoss } from './mnrl.js';

let model: TableModel;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = new TableModel({
    a1: [1, 0],
    a2: [0, 1],
    a3: [1, 1],
    p1: [1, 0.5],
    p2: [-1, 1],
    p3: [2, 1],
    n1: [0, -1],
    n2: [1, -1],
    n3: [3, 0],
  });
});

describe('CachedMultipleNegativesRankingLoss (GradCache)', () => {
  const batch = () =>
    batchOf({ anchor: ['a1', 'a2', 'a3'], positive: ['p1', 'p2', 'p3'], negative: ['n1', 'n2', 'n3'] });

  for (const miniBatchSize of [1, 2, 32]) {
    it(`same loss and gradients as MNRL (mini-batch ${miniBatchSize})`, () => {
      const plain = computeLossAndGradients(new MultipleNegativesRankingLoss(), model, batch(), evalCtx);
      const cached = computeLossAndGradients(
        new CachedMultipleNegativesRankingLoss({ miniBatchSize }),
        model,
        batch(),
        evalCtx,
      );
      expect(cached.loss).toBeCloseTo(plain.loss, 5);
      const g1 = Array.from(plain.grads.get('table')!.dataSync());
      const g2 = Array.from(cached.grads.get('table')!.dataSync());
      g1.forEach((g, i) => expect(g2[i]).toBeCloseTo(g, 5));
      for (const g of [...plain.grads.values(), ...cached.grads.values()]) g.dispose();
    });
  }

  it('replays every mini-batch with the dropout seed of its first pass', () => {
    const recording = new TableModel({
      a1: [1, 0],
      a2: [0, 1],
      a3: [1, 1],
      p1: [1, 0.5],
      p2: [-1, 1],
      p3: [2, 1],
    });
    const b = batchOf({ anchor: ['a1', 'a2', 'a3'], positive: ['p1', 'p2', 'p3'] });
    const { grads } = computeLossAndGradients(
      new CachedMultipleNegativesRankingLoss({ miniBatchSize: 2 }),
      recording,
      b,
      {
        training: true,
        seed: 7,
      },
    );
    for (const g of grads.values()) g.dispose();
    // 2 columns × 2 mini-batches, embedded once without tape, then replayed in the same order.
    const calls = recording.calls.map((c) => `${c.texts.join('+')}@${c.options?.seed}`);
    expect(calls.length).toBe(8);
    expect(calls.slice(4)).toEqual(calls.slice(0, 4));
    expect(new Set(calls.slice(0, 4)).size).toBe(4);
    expect(recording.calls.every((c) => c.options?.training === true)).toBe(true);
    recording.dispose();
  });

  it('rejects a bad mini-batch size', () => {
    expect(() => new CachedMultipleNegativesRankingLoss({ miniBatchSize: 0 })).toThrow(
      /miniBatchSize must be a positive integer/,
    );
  });
});
