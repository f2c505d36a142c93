import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { TableModel, batchOf, evalCtx } from '../../test/table_model.js';
import { computeLoss, computeLossAndGradients } from '../compute.js';
import { CachedMultipleNegativesRankingLoss } from './cached_mnrl.js';
import { MatryoshkaLoss, defaultMatryoshkaDims } from './matryoshka.js';
import { MultipleNegativesRankingLoss } from './mnrl.js';
import { CosineSimilarityLoss } from './pair_losses.js';

let model: TableModel;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = new TableModel({
    u: [1, 0, 1],
    v: [1, 1, 0],
    a1: [1, 0, 2],
    a2: [0, 1, 1],
    p1: [1, 1, 0],
    p2: [2, -1, 1],
    p3: [0, 1, -1],
  });
});

const r = Math.SQRT1_2;

describe('MatryoshkaLoss', () => {
  it('weighted sum of the inner loss on truncated embeddings; the model runs once per column', () => {
    // dims [2, 1]: u → (1,0) / (1); v → (1,1) / (1). cos = 1/√2 and 1. Label 0.5, weights [1, 0.5]:
    // (1/√2 − 0.5)² + 0.5·(1 − 0.5)².
    const loss = new MatryoshkaLoss(new CosineSimilarityLoss(), { dims: [2, 1], weights: [1, 0.5] });
    const before = model.calls.length;
    const value = computeLoss(loss, model, batchOf({ s1: ['u'], s2: ['v'] }, [0.5]), evalCtx);
    expect(value).toBeCloseTo((r - 0.5) ** 2 + 0.5 * 0.25, 6);
    expect(model.calls.length - before).toBe(2);
    // Full dimension 3: u·v = 1, |u| = |v| = √2 → cos 0.5 → loss 0; plus dim 1 with weight 1: (1 − 0.5)².
    const withFull = new MatryoshkaLoss(new CosineSimilarityLoss(), { dims: [3, 1] });
    expect(computeLoss(withFull, model, batchOf({ s1: ['u'], s2: ['v'] }, [0.5]), evalCtx)).toBeCloseTo(
      0.25,
      6,
    );
  });

  it('wraps CachedMultipleNegativesRankingLoss with the same loss and gradients as wrapping MNRL', () => {
    const batch = batchOf({ anchor: ['a1', 'a2', 'u'], positive: ['p1', 'p2', 'p3'] });
    const plain = computeLossAndGradients(
      new MatryoshkaLoss(new MultipleNegativesRankingLoss(), { dims: [3, 2] }),
      model,
      batch,
      evalCtx,
    );
    const cached = computeLossAndGradients(
      new MatryoshkaLoss(new CachedMultipleNegativesRankingLoss({ miniBatchSize: 2 }), { dims: [3, 2] }),
      model,
      batch,
      evalCtx,
    );
    expect(cached.loss).toBeCloseTo(plain.loss, 5);
    const g1 = Array.from(plain.grads.get('table')!.dataSync());
    const g2 = Array.from(cached.grads.get('table')!.dataSync());
    g1.forEach((g, i) => expect(g2[i]).toBeCloseTo(g, 5));
    // And the sum really has both terms: dims [3] alone gives a different loss.
    const single = computeLoss(
      new MatryoshkaLoss(new MultipleNegativesRankingLoss(), { dims: [3] }),
      model,
      batch,
      evalCtx,
    );
    expect(Math.abs(single - plain.loss)).toBeGreaterThan(1e-3);
    for (const g of [...plain.grads.values(), ...cached.grads.values()]) g.dispose();
  });

  it('nDimsPerStep trains a seeded random subset of the dims', () => {
    const batch = batchOf({ s1: ['u'], s2: ['v'] }, [0.5]);
    // Per-dim losses: dim 3 → (0.5 − 0.5)² = 0, dim 2 → (1/√2 − 0.5)², dim 1 → (1 − 0.5)².
    const single = [0, (r - 0.5) ** 2, 0.25];
    const loss = new MatryoshkaLoss(new CosineSimilarityLoss(), { dims: [3, 2, 1], nDimsPerStep: 1 });
    const seen = new Set<number>();
    for (let seed = 0; seed < 12; seed++) {
      const value = computeLoss(loss, model, batch, { training: false, seed });
      const hit = single.findIndex((s) => Math.abs(s - value) < 1e-6);
      expect(hit).toBeGreaterThanOrEqual(0);
      seen.add(hit);
      expect(computeLoss(loss, model, batch, { training: false, seed })).toBeCloseTo(value, 7);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('default dims: the model size and its halvings down to ≥ 32; errors', () => {
    expect(defaultMatryoshkaDims(768)).toEqual([768, 384, 192, 96, 48]);
    expect(defaultMatryoshkaDims(384)).toEqual([384, 192, 96, 48]);
    expect(defaultMatryoshkaDims(32)).toEqual([32]);
    const loss = new MatryoshkaLoss(new CosineSimilarityLoss());
    loss.prepare(model);
    expect(loss.matryoshkaDims).toEqual([3]);
    const tooBig = new MatryoshkaLoss(new CosineSimilarityLoss(), { dims: [4] });
    expect(() => computeLoss(tooBig, model, batchOf({ s1: ['u'], s2: ['v'] }, [0.5]), evalCtx)).toThrow(
      /dimension 4 exceeds the model's embedding size 3/,
    );
    expect(() => new MatryoshkaLoss(new CosineSimilarityLoss(), { dims: [2, 1], weights: [1] })).toThrow(
      /1 weights for 2 dims/,
    );
    expect(loss.columns).toEqual(new CosineSimilarityLoss().columns);
  });
});
