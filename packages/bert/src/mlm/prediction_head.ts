import { mulberry32, normalSamples } from '@contrastive/core';
import { type SafetensorsTensor, gelu, geluTanh, layerNorm, linear, tf } from '@contrastive/tensor-gpu';
import type { BertConfig } from '../config.js';

/** Hugging Face `BertForMaskedLM` names of the prediction head (`cls.predictions.*`). */
export const MLM_HEAD_NAMES = {
  denseWeight: 'cls.predictions.transform.dense.weight',
  denseBias: 'cls.predictions.transform.dense.bias',
  layerNormWeight: 'cls.predictions.transform.LayerNorm.weight',
  layerNormBias: 'cls.predictions.transform.LayerNorm.bias',
  bias: 'cls.predictions.bias',
} as const;
export type HeadKey = keyof typeof MLM_HEAD_NAMES;

/** The prediction head's own variables (the decoder matrix is the word embeddings, tied). */
export type PredictionHead = Record<HeadKey, tf.Variable>;

/**
 * Hugging Face's `BertLMPredictionHead` on hidden states `[M, hidden]` → logits `[M, vocab]`: dense → activation →
 * LayerNorm (`cls.predictions.transform`), then `words` (the tied word embeddings `[vocab, hidden]`) + bias.
 * Shared by BertForMaskedLM and BertLMHeadModel (TSDAE's decoder).
 */
export function predictionHeadLogits(
  config: BertConfig,
  head: PredictionHead,
  hidden: tf.Tensor2D,
  words: tf.Tensor2D,
): tf.Tensor2D {
  return tf.tidy(() => {
    const act =
      config.hidden_act === 'gelu'
        ? gelu
        : config.hidden_act === 'relu'
          ? (t: tf.Tensor) => tf.relu(t)
          : geluTanh;
    const x = layerNorm(
      act(linear(hidden, head.denseWeight as tf.Tensor2D, head.denseBias as tf.Tensor1D)),
      head.layerNormWeight as tf.Tensor1D,
      head.layerNormBias as tf.Tensor1D,
      config.layer_norm_eps,
    );
    return tf.add(tf.matMul(x as tf.Tensor2D, words, false, true), head.bias) as tf.Tensor2D;
  });
}

/**
 * The head's variables (dense weight transposed to [in, out]) from checkpoint tensors (`LayerNorm.gamma/beta`
 * and `cls.predictions.decoder.bias` accepted), or Hugging Face's initialization when the checkpoint has none.
 */
export function headFromTensors(
  tensors: Map<string, SafetensorsTensor>,
  hidden: number,
  vocab: number,
  initializerRange: number,
  file: string,
  seed: number,
): { head: Record<HeadKey, tf.Variable>; source: 'checkpoint' | 'random' } {
  const spellings: Record<HeadKey, string[]> = {
    denseWeight: [MLM_HEAD_NAMES.denseWeight],
    denseBias: [MLM_HEAD_NAMES.denseBias],
    layerNormWeight: [MLM_HEAD_NAMES.layerNormWeight, 'cls.predictions.transform.LayerNorm.gamma'],
    layerNormBias: [MLM_HEAD_NAMES.layerNormBias, 'cls.predictions.transform.LayerNorm.beta'],
    bias: [MLM_HEAD_NAMES.bias, 'cls.predictions.decoder.bias'],
  };
  const shapes: Record<HeadKey, number[]> = {
    denseWeight: [hidden, hidden],
    denseBias: [hidden],
    layerNormWeight: [hidden],
    layerNormBias: [hidden],
    bias: [vocab],
  };
  const keys = Object.keys(spellings) as HeadKey[];
  const found = keys.map((k) => spellings[k].map((n) => tensors.get(n)).find((t) => t !== undefined));
  const anyHead = [...tensors.keys()].some((n) => n.startsWith('cls.predictions.'));
  const head = {} as Record<HeadKey, tf.Variable>;
  if (!anyHead) {
    const rand = mulberry32(seed);
    for (const k of keys) {
      const n = shapes[k].reduce((a, d) => a * d, 1);
      const data =
        k === 'denseWeight'
          ? normalSamples(n, initializerRange, rand)
          : k === 'layerNormWeight'
            ? new Float32Array(n).fill(1)
            : new Float32Array(n);
      head[k] = tf.tidy(() => tf.variable(tf.tensor(data, shapes[k]), true)); // the initial tensor is freed
    }
    return { head, source: 'random' };
  }
  keys.forEach((k, i) => {
    const t = found[i];
    if (!t)
      throw new Error(
        `${file}: missing weight ${spellings[k][0]} (the checkpoint has a partial cls.predictions head)`,
      );
    if (t.shape.length !== shapes[k].length || t.shape.some((d, j) => d !== shapes[k][j]))
      throw new Error(
        `${file}: weight "${spellings[k][0]}" has shape [${t.shape}], config.json implies [${shapes[k]}]`,
      );
    if (!(t.data instanceof Float32Array))
      throw new Error(`${file}: weight "${spellings[k][0]}" is ${t.dtype}, expected a float type`);
  });
  keys.forEach((k, i) => {
    const t = found[i]!;
    head[k] = tf.tidy(() => {
      const v = tf.tensor(t.data as Float32Array, shapes[k]);
      return tf.variable(k === 'denseWeight' ? tf.transpose(v) : v, true);
    });
  });
  return { head, source: 'checkpoint' };
}
