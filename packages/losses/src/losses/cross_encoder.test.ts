import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CrossEncoder,
  OnnxTrainingEngine,
  SentenceEncoder,
  SentenceTokenizer,
  parseBertConfig,
} from '@contrastive/bert';
import { initBackend, tf } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../../test-support/shared.js';
import { computeLoss, computeLossAndGradients, computeLossAndGradientsExternal } from '../compute.js';
import { createLoss } from '../registry.js';
import type { EmbeddingModel, Loss, LossBatch, PairScoringModel } from '../types.js';
import {
  BinaryCrossEntropyLoss,
  CrossEncoderMSELoss,
  CrossEncoderMultipleNegativesRankingLoss,
  CrossEntropyLoss,
} from './cross_encoder.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

/** A pair scorer with fixed logits per pair ("a|b" → row), times a trainable scalar (1). */
function fakeScorer(table: Record<string, number[]>, numLabels: number) {
  const w = tf.variable(tf.scalar(1), true);
  const model: PairScoringModel & EmbeddingModel = {
    numLabels,
    scoreTensor: (pairs) =>
      tf.tidy(() =>
        tf.mul(
          tf.tensor2d(
            pairs.map(([a, b]) => {
              const row = table[`${a}|${b}`];
              if (!row) throw new Error(`no logits for ${a}|${b}`);
              return row;
            }),
          ),
          w,
        ),
      ) as tf.Tensor2D,
    embedTensor: () => {
      throw new Error('not an embedding model');
    },
    namedVariables: () => [{ name: 'w', variable: w }],
  };
  return model;
}

const ctx = { training: false };
function pairBatch(a: string[], b: string[], labels?: number[]): LossBatch {
  return {
    columnNames: ['sentence1', 'sentence2'],
    columns: { sentence1: a, sentence2: b },
    labels,
    size: a.length,
  };
}

describe('cross-encoder losses (hand-computed)', () => {
  it('BinaryCrossEntropyLoss with pos_weight 2: mean(2·y·softplus(−x) + (1−y)·softplus(x))', () => {
    const m = fakeScorer({ 'q|a': [0], 'q|b': [2] }, 1);
    const batch = pairBatch(['q', 'q'], ['a', 'b'], [1, 0]);
    const want = (2 * Math.log(2) + Math.log(1 + Math.exp(2))) / 2;
    expect(computeLoss(new BinaryCrossEntropyLoss({ posWeight: 2 }), m, batch, ctx)).toBeCloseTo(want, 5);
    expect(computeLoss(createLoss('bce'), m, batch, ctx)).toBeCloseTo(
      (Math.log(2) + Math.log(1 + Math.exp(2))) / 2,
      5,
    );
    // d/dw at w = 1: mean(−2·y·σ(−x)·x + (1−y)·σ(x)·x) = (0 + σ(2)·2) / 2
    const g = computeLossAndGradients(new BinaryCrossEntropyLoss({ posWeight: 2 }), m, batch, ctx);
    expect(g.grads.get('w')!.dataSync()[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 5);
    tf.dispose([...g.grads.values()]);
  });

  it('CrossEntropyLoss: −log softmax at the class id; label range checked', () => {
    const m = fakeScorer({ 'a|b': [1, 2, 3] }, 3);
    const batch = pairBatch(['a'], ['b'], [2]);
    expect(computeLoss(new CrossEntropyLoss(), m, batch, ctx)).toBeCloseTo(
      Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3,
      5,
    );
    expect(() => computeLoss(new CrossEntropyLoss(), m, pairBatch(['a'], ['b'], [3]), ctx)).toThrow(
      /label of row 0 is 3, not a class id in 0\.\.2/,
    );
  });

  it('MSELoss on soft scores', () => {
    const m = fakeScorer({ 'a|b': [0.5], 'c|d': [-1] }, 1);
    expect(computeLoss(createLoss('mse'), m, pairBatch(['a', 'c'], ['b', 'd'], [1, 0]), ctx)).toBeCloseTo(
      0.625,
      6,
    );
  });

  it('MultipleNegativesRankingLoss (cross-encoder): positive vs in-batch negatives, softmax cross entropy', () => {
    const m = fakeScorer({ 'q0|p0': [2], 'q0|p1': [0], 'q1|p1': [1], 'q1|p0': [1] }, 1);
    const loss = new CrossEncoderMultipleNegativesRankingLoss({
      numNegatives: 1,
      scale: 1,
      activation: 'identity',
    });
    const batch: LossBatch = {
      columnNames: ['query', 'positive'],
      columns: { query: ['q0', 'q1'], positive: ['p0', 'p1'] },
      size: 2,
    };
    expect(computeLoss(loss, m, batch, { training: false, seed: 3 })).toBeCloseTo(
      (Math.log(1 + Math.exp(-2)) + Math.log(2)) / 2,
      5,
    );
  });

  it('a cross-encoder loss refuses a model that only embeds texts', () => {
    const embedder: EmbeddingModel = { embedTensor: () => tf.zeros([1, 2]), namedVariables: () => [] };
    expect(() => computeLoss(createLoss('bce'), embedder, pairBatch(['a'], ['b'], [1]), ctx)).toThrow(
      /cross-encoder loss: the model must score sentence pairs/,
    );
  });
});

describe('cross-encoder losses on the onnxruntime training engine', () => {
  const engines: OnnxTrainingEngine[] = [];
  afterAll(async () => {
    for (const e of engines) await e.release();
  });

  async function expectSameGradients(model: CrossEncoder, loss: Loss, batch: LossBatch) {
    const engine = await OnnxTrainingEngine.create(model, { threads: 1 });
    engines.push(engine);
    const c = { training: false, seed: 11 };
    const want = computeLossAndGradients(loss, model, batch, c);
    const step = engine.beginStep();
    const got = await computeLossAndGradientsExternal(loss, model, step, batch, c);
    step.dispose();
    expect(got.loss).toBeCloseTo(want.loss, 4);
    // Relative to each gradient's scale, as compute_external.test.ts (the transformer's own backward is checked
    // at 1e-5 in packages/bert/test/cross_encoder.test.ts; the loss adds float32 summation-order noise).
    for (const [name, g] of want.grads) {
      const h = got.grads.get(name);
      expect(h, name).toBeDefined();
      const a = g.dataSync();
      const b = h!.dataSync();
      let d = 0;
      let scale = 1e-3;
      for (let i = 0; i < a.length; i++) {
        d = Math.max(d, Math.abs(a[i]! - b[i]!));
        scale = Math.max(scale, Math.abs(a[i]!));
      }
      expect(d / scale, name).toBeLessThan(1e-4);
    }
    tf.dispose([...want.grads.values(), ...got.grads.values()]);
  }

  const fixture = sharedPath('fixtures', 'tiny-cross-encoder');
  const s1 = ['A man is playing a guitar.', 'Two dogs run in the snow', 'A woman reads a long novel.'];
  const s2 = ['Someone makes music.', 'Cats sleep indoors.', 'A person is reading.'];

  it('bce and ce-mnrl: tfjs tape and onnxruntime give the same gradients', async () => {
    const model = await CrossEncoder.load(fixture, { maxLength: 20 });
    await expectSameGradients(model, createLoss('bce', { posWeight: 1.5 }), pairBatch(s1, s2, [1, 0, 1]));
    await expectSameGradients(
      model,
      new CrossEncoderMultipleNegativesRankingLoss({ numNegatives: 2 }),
      pairBatch(s1, s2),
    );
    model.dispose();
  });

  it('ce on a 3-label cross-encoder: the same gradients on both engines', async () => {
    const config = parseBertConfig(JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8')));
    const model = CrossEncoder.random({
      config,
      tokenizer: SentenceTokenizer.fromDir(fixture),
      numLabels: 3,
      maxLength: 24,
    });
    await expectSameGradients(model, createLoss('ce'), pairBatch(s1, s2, [0, 2, 1]));
    model.dispose();
  });

  it('a bi-encoder loss on a cross-encoder fails clearly', async () => {
    const model = await CrossEncoder.load(fixture);
    const batch: LossBatch = {
      columnNames: ['anchor', 'positive'],
      columns: { anchor: s1, positive: s2 },
      size: 3,
    };
    expect(() => computeLossAndGradients(createLoss('mnrl'), model, batch, ctx)).toThrow(
      /scores sentence pairs/,
    );
    model.dispose();
    // and a sentence encoder refuses a cross-encoder loss before any step
    const enc = await SentenceEncoder.load(sharedPath('fixtures', 'tiny-bert'));
    expect(() => createLoss('ce').prepare?.(enc)).toThrow(/must score sentence pairs/);
    enc.dispose();
  });
});
