import { CrossEncoder, OnnxTrainingEngine } from '@contrastive/bert';
import { initBackend, tf } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../../test-support/shared.js';
import { computeLoss, computeLossAndGradients, computeLossAndGradientsExternal } from '../compute.js';
import { createLoss, listLosses } from '../registry.js';
import type { EmbeddingModel, LossBatch, PairScoringModel } from '../types.js';
import { ListNetLoss } from './list_net.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

/** A pair scorer with a fixed logit per pair ("q|d" → logit), times a trainable scalar w (1). */
function fakeScorer(table: Record<string, number>) {
  const w = tf.variable(tf.scalar(1), true);
  const scored: Array<[string, string]> = [];
  const model: PairScoringModel & EmbeddingModel = {
    numLabels: 1,
    scoreTensor: (pairs) => {
      scored.push(...pairs);
      return tf.tidy(() =>
        tf.mul(
          tf.tensor2d(
            pairs.map(([a, b]) => {
              const x = table[`${a}|${b}`];
              if (x === undefined) throw new Error(`no logit for ${a}|${b}`);
              return [x];
            }),
          ),
          w,
        ),
      ) as tf.Tensor2D;
    },
    embedTensor: () => {
      throw new Error('not an embedding model');
    },
    namedVariables: () => [{ name: 'w', variable: w }],
  };
  return { model, scored };
}

function listBatch(queries: string[], docs: string[][], labels: number[][]): LossBatch {
  const names = ['query', ...docs.map((_, j) => `doc_${j + 1}`)];
  return {
    columnNames: names,
    columns: Object.fromEntries(names.map((n, k) => [n, k === 0 ? queries : docs[k - 1]!])),
    labels,
    size: queries.length,
  };
}

const ctx = { training: false };
// Row 0: logits (1, 2, 0), labels (1, 0, 0). softmax(labels) = (e, 1, 1)/(e + 2), so Σ t·s = (e + 2)/(e + 2) = 1
// and the loss is log(1 + e + e²) − 1.
// Row 1: two documents and a padding one; logits (0.5, −0.5), labels (2, 1): both softmaxes are (σ(1), σ(−1)), so
// the loss is their entropy −σ(1)·log σ(1) − σ(−1)·log σ(−1), and its gradient is zero.
const E = Math.E;
const sig = (x: number) => 1 / (1 + Math.exp(-x));
const row0 = Math.log(1 + E + E * E) - 1;
const row1 = -sig(1) * Math.log(sig(1)) - sig(-1) * Math.log(sig(-1));
const table = { 'q0|a': 1, 'q0|b': 2, 'q0|c': 0, 'q1|d': 0.5, 'q1|e': -0.5 };
const batch = () =>
  listBatch(
    ['q0', 'q1'],
    [
      ['a', 'd'],
      ['b', 'e'],
      ['c', ''],
    ],
    [
      [1, 0, 0],
      [2, 1, 7],
    ],
  );

describe('ListNetLoss (hand-computed)', () => {
  it('mean over queries of the cross entropy between softmax(labels) and softmax(scores); padding left out', () => {
    const { model, scored } = fakeScorer(table);
    const loss = computeLoss(new ListNetLoss(), model, batch(), ctx);
    expect(row0).toBeCloseTo(1.4076059644, 9);
    expect(row1).toBeCloseTo(0.5822031089, 9);
    expect(loss).toBeCloseTo((row0 + row1) / 2, 5);
    // One scoring call, the padding document never scored.
    expect(scored).toEqual([
      ['q0', 'a'],
      ['q0', 'b'],
      ['q0', 'c'],
      ['q1', 'd'],
      ['q1', 'e'],
    ]);
  });

  it('gradient: dL/ds = (softmax(s) − softmax(y)) / queries, so dL/dw = Σ (p − t)·s / 2 (row 1 adds nothing)', () => {
    const { model } = fakeScorer(table);
    const p = [E, E * E, 1].map((x) => x / (1 + E + E * E));
    const t = [E, 1, 1].map((x) => x / (E + 2));
    const want = ((p[0]! - t[0]!) * 1 + (p[1]! - t[1]!) * 2 + (p[2]! - t[2]!) * 0) / 2;
    expect(want).toBeCloseTo(0.2876051913, 9);
    const g = computeLossAndGradients(new ListNetLoss(), model, batch(), ctx);
    expect(g.loss).toBeCloseTo((row0 + row1) / 2, 5);
    expect(g.grads.get('w')!.dataSync()[0]).toBeCloseTo(want, 5);
    tf.dispose([...g.grads.values()]);
  });

  it('the registry builds it (listnet / ListNetLoss) with a sigmoid activation', () => {
    expect(listLosses()).toContain('listnet');
    const { model } = fakeScorer(table);
    const one = listBatch(['q0'], [['a'], ['b'], ['c']], [[1, 0, 0]]);
    // sigmoid logits (σ(1), σ(2), σ(0)) against the same targets: log Σ exp(σ) − Σ t·σ.
    const s = [sig(1), sig(2), sig(0)];
    const t = [E, 1, 1].map((x) => x / (E + 2));
    const want = Math.log(s.reduce((a, x) => a + Math.exp(x), 0)) - s.reduce((a, x, i) => a + t[i]! * x, 0);
    expect(want).toBeCloseTo(1.1008093642, 9);
    expect(computeLoss(createLoss('ListNetLoss', { activation: 'sigmoid' }), model, one, ctx)).toBeCloseTo(
      want,
      5,
    );
  });

  it('errors: labels per document, a row without documents', () => {
    const { model } = fakeScorer(table);
    expect(() =>
      computeLoss(new ListNetLoss(), model, listBatch(['q0'], [['a'], ['b']], [[1, 0, 0]]), ctx),
    ).toThrow(/label of row 0 must be a list of 2 numbers/);
    expect(() =>
      computeLoss(new ListNetLoss(), model, listBatch(['q1'], [[''], ['']], [[1, 0]]), ctx),
    ).toThrow(/row 0 has no document/);
  });

  it('on the tiny cross-encoder: the tfjs tape and the onnxruntime engine give the same gradients', async () => {
    const model = await CrossEncoder.load(sharedPath('fixtures', 'tiny-cross-encoder'), { maxLength: 20 });
    const engine = await OnnxTrainingEngine.create(model, { threads: 1 });
    try {
      const b = listBatch(
        ['A man plays a guitar.', 'Two dogs run in the snow'],
        [
          ['Someone makes music.', 'Animals play outside.'],
          ['A man sleeps.', ''],
          ['Cats sleep indoors.', 'It is snowing and dogs are running.'],
        ],
        [
          [1, 0, 0],
          [0.2, 0, 0.9],
        ],
      );
      const c = { training: false, seed: 5 };
      const loss = new ListNetLoss();
      const want = computeLossAndGradients(loss, model, b, c);
      const step = engine.beginStep();
      const got = await computeLossAndGradientsExternal(loss, model, step, b, c);
      step.dispose();
      expect(got.loss).toBeCloseTo(want.loss, 4);
      for (const [name, g] of want.grads) {
        const a = g.dataSync();
        const h = got.grads.get(name)!.dataSync();
        let d = 0;
        let scale = 1e-3;
        for (let i = 0; i < a.length; i++) {
          d = Math.max(d, Math.abs(a[i]! - h[i]!));
          scale = Math.max(scale, Math.abs(a[i]!));
        }
        expect(d / scale, name).toBeLessThan(1e-4);
      }
      tf.dispose([...want.grads.values(), ...got.grads.values()]);
    } finally {
      await engine.release();
      model.dispose();
    }
  });
});
