import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32, normalSamples } from '@contrastive/core';
import { initBackend, tf } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relativeMaxDiff } from '../../../test-support/compare.js';
import { sharedPath } from '../../../test-support/shared.js';
import { BertModel, SentenceEncoder, parseBertConfig } from '../src/index.js';
import {
  OnnxBertTrainer,
  type WeightSnapshot,
  attentionGroupCount,
  flaggedRows,
} from '../src/onnx/training/internal/bert_engine.js';

const fixture = sharedPath('fixtures', 'tiny-bert');
const ref = JSON.parse(readFileSync(join(fixture, 'reference.json'), 'utf8')) as { texts: string[] };

let encoder: SentenceEncoder;
let engine: OnnxBertTrainer;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  encoder = await SentenceEncoder.load(fixture);
  engine = await OnnxBertTrainer.create(encoder.bert, { threads: 1 });
});
afterAll(async () => {
  await engine.release();
});

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function maxAbsOf(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** A random upstream gradient [B, S, H], zero at padding. */
function upstream(mask: Int32Array, h: number, seed: number): Float32Array {
  const r = normalSamples(mask.length * h, 1, mulberry32(seed));
  mask.forEach((m, p) => {
    if (!m) r.fill(0, p * h, (p + 1) * h);
  });
  return r;
}

describe('OnnxBertTrainer (BERT forward/backward on onnxruntime)', () => {
  /** `n` texts of varied lengths (1 to ~2n words), in no length order. */
  const variedTexts = (n: number, wordsPer: number) =>
    Array.from({ length: n }, (_, i) =>
      Array.from(
        { length: 1 + ((i * 7) % n) * wordsPer },
        (_, w) => ref.texts[w % ref.texts.length]!.split(' ')[0],
      )
        .join(' ')
        .toLowerCase(),
    );
  it.each([
    {
      name: 'a padded batch',
      texts: [...ref.texts, 'a much longer sentence than the others, with quite a few more tokens in it'],
      maxLength: 64,
      groups: 1,
    },
    // Rows sorted by length and cut into attention groups of their own padded lengths (attentionGroupCount).
    {
      name: '24 rows of varied lengths (3 attention groups)',
      texts: variedTexts(24, 2),
      maxLength: 64,
      groups: 3,
    },
    {
      name: '16 rows of varied lengths (2 attention groups)',
      texts: variedTexts(16, 4),
      maxLength: 64,
      groups: 2,
    },
  ])(
    'matches BertModel.forward and every tfjs gradient on $name (no dropout)',
    async ({ texts, maxLength, groups }) => {
      const h = encoder.bert.config.hidden_size;
      const batch = encoder.tokenizer.encodeBatch(texts, maxLength);
      expect(attentionGroupCount(batch.batchSize, batch.length)).toBe(groups);
      const weights = engine.snapshotWeights();
      const acts = await engine.forward(batch, weights);
      expect(acts.pass.groups.length).toBe(groups);
      if (groups > 1) {
        // Each group is padded only to its own longest row.
        const lengths = acts.pass.groups.map((g) => g.length);
        expect(Math.min(...lengths)).toBeLessThan(batch.length);
        expect(Math.max(...lengths)).toBe(batch.length);
      }
      const ids = tf.tensor2d(batch.inputIds, [batch.batchSize, batch.length], 'int32');
      const mask = tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.length], 'int32');
      const expected = encoder.bert.forward({ inputIds: ids, attentionMask: mask });
      const want = expected.dataSync();
      // Padding rows are zero in the engine's output; compare real tokens.
      const realOnly = Float32Array.from(want, (v, i) => (batch.attentionMask[Math.floor(i / h)] ? v : 0));
      expect(maxAbs(acts.hidden, realOnly)).toBeLessThan(1e-4);

      const dHidden = upstream(batch.attentionMask, h, 7);
      const grads = new Map<string, Float32Array>();
      await engine.backward(acts, dHidden, weights, grads);

      const vars = encoder.bert.namedVariables().filter((v) => !v.name.startsWith('pooler.'));
      const r = tf.tensor3d(dHidden, [batch.batchSize, batch.length, h]);
      const { value, grads: tfGrads } = tf.variableGrads(
        () => tf.sum(tf.mul(encoder.bert.forward({ inputIds: ids, attentionMask: mask }), r)),
        vars.map((v) => v.variable),
      );
      for (const v of vars) {
        const want = tfGrads[v.variable.name]!.dataSync();
        const got = grads.get(v.name);
        expect(got, v.name).toBeDefined();
        if (v.name.endsWith('.attention.self.key.bias')) {
          // Exactly zero in theory (softmax ignores a per-row constant): both sides are rounding noise, which
          // must stay far below the scale of the same layer's key weight gradient.
          const keyWeight = vars.find((k) => k.name === v.name.replace(/bias$/, 'weight'))!;
          const weightScale = maxAbsOf(tfGrads[keyWeight.variable.name]!.dataSync());
          expect(maxAbsOf(got!) / weightScale, v.name).toBeLessThan(1e-6);
          expect(maxAbsOf(want) / weightScale, v.name).toBeLessThan(1e-6);
          continue;
        }
        // Relative to the gradient's scale (LayerNorm and embedding gradients differ by orders of magnitude).
        expect(relativeMaxDiff(got!, want), v.name).toBeLessThan(1e-5);
      }
      expect(grads.has('pooler.dense.weight')).toBe(false);
      tf.dispose([ids, mask, expected, r, value, ...Object.values(tfGrads)]);
    },
  );

  it("flaggedRows: the vocabulary rows a batch used, ascending (the word gradient's nonzero rows)", () => {
    const flags = new Uint8Array(30522);
    const rng = mulberry32(3);
    for (let i = 0; i < 700; i++) flags[Math.floor(rng() * flags.length)] = 1;
    flags[0] = 1;
    flags[flags.length - 1] = 1;
    const want: number[] = [];
    flags.forEach((f, r) => {
      if (f) want.push(r);
    });
    expect(Array.from(flaggedRows(flags))).toEqual(want);
    expect(flaggedRows(new Uint8Array(5)).length).toBe(0);
  });

  it('attention groups: a function of batch size and padded length', () => {
    expect([
      attentionGroupCount(7, 200),
      attentionGroupCount(16, 40),
      attentionGroupCount(32, 64),
      attentionGroupCount(32, 65),
      attentionGroupCount(8, 256),
      attentionGroupCount(512, 10),
    ]).toEqual([1, 2, 4, 8, 2, 8]);
  });

  it.each(['relu', 'gelu_new', 'gelu_pytorch_tanh'] as const)(
    'hidden_act %s: the same hidden states and gradients as tfjs (random model, 3 layers, token types)',
    async (act) => {
      const config = parseBertConfig({
        hidden_size: 24,
        num_hidden_layers: 3,
        num_attention_heads: 3,
        intermediate_size: 40,
        hidden_act: act,
        max_position_embeddings: 40,
        vocab_size: 30522,
        layer_norm_eps: 1e-12,
      });
      const bert = BertModel.random(config, 9);
      const trainer = await OnnxBertTrainer.create(bert, { threads: 1 });
      try {
        const h = config.hidden_size;
        const batch = encoder.tokenizer.encodePairBatch(
          [
            ['A man plays a guitar.', 'Someone makes music on stage tonight.'],
            ['Dogs', 'run'],
          ],
          40,
        );
        const weights = trainer.snapshotWeights();
        const acts = await trainer.forward(batch, weights);
        const shape: [number, number] = [batch.batchSize, batch.length];
        const inputs = {
          inputIds: tf.tensor2d(batch.inputIds, shape, 'int32'),
          attentionMask: tf.tensor2d(batch.attentionMask, shape, 'int32'),
          tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, shape, 'int32'),
        };
        const want = bert.forward(inputs);
        const realOnly = Float32Array.from(want.dataSync(), (v, i) =>
          batch.attentionMask[Math.floor(i / h)] ? v : 0,
        );
        expect(maxAbs(acts.hidden, realOnly)).toBeLessThan(1e-4);
        const dHidden = upstream(batch.attentionMask, h, 4);
        const grads = new Map<string, Float32Array>();
        await trainer.backward(acts, dHidden, weights, grads);
        const vars = bert.namedVariables().filter((v) => !v.name.startsWith('pooler.'));
        const r = tf.tensor3d(dHidden, [batch.batchSize, batch.length, h]);
        const { value, grads: tfGrads } = tf.variableGrads(
          () => tf.sum(tf.mul(bert.forward(inputs), r)),
          vars.map((v) => v.variable),
        );
        for (const v of vars) {
          const w = tfGrads[v.variable.name]!.dataSync();
          expect(relativeMaxDiff(grads.get(v.name)!, w), v.name).toBeLessThan(1e-5);
        }
        // Both token types were used, so both rows of the type table have a gradient.
        const typeGrad = grads.get('embeddings.token_type_embeddings.weight')!;
        expect(maxAbsOf(typeGrad.subarray(0, h))).toBeGreaterThan(0);
        expect(maxAbsOf(typeGrad.subarray(h, 2 * h))).toBeGreaterThan(0);
        tf.dispose([...Object.values(inputs), want, r, value, ...Object.values(tfGrads)]);
      } finally {
        await trainer.release();
        bert.dispose();
      }
    },
  );

  it('with dropout: the same seed gives the same pass, and the backward pass is the derivative of that pass', async () => {
    const h = encoder.bert.config.hidden_size;
    const batch = encoder.tokenizer.encodeBatch(ref.texts.slice(0, 3), 64);
    const weights = engine.snapshotWeights();
    const opts = { training: true, seed: 11, dropoutRate: 0.2 };
    const a = await engine.forward(batch, weights, opts);
    const b = await engine.forward(batch, weights, opts);
    const noDrop = await engine.forward(batch, weights);
    const other = await engine.forward(batch, weights, { ...opts, seed: 12 });
    expect(maxAbs(a.hidden, b.hidden)).toBe(0);
    expect(maxAbs(a.hidden, noDrop.hidden)).toBeGreaterThan(1e-2);
    expect(maxAbs(a.hidden, other.hidden)).toBeGreaterThan(1e-2);

    // Directional derivative along a random direction of one weight: (f(w+εv) − f(w−εv)) / 2ε = ⟨∇f, v⟩.
    const dHidden = upstream(batch.attentionMask, h, 3);
    const grads = new Map<string, Float32Array>();
    await engine.backward(a, dHidden, weights, grads);
    const f = async (name: string, dir: Float32Array, eps: number) => {
      const w = Float32Array.from(weights.values(name), (x, i) => x + eps * dir[i]!);
      const perturbed: WeightSnapshot = {
        values: (n) => (n === name ? w : weights.values(n)),
        shape: (n) => weights.shape(n),
      };
      const out = await engine.forward(batch, perturbed, opts);
      let s = 0;
      for (let i = 0; i < dHidden.length; i++) s += out.hidden[i]! * dHidden[i]!;
      return s;
    };
    for (const name of [
      'encoder.layer.0.attention.self.query.weight',
      'encoder.layer.1.intermediate.dense.weight',
      'embeddings.LayerNorm.weight',
      'embeddings.position_embeddings.weight',
    ]) {
      const n = weights.values(name).length;
      const dir = normalSamples(n, 1, mulberry32(5));
      const g = grads.get(name)!;
      let analytic = 0;
      for (let i = 0; i < n; i++) analytic += g[i]! * dir[i]!;
      // Float32 forward passes: a step of 1e-3 left up to ~3% of rounding noise on the query weight's derivative,
      // one of 1e-2 ~5% of the central difference's O(ε²) error on the position embeddings'; 3e-3 keeps both
      // under 0.5%.
      const eps = 3e-3;
      const numeric = ((await f(name, dir, eps)) - (await f(name, dir, -eps))) / (2 * eps);
      expect(Math.abs(numeric - analytic) / Math.max(Math.abs(analytic), 1e-2), name).toBeLessThan(1.5e-2);
    }
  });

  it('runs several batches as one pass with the results of one pass each (dropout masks, gradients)', async () => {
    const h = encoder.bert.config.hidden_size;
    // Different lengths, and the first batch in two attention groups of its own: each batch's dropout masks
    // are one stream of draws per site, continued across its groups, as in a pass of its own.
    const long = encoder.tokenizer.encodeBatch(
      [...variedTexts(15, 3), 'a much longer sentence than the others, with quite a few more tokens'],
      64,
    );
    const short = encoder.tokenizer.encodeBatch(['short one', 'two words'], 64);
    expect(long.length).toBeGreaterThan(short.length);
    expect(attentionGroupCount(long.batchSize, long.length)).toBe(2);
    const weights = engine.snapshotWeights();
    const opts = { training: true, dropoutRate: 0.3 };
    const alone = [
      await engine.forward(long, weights, { ...opts, seed: 11 }),
      await engine.forward(short, weights, { ...opts, seed: 12 }),
    ];
    const together = await engine.forwardParts([long, short], weights, opts, [11, 12]);
    for (let i = 0; i < 2; i++) {
      expect(together[i]!.hidden.length).toBe(alone[i]!.hidden.length);
      expect(maxAbs(together[i]!.hidden, alone[i]!.hidden)).toBeLessThan(1e-5);
    }
    // Different seeds give different masks (so the comparison above saw dropout at work).
    const other = await engine.forward(long, weights, { ...opts, seed: 13 });
    expect(maxAbs(other.hidden, alone[0]!.hidden)).toBeGreaterThan(1e-2);

    const d = [upstream(long.attentionMask, h, 3), upstream(short.attentionMask, h, 4)];
    const separate = new Map<string, Float32Array>();
    await engine.backward(alone[0]!, d[0]!, weights, separate);
    await engine.backward(alone[1]!, d[1]!, weights, separate);
    const combined = new Map<string, Float32Array>();
    await engine.backwardParts(together[0]!.pass, d, weights, combined);
    expect([...combined.keys()].sort()).toEqual([...separate.keys()].sort());
    for (const [name, want] of separate) {
      const got = combined.get(name)!;
      // The floor (1e-3): the key bias's gradient is exactly zero in theory (softmax ignores a per-row constant).
      expect(relativeMaxDiff(got, want), name).toBeLessThan(1e-5);
    }
    // A batch without a gradient contributes nothing.
    const firstOnly = new Map<string, Float32Array>();
    await engine.backwardParts(together[0]!.pass, [d[0], undefined], weights, firstOnly);
    const onlyLong = new Map<string, Float32Array>();
    await engine.backward(alone[0]!, d[0]!, weights, onlyLong);
    const w = 'encoder.layer.0.attention.self.query.weight';
    expect(maxAbs(firstOnly.get(w)!, onlyLong.get(w)!) / maxAbsOf(onlyLong.get(w)!)).toBeLessThan(1e-4);
  });
});
