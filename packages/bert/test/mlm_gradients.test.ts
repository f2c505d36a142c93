import { mixSeed } from '@contrastive/core';
import { initBackend, tf } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import { BertForMaskedLM, MLM_HEAD_NAMES, MaskedLanguageModelingLoss } from '../src/index.js';
import { MlmOnnxEngine } from '../src/mlm/onnx_step.js';

const WORDS = 'embeddings.word_embeddings.weight';
const texts = ['A man is playing a guitar on the stage.', 'Two dogs run across a snowy field today.'];
const batch = { columnNames: ['text'], columns: { text: texts } };
// Masking seed fixed, dropout off: the loss is a deterministic function of the weights.
const ctx = { training: false, seed: 5 };
const loss = new MaskedLanguageModelingLoss();

let model: BertForMaskedLM;
let tape: Map<string, tf.Tensor>;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = await BertForMaskedLM.load(sharedPath('fixtures', 'tiny-mlm'));
  model.masking = { probability: 0.3 };
  const vars = model.namedVariables();
  const { value, grads } = tf.variableGrads(
    () => loss.forward(model, batch, ctx),
    vars.map((v) => v.variable),
  );
  value.dispose();
  tape = new Map(vars.map((v) => [v.name, grads[v.variable.name]!]));
});
afterAll(() => {
  tf.dispose([...tape.values()]);
  model.dispose();
});

function lossValue(): number {
  return tf.tidy(() => loss.forward(model, batch, ctx).dataSync()[0]!);
}

/** Central difference of the loss in one weight entry (float32 weights, so a step of 1e-2). */
function finiteDifference(name: string, index: number, eps = 1e-2): number {
  const v = model.namedVariables().find((p) => p.name === name)!.variable;
  const original = v.dataSync().slice() as Float32Array;
  const at = (delta: number) => {
    const data = original.slice();
    data[index]! += delta;
    v.assign(tf.tensor(data, v.shape));
    return lossValue();
  };
  const plus = at(eps);
  const minus = at(-eps);
  v.assign(tf.tensor(original, v.shape));
  return (plus - minus) / (2 * eps);
}

/** Indices of the `k` largest gradient entries (finite differences are meaningful where the gradient is). */
function largest(g: tf.Tensor, k: number): number[] {
  const data = g.dataSync();
  return Array.from(data.keys())
    .sort((a, b) => Math.abs(data[b]!) - Math.abs(data[a]!))
    .slice(0, k);
}

describe('MLM gradients against finite differences (float32, relative error < 1e-2)', () => {
  for (const name of [
    MLM_HEAD_NAMES.denseWeight,
    MLM_HEAD_NAMES.denseBias,
    MLM_HEAD_NAMES.layerNormWeight,
    MLM_HEAD_NAMES.bias,
    WORDS,
    'encoder.layer.1.output.dense.weight',
  ]) {
    it(name, () => {
      const g = tape.get(name)!;
      const data = g.dataSync();
      for (const i of largest(g, 3)) {
        const fd = finiteDifference(name, i);
        expect(Math.abs(fd - data[i]!) / Math.abs(data[i]!)).toBeLessThan(1e-2);
      }
    });
  }
});

describe('the tied word embeddings', () => {
  it('get the sum of both uses: the input lookup and the decoder', () => {
    const words = model.namedVariables().find((p) => p.name === WORDS)!.variable;
    const decoderCopy = tf.variable(words.clone() as tf.Tensor2D, true);
    const { batch: masked, labels } = model.maskTexts(texts, model.maskSeed(mixSeed(ctx.seed, 0)));
    const { value, grads } = tf.variableGrads(() => {
      const dims: [number, number] = [masked.batchSize, masked.length];
      const hidden = model.bert.forward({
        inputIds: tf.tensor2d(masked.inputIds, dims, 'int32'),
        attentionMask: tf.tensor2d(masked.attentionMask, dims, 'int32'),
      });
      const rows = model.rowLosses(hidden, labels, decoderCopy);
      const [sums, counts] = tf.split(rows, 2, 1);
      return tf.div(tf.sum(sums!), tf.sum(counts!)) as tf.Scalar;
    }, [words, decoderCopy]);
    expect(value.dataSync()[0]).toBeCloseTo(lossValue(), 5);
    const lookup = grads[words.name]!;
    const decoder = grads[decoderCopy.name]!;
    const tied = tape.get(WORDS)!;
    const sum = tf.add(lookup, decoder);
    const scale = tf.max(tf.abs(tied)).dataSync()[0]!;
    expect(tf.max(tf.abs(lookup)).dataSync()[0]).toBeGreaterThan(scale * 1e-3);
    expect(tf.max(tf.abs(decoder)).dataSync()[0]).toBeGreaterThan(scale * 1e-3);
    expect(tf.max(tf.abs(tf.sub(sum, tied))).dataSync()[0]! / scale).toBeLessThan(1e-5);
    tf.dispose([value, lookup, decoder, sum, decoderCopy]);
  });
});

describe('onnxruntime training engine', () => {
  it('gives the same loss and gradients as tfjs (head, tied word embeddings, encoder)', async () => {
    const engine = await MlmOnnxEngine.create(model, { threads: 1 });
    const step = engine.beginStep();
    try {
      // What computeLossAndGradientsExternal does: the rows from the engine, the loss's gradient on tfjs, backward.
      const options = { training: false, seed: mixSeed(ctx.seed, 0) };
      const rows = await step.embed(texts, options);
      const replay = { embedTensor: () => rows };
      const { value, grads } = tf
        .engine()
        .gradients(() => loss.forward(replay, batch, ctx), [rows], undefined, true);
      expect(value.dataSync()[0]).toBeCloseTo(lossValue(), 4);
      await step.backward(0, grads[0] as tf.Tensor2D);
      const out = step.gradients();
      for (const [name, g] of tape) {
        const o = out.get(name);
        expect(o, name).toBeDefined();
        const scale = Math.max(tf.max(tf.abs(g)).dataSync()[0]!, 1e-12);
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(o!, g))).dataSync()[0]!);
        // Key biases have a zero gradient in exact arithmetic (softmax is shift-invariant): float noise on both sides.
        expect(diff, name).toBeLessThan(1e-4 * scale + 1e-7);
      }
      tf.dispose([value, rows, ...grads.filter((g): g is tf.Tensor => g !== null), ...out.values()]);
    } finally {
      step.dispose();
      await engine.release();
    }
  });
});
