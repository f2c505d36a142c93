import { initBackend } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import {
  OnnxEncoderSession,
  OnnxTransformerTrainer,
  SentenceEncoder,
  TfjsTransformer,
  type TokenEmbeddingBackend,
  type TokenEmbeddingTrainer,
  parseBertConfig,
} from '../src/index.js';
import { bertWeightViews } from '../src/onnx/session_cache.js';

// One conformance suite for every engine behind the seam (tokens in → last hidden state out; forward, then
// backward of dLastHidden into weight gradients): tfjs, onnxruntime inference, onnxruntime training.
const texts = [
  'A man is playing a guitar.',
  'Two dogs run across a snowy field near the old barn.',
  'a',
  'The cat.',
];
let encoder: SentenceEncoder;
let onnxSession: OnnxEncoderSession;
let onnxTrainer: OnnxTransformerTrainer;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  encoder = await SentenceEncoder.load(sharedPath('fixtures', 'tiny-bert'));
  onnxSession = await OnnxEncoderSession.create(
    { config: encoder.bert.config, weights: bertWeightViews(encoder.bert), head: encoder.modules },
    { threads: 1 },
  );
  onnxTrainer = await OnnxTransformerTrainer.create(encoder.bert, { threads: 1 });
});
afterAll(async () => {
  await onnxSession.release();
  await onnxTrainer.release();
});

/** Largest |a − b| over the real (unpadded) token positions of `[B, L, H]`. */
function realTokenDiff(a: Float32Array, b: Float32Array, mask: Int32Array, h: number): number {
  let m = 0;
  mask.forEach((on, p) => {
    if (!on) return;
    for (let j = 0; j < h; j++) m = Math.max(m, Math.abs(a[p * h + j]! - b[p * h + j]!));
  });
  return m;
}

describe('TokenEmbeddingBackend (inference)', () => {
  it('tfjs, onnxruntime and the training engines give the same last hidden state on a padded batch', async () => {
    const batch = encoder.tokenizer.encodeBatch(texts, encoder.maxSeqLength);
    const h = encoder.bert.config.hidden_size;
    const backends: TokenEmbeddingBackend[] = [new TfjsTransformer(encoder.bert), onnxSession];
    const [ref, ...others] = await Promise.all(backends.map((b) => b.lastHiddenState(batch)));
    expect(ref!.length).toBe(batch.batchSize * batch.length * h);
    for (const o of others) expect(realTokenDiff(ref!, o, batch.attentionMask, h)).toBeLessThan(1e-5);
    const trainers: TokenEmbeddingTrainer[] = [new TfjsTransformer(encoder.bert), onnxTrainer];
    for (const t of trainers) {
      const pass = await t.forward(batch);
      expect(realTokenDiff(ref!, pass.hidden, batch.attentionMask, h), t.engine).toBeLessThan(1e-5);
    }
    // Not trivially equal: a different text gives a different state.
    const other = await onnxSession.lastHiddenState(
      encoder.tokenizer.encodeBatch(['x', ...texts.slice(1)], encoder.maxSeqLength),
    );
    expect(realTokenDiff(ref!, other, batch.attentionMask, h)).toBeGreaterThan(1e-2);
  });
});

describe('TokenEmbeddingTrainer (training)', () => {
  it('tfjs and onnxruntime turn the same dLastHidden into the same weight gradients, token types included', async () => {
    const config = parseBertConfig({
      model_type: 'bert',
      vocab_size: 30522,
      hidden_size: 24,
      num_attention_heads: 3,
      intermediate_size: 40,
      num_hidden_layers: 2,
      max_position_embeddings: 64,
    });
    const model = SentenceEncoder.random({ config, tokenizer: encoder.tokenizer, seed: 9 });
    const pairs = encoder.tokenizer.encodePairBatch(
      [
        [texts[0]!, texts[1]!],
        [texts[2]!, texts[3]!],
      ],
      32,
    );
    const h = config.hidden_size;
    // A fixed gradient of the last hidden state, zero at padding.
    const dHidden = new Float32Array(pairs.batchSize * pairs.length * h);
    pairs.attentionMask.forEach((on, p) => {
      if (on) for (let j = 0; j < h; j++) dHidden[p * h + j] = Math.sin(p * 7 + j);
    });
    const onnx = await OnnxTransformerTrainer.create(model.bert, { threads: 1 });
    const grads: Array<Map<string, Float32Array>> = [];
    for (const t of [new TfjsTransformer(model.bert), onnx] as TokenEmbeddingTrainer[]) {
      const into = new Map<string, Float32Array>();
      const pass = await t.forward(pairs, { training: false });
      await pass.backward(dHidden, into);
      grads.push(into);
    }
    await onnx.release();
    const [tfjs, ort] = grads as [Map<string, Float32Array>, Map<string, Float32Array>];
    expect([...tfjs.keys()].filter((k) => !k.startsWith('pooler.')).sort()).toEqual([...ort.keys()].sort());
    // 1e-5 of each gradient's scale; a gradient that is zero in exact arithmetic (the key bias: softmax ignores
    // it) is compared against a thousandth of the largest gradient instead of its own rounding noise.
    const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const largest = Math.max(...[...tfjs.values()].map(maxAbs));
    for (const [name, g] of ort) {
      const ref = tfjs.get(name)!;
      const scale = Math.max(maxAbs(ref), largest * 1e-3);
      let diff = 0;
      g.forEach((v, i) => {
        diff = Math.max(diff, Math.abs(v - ref[i]!));
      });
      expect(diff / scale, name).toBeLessThan(1e-5);
    }
    expect(maxAbs(ort.get('embeddings.token_type_embeddings.weight')!)).toBeGreaterThan(0);
    model.dispose();
  });
});
