import { readFileSync } from 'node:fs';
import { SentenceEncoder } from '@contrastive/bert';
import { AdamW, initBackend, tf } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import {
  CoSENTLoss,
  CosineSimilarityLoss,
  type Loss,
  type LossBatch,
  type LossGradients,
  MultipleNegativesRankingLoss,
  TripletLoss,
  computeLoss,
  computeLossAndGradients,
} from '../src/index.js';

interface GradientReference {
  global_norm: number;
  word_embeddings_norm: number;
  layer0_query_weight_norm: number;
  last_output_layernorm_weight: number[];
}

interface Reference {
  pairs: Array<[string, string, string]>;
  pair_scores: number[];
  losses: Record<
    'mnrl' | 'mnrl_hard_negatives' | 'cosine_similarity_mse' | 'cosent' | 'triplet_euclidean_margin5',
    number
  >;
  gradients: Record<'mnrl' | 'cosine_similarity_mse' | 'cosent', GradientReference>;
  adamw_mnrl_trajectory: {
    lr: number;
    betas: [number, number];
    eps: number;
    weight_decay: number;
    losses_before_each_step_and_final: number[];
  };
}

const dir = sharedPath('fixtures', 'tiny-bert');
const ref = JSON.parse(readFileSync(`${dir}/reference.json`, 'utf8')) as Reference;
const ctx = { training: false };

function batchOf(columns: Array<'anchor' | 'positive' | 'negative'>, labels?: number[]): LossBatch {
  const index = { anchor: 0, positive: 1, negative: 2 };
  return {
    columnNames: columns,
    columns: Object.fromEntries(columns.map((c) => [c, ref.pairs.map((p) => p[index[c]]!)])),
    labels,
    size: ref.pairs.length,
  };
}

const relErr = (actual: number, expected: number) => Math.abs(actual - expected) / Math.abs(expected);

let model: SentenceEncoder;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = await SentenceEncoder.load(dir);
});
afterAll(() => model?.dispose());

describe('losses on the tiny-bert reference batch (PyTorch, dropout off)', () => {
  const cases: Array<[keyof Reference['losses'], () => Loss, LossBatch]> = [
    ['mnrl', () => new MultipleNegativesRankingLoss(), batchOf(['anchor', 'positive'])],
    [
      'mnrl_hard_negatives',
      () => new MultipleNegativesRankingLoss(),
      batchOf(['anchor', 'positive', 'negative']),
    ],
    [
      'cosine_similarity_mse',
      () => new CosineSimilarityLoss(),
      batchOf(['anchor', 'positive'], ref.pair_scores),
    ],
    ['cosent', () => new CoSENTLoss(), batchOf(['anchor', 'positive'], ref.pair_scores)],
    ['triplet_euclidean_margin5', () => new TripletLoss(), batchOf(['anchor', 'positive', 'negative'])],
  ];
  for (const [key, make, batch] of cases) {
    it(`${key} within 1e-4 relative`, () => {
      const value = computeLoss(make(), model, batch, ctx);
      expect(relErr(value, ref.losses[key])).toBeLessThan(1e-4);
    });
  }

  const norm = (t: tf.Tensor) => tf.tidy(() => tf.norm(t).dataSync()[0]!);
  const gradientCases: Array<[keyof Reference['gradients'], () => Loss, LossBatch]> = [
    ['mnrl', () => new MultipleNegativesRankingLoss(), batchOf(['anchor', 'positive'])],
    [
      'cosine_similarity_mse',
      () => new CosineSimilarityLoss(),
      batchOf(['anchor', 'positive'], ref.pair_scores),
    ],
    ['cosent', () => new CoSENTLoss(), batchOf(['anchor', 'positive'], ref.pair_scores)],
  ];
  for (const [key, make, batch] of gradientCases) {
    it(`${key} gradients within 1e-3 relative (norms and the last output LayerNorm weight)`, () => {
      const expected = ref.gradients[key];
      const { loss, grads }: LossGradients = computeLossAndGradients(make(), model, batch, ctx);
      try {
        expect(relErr(loss, ref.losses[key])).toBeLessThan(1e-4);
        // Every encoder parameter the loss depends on (the pooler is unused, as in PyTorch where its grad is None).
        const names = model.namedVariables().map((p) => p.name);
        expect([...grads.keys()].every((n) => names.includes(n))).toBe(true);
        const global = Math.sqrt([...grads.values()].reduce((s, g) => s + norm(g) ** 2, 0));
        expect(relErr(global, expected.global_norm)).toBeLessThan(1e-3);
        expect(
          relErr(norm(grads.get('embeddings.word_embeddings.weight')!), expected.word_embeddings_norm),
        ).toBeLessThan(1e-3);
        expect(
          relErr(
            norm(grads.get('encoder.layer.0.attention.self.query.weight')!),
            expected.layer0_query_weight_norm,
          ),
        ).toBeLessThan(1e-3);
        const ln = Array.from(grads.get('encoder.layer.1.output.LayerNorm.weight')!.dataSync());
        const want = expected.last_output_layernorm_weight;
        expect(ln.length).toBe(want.length);
        // Relative to the vector's norm: single tiny components carry float32 noise.
        const diff = Math.sqrt(ln.reduce((s, v, i) => s + (v - want[i]!) ** 2, 0));
        const wantNorm = Math.sqrt(want.reduce((s, v) => s + v * v, 0));
        expect(diff / wantNorm).toBeLessThan(1e-3);
      } finally {
        for (const g of grads.values()) g.dispose();
      }
    });
  }

  it('5 AdamW steps of MNRL follow the PyTorch trajectory within 1e-3 relative', async () => {
    const traj = ref.adamw_mnrl_trajectory;
    // A fresh copy: the steps change the weights.
    const trained = await SentenceEncoder.load(dir);
    const optimizer = new AdamW(trained.namedVariables(), {
      lr: traj.lr,
      betas: traj.betas,
      eps: traj.eps,
      weightDecay: traj.weight_decay,
    });
    const loss = new MultipleNegativesRankingLoss();
    const batch = batchOf(['anchor', 'positive']);
    const losses: number[] = [];
    try {
      for (let step = 0; step < 5; step++) {
        const { loss: value, grads } = computeLossAndGradients(loss, trained, batch, ctx);
        losses.push(value);
        optimizer.applyGradients(grads);
        for (const g of grads.values()) g.dispose();
      }
      losses.push(computeLoss(loss, trained, batch, ctx));
    } finally {
      optimizer.dispose();
      trained.dispose();
    }
    expect(losses.length).toBe(traj.losses_before_each_step_and_final.length);
    losses.forEach((v, i) =>
      expect(relErr(v, traj.losses_before_each_step_and_final[i]!)).toBeLessThan(1e-3),
    );
  });
});
