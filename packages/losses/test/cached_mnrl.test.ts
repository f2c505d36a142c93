import { readFileSync } from 'node:fs';
import { SentenceEncoder } from '@contrastive/bert';
import { initBackend, tf } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import {
  CachedMultipleNegativesRankingLoss,
  type LossBatch,
  type LossGradients,
  MatryoshkaLoss,
  MultipleNegativesRankingLoss,
  computeLossAndGradients,
} from '../src/index.js';

const dir = sharedPath('fixtures', 'tiny-bert');
const ref = JSON.parse(readFileSync(`${dir}/reference.json`, 'utf8')) as {
  texts: string[];
  pairs: string[][];
};

// 16 (anchor, positive) rows from the reference texts: up to 32 tokens each.
const all = [...ref.texts, ...ref.pairs.map((p) => p[0]!)];
const batch16: LossBatch = {
  columnNames: ['anchor', 'positive'],
  columns: { anchor: all, positive: all.map((_, i) => all[(i + 5) % all.length]!) },
  size: all.length,
};
const ctx = { training: false };

let model: SentenceEncoder;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = await SentenceEncoder.load(dir);
});
afterAll(() => model?.dispose());

const dispose = (g: LossGradients) => {
  for (const t of g.grads.values()) t.dispose();
};

describe('CachedMultipleNegativesRankingLoss on tiny-bert', () => {
  it('same loss and gradients as MultipleNegativesRankingLoss within 1e-4 relative (dropout off)', () => {
    expect(batch16.size).toBe(16);
    const plain = computeLossAndGradients(new MultipleNegativesRankingLoss(), model, batch16, ctx);
    const cached = computeLossAndGradients(
      new CachedMultipleNegativesRankingLoss({ miniBatchSize: 3 }),
      model,
      batch16,
      ctx,
    );
    try {
      expect(Math.abs(cached.loss - plain.loss) / plain.loss).toBeLessThan(1e-4);
      expect([...cached.grads.keys()].sort()).toEqual([...plain.grads.keys()].sort());
      const norm = (t: tf.Tensor) => tf.tidy(() => tf.norm(t).dataSync()[0]!);
      const global = Math.sqrt([...plain.grads.values()].reduce((s, g) => s + norm(g) ** 2, 0));
      for (const [name, g] of plain.grads) {
        // Relative to each gradient's norm; the key biases' gradients are zero in exact arithmetic (softmax is
        // shift-invariant), so their float noise is measured against the global norm instead.
        const diff = tf.tidy(() => norm(tf.sub(cached.grads.get(name)!, g)));
        const rel = diff / Math.max(norm(g), 1e-6 * global);
        expect(`${name} ${rel < 1e-4 ? 'ok' : rel}`).toBe(`${name} ok`);
      }
    } finally {
      dispose(plain);
      dispose(cached);
    }
  });

  it('peak memory is bounded by the mini-batch, not the batch', async () => {
    const peak = async (run: () => LossGradients) => {
      const start = tf.memory().numBytes;
      let out: LossGradients | undefined;
      const info = await tf.profile(() => {
        out = run();
      });
      dispose(out!);
      return info.peakBytes - start;
    };
    const plain = await peak(() =>
      computeLossAndGradients(new MultipleNegativesRankingLoss(), model, batch16, ctx),
    );
    const cached = await peak(() =>
      computeLossAndGradients(
        new CachedMultipleNegativesRankingLoss({ miniBatchSize: 2 }),
        model,
        batch16,
        ctx,
      ),
    );
    expect(cached).toBeLessThan(plain * 0.6);
  });

  it('no tensors left behind by repeated training steps (dropout on), also under MatryoshkaLoss', () => {
    const small: LossBatch = {
      ...batch16,
      columns: { anchor: all.slice(0, 4), positive: all.slice(5, 9) },
      size: 4,
    };
    for (const loss of [
      new CachedMultipleNegativesRankingLoss({ miniBatchSize: 2 }),
      new MatryoshkaLoss(new MultipleNegativesRankingLoss(), { dims: [32, 16] }),
    ]) {
      const step = (seed: number) =>
        dispose(computeLossAndGradients(loss, model, small, { training: true, seed }));
      step(1);
      const before = tf.memory().numTensors;
      for (let i = 2; i < 5; i++) step(i);
      expect(tf.memory().numTensors - before).toBe(0);
    }
  });
});
