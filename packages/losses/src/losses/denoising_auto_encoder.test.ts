import { OnnxTrainingEngine, SentenceEncoder } from '@contrastive/bert';
import { deleteWords } from '@contrastive/core';
import { mixSeed, mulberry32 } from '@contrastive/core';
import { initBackend, tf } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../../test-support/shared.js';
import { computeLossAndGradients, computeLossAndGradientsExternal } from '../compute.js';
import { createLoss } from '../registry.js';
import type { EmbeddingModel, LossBatch } from '../types.js';
import { DenoisingAutoEncoderLoss } from './denoising_auto_encoder.js';

const texts = [
  'A man is playing a large flute.',
  'A woman is slicing an onion on the table.',
  'Three dogs run across a snowy field.',
  'The kids are asleep.',
];
const batch: LossBatch = { columnNames: ['text'], columns: { text: texts }, size: texts.length };

let encoder: SentenceEncoder;
let engine: OnnxTrainingEngine | undefined;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  encoder = await SentenceEncoder.load(sharedPath('fixtures', 'tiny-bert'));
});
afterAll(async () => {
  await engine?.release();
  encoder.dispose();
});

describe('DenoisingAutoEncoderLoss (tsdae)', () => {
  it('is registered with sentence-transformers defaults (tied decoder, ratio 0.6, lr 3e-5, CLS pooling)', () => {
    const loss = createLoss('DenoisingAutoEncoderLoss') as DenoisingAutoEncoderLoss;
    expect(loss).toBeInstanceOf(DenoisingAutoEncoderLoss);
    expect(loss.tieEncoderDecoder).toBe(true);
    expect(loss.deletionRatio).toBe(0.6);
    expect(loss.trainingDefaults).toEqual({ learningRate: 3e-5, pooling: 'cls' });
    expect(
      (createLoss('tsdae', { tie_encoder_decoder: 'false' }) as DenoisingAutoEncoderLoss).tieEncoderDecoder,
    ).toBe(false);
    expect(() => createLoss('tsdae', { deletionRatio: 1.5 })).toThrow(/deletionRatio/);
    expect(() => createLoss('tsdae', { decoderNameOrPath: 'x' })).toThrow(/decoderNameOrPath/);
  });

  it('noises each sentence with deleteWords, seeded by (step seed, row): same seed, same noise', () => {
    const loss = new DenoisingAutoEncoderLoss();
    const a = loss.noise(texts, 7);
    expect(loss.noise(texts, 7)).toEqual(a);
    expect(loss.noise(texts, 8)).not.toEqual(a);
    texts.forEach((t, i) => expect(a[i]).toBe(deleteWords(t, mulberry32(mixSeed(7, 0x75da3e, i)), 0.6)));
    // Deletion keeps words in order and keeps at least one.
    a.forEach((n, i) => {
      expect(n.length).toBeGreaterThan(0);
      expect(n.length).toBeLessThan(texts[i]!.length);
    });
  });

  it('embeds the noised sentence and reconstructs the original (what the loss computes, by hand)', () => {
    const loss = new DenoisingAutoEncoderLoss();
    loss.prepare(encoder);
    const ctx = { training: false, seed: 11 };
    const calls: string[][] = [];
    const spy: EmbeddingModel = {
      embedTensor: (t, o) => {
        calls.push(t);
        return encoder.embedTensor(t, o);
      },
      namedVariables: () => encoder.namedVariables(),
    };
    const value = tf.tidy(() => loss.forward(spy, batch, ctx).dataSync()[0]!);
    expect(calls).toEqual([loss.noise(texts, 11)]);
    const want = tf.tidy(
      () =>
        loss.decoder
          .reconstructionLoss(encoder.embedTensor(loss.noise(texts, 11)), texts, { training: false })
          .dataSync()[0]!,
    );
    expect(value).toBeCloseTo(want, 5);
    expect(loss.namedVariables().map((v) => v.name)).toContain(
      'bert.encoder.layer.0.crossattention.self.value.weight',
    );
    loss.dispose();
  });

  it('a model without createDecoder gets a clear error', () => {
    const loss = new DenoisingAutoEncoderLoss();
    const plain: EmbeddingModel = { embedTensor: () => tf.zeros([1, 32]), namedVariables: () => [] };
    expect(() => loss.prepare(plain)).toThrow(/cannot build a decoder.*createDecoder/);
    expect(() => loss.namedVariables()).toThrow(/prepare/);
  });

  it('onnxruntime engine (encoder native, decoder on tfjs) gives the tfjs tape gradients, tied weights summed', async () => {
    const loss = new DenoisingAutoEncoderLoss();
    const ctx = { training: false, seed: 3 };
    const want = computeLossAndGradients(loss, encoder, batch, ctx);
    engine = await OnnxTrainingEngine.create(encoder, { threads: 1 });
    const step = engine.beginStep();
    const before = tf.memory().numTensors;
    let got: Awaited<ReturnType<typeof computeLossAndGradientsExternal>>;
    try {
      got = await computeLossAndGradientsExternal(loss, encoder, step, batch, ctx);
    } finally {
      step.dispose();
    }
    // Only the returned gradients outlive the call.
    expect(tf.memory().numTensors - before).toBe(got.grads.size);
    expect(got.loss).toBeCloseTo(want.loss, 4);
    expect([...got.grads.keys()].sort()).toEqual([...want.grads.keys()].sort());
    // The decoder's own weights and the encoder's (word embeddings: encoder lookup + decoder lookup + LM head).
    expect(want.grads.has('bert.encoder.layer.1.crossattention.output.dense.weight')).toBe(true);
    for (const [name, w] of want.grads) {
      const a = got.grads.get(name)!.dataSync();
      const b = w.dataSync();
      let scale = 1e-3;
      for (const v of b) scale = Math.max(scale, Math.abs(v));
      let diff = 0;
      b.forEach((v, i) => {
        diff = Math.max(diff, Math.abs(v - a[i]!));
      });
      expect(diff / scale, name).toBeLessThan(1e-3);
    }
    tf.dispose([...want.grads.values(), ...got.grads.values()]);
    loss.dispose();
  });
});
