import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, readSafetensors, tf, writeSafetensors } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff } from '../../../test-support/compare.js';
import { sharedPath } from '../../../test-support/shared.js';
import {
  BertModel,
  DenseModule,
  SentenceEncoder,
  SentenceTokenizer,
  parseBertConfig,
  presetConfig,
  randomDense,
} from '../src/index.js';

const fixture = sharedPath('fixtures', 'tiny-bert');
const ref = JSON.parse(readFileSync(join(fixture, 'reference.json'), 'utf8')) as {
  texts: string[];
  embeddings: number[][];
};
const texts = ref.texts.slice(0, 5);

const maxDiff = maxAbsDiff;

/** A scratch copy of the fixture whose model.safetensors is rewritten by `rename`/`drop`. */
function variant(
  rename: (name: string) => string,
  mutate?: (t: Map<string, { shape: number[]; data: Float32Array }>) => void,
): string {
  const dir = mkdtempSync(join(tmpdir(), 'bert-variant-'));
  cpSync(fixture, dir, { recursive: true });
  const src = readSafetensors(join(fixture, 'model.safetensors')).tensors;
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, v] of src) out.set(rename(k), { shape: v.shape, data: v.data as Float32Array });
  mutate?.(out);
  rmSync(join(dir, 'model.safetensors'));
  writeSafetensors(join(dir, 'model.safetensors'), Object.fromEntries(out));
  return dir;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('loading checkpoints', () => {
  it('accepts the bert. prefix and legacy gamma/beta names', async () => {
    const dir = variant(
      (k) =>
        `bert.${k.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta')}`,
    );
    const enc = await SentenceEncoder.load(dir);
    expect(maxDiff(await enc.encode(texts), ref.embeddings.slice(0, texts.length))).toBeLessThan(1e-4);
  });

  it('names a missing or mis-shaped weight', async () => {
    const missing = variant(
      (k) => k,
      (t) => t.delete('encoder.layer.1.attention.self.key.bias'),
    );
    await expect(SentenceEncoder.load(missing)).rejects.toThrow(
      /missing weight encoder\.layer\.1\.attention\.self\.key\.bias/,
    );
    const bad = variant(
      (k) => k,
      (t) => t.set('embeddings.LayerNorm.weight', { shape: [31], data: new Float32Array(31) }),
    );
    await expect(SentenceEncoder.load(bad)).rejects.toThrow(
      /weight "embeddings\.LayerNorm\.weight" has shape \[31\], config\.json implies \[32\]/,
    );
  });

  it('refuses pickled pytorch_model.bin weights with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bert-bin-'));
    cpSync(fixture, dir, { recursive: true });
    rmSync(join(dir, 'model.safetensors'));
    writeFileSync(join(dir, 'pytorch_model.bin'), 'not really a pickle');
    await expect(SentenceEncoder.load(dir)).rejects.toThrow(
      /pytorch_model\.bin: pickled PyTorch weights are refused/,
    );
  });

  it('checks config.json fields', () => {
    expect(() =>
      parseBertConfig(
        {
          model_type: 'bert',
          vocab_size: 10,
          hidden_size: 30,
          num_hidden_layers: 1,
          num_attention_heads: 4,
          intermediate_size: 8,
          max_position_embeddings: 8,
        },
        'c.json',
      ),
    ).toThrow(/c\.json: hidden_size 30 is not a multiple of num_attention_heads 4/);
    expect(() => parseBertConfig({ model_type: 'roberta' }, 'c.json')).toThrow(
      /model_type "roberta" is not supported/,
    );
    expect(() => parseBertConfig({ vocab_size: 10 }, 'c.json')).toThrow(/c\.json: missing "hidden_size"/);
  });
});

describe('saving in the sentence-transformers layout', () => {
  it('round-trips the fixture to identical embeddings and PyTorch-layout weights', async () => {
    const enc = await SentenceEncoder.load(fixture);
    const out = join(mkdtempSync(join(tmpdir(), 'bert-save-')), 'model');
    await enc.save(out);
    for (const f of [
      'modules.json',
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.txt',
      'special_tokens_map.json',
      'sentence_bert_config.json',
      'config_sentence_transformers.json',
      '1_Pooling/config.json',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    // Weights are written under the same names and bytes as the original checkpoint (Linear weights back in [out, in]).
    const a = readSafetensors(join(fixture, 'model.safetensors')).tensors;
    const b = readSafetensors(join(out, 'model.safetensors')).tensors;
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [k, v] of a) expect(Array.from(b.get(k)!.data)).toEqual(Array.from(v.data));
    expect(JSON.parse(readFileSync(join(out, 'sentence_bert_config.json'), 'utf8'))).toEqual({
      max_seq_length: 32,
      do_lower_case: false,
    });
    const again = await SentenceEncoder.load(out);
    expect(maxDiff(await again.encode(texts), await enc.encode(texts))).toBe(0);
    // No temp folders left beside the target.
    expect(readdirSync(join(out, '..'))).toEqual(['model']);
    // Saving into an existing folder replaces the model files and keeps everything else (checkpoints, logs);
    // a Normalize module that was dropped disappears.
    writeFileSync(join(out, 'metrics.jsonl'), '{}\n');
    enc.normalizeOutput = true;
    await enc.save(out);
    expect(existsSync(join(out, '2_Normalize'))).toBe(true);
    enc.normalizeOutput = false;
    await enc.save(out);
    expect(existsSync(join(out, '2_Normalize'))).toBe(false);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8')).toBe('{}\n');
    expect(maxDiff(await (await SentenceEncoder.load(out)).encode(texts), await enc.encode(texts))).toBe(0);
    expect(readdirSync(join(out, '..'))).toEqual(['model']);
  });

  it('CLS pooling + Dense + Normalize: saved modules reload to the same unit-length embeddings', async () => {
    const tok = SentenceTokenizer.fromDir(fixture);
    const config = parseBertConfig({
      ...presetConfig('tiny'),
      extra: undefined,
      model_type: 'bert',
      hidden_size: 24,
      num_attention_heads: 3,
      intermediate_size: 40,
      num_hidden_layers: 1,
    });
    const enc = SentenceEncoder.random({
      config,
      tokenizer: tok,
      pooling: 'cls',
      normalize: true,
      seed: 3,
      sourceDir: fixture,
    });
    enc.addModule(new DenseModule(randomDense(24, 8, 'tanh', 5)));
    const out = join(mkdtempSync(join(tmpdir(), 'bert-cls-')), 'm');
    await enc.save(out);
    const modules = JSON.parse(readFileSync(join(out, 'modules.json'), 'utf8')) as Array<{
      path: string;
      type: string;
    }>;
    expect(modules.map((m) => [m.path, m.type.split('.').pop()])).toEqual([
      ['', 'Transformer'],
      ['1_Pooling', 'Pooling'],
      ['2_Dense', 'Dense'],
      ['3_Normalize', 'Normalize'],
    ]);
    const dense = readSafetensors(join(out, '2_Dense', 'model.safetensors')).tensors;
    expect(dense.get('linear.weight')!.shape).toEqual([8, 24]);
    const loaded = await SentenceEncoder.load(out);
    expect(loaded.dimension).toBe(8);
    const a = await enc.encode(texts);
    const b = await loaded.encode(texts);
    expect(maxDiff(a, b)).toBeLessThan(1e-6);
    b.forEach((v) => expect(Math.hypot(...v)).toBeCloseTo(1, 5));
    // Independent check of CLS → Dense(tanh) → normalize from the raw forward pass.
    const manual = tf.tidy(() => {
      const batch = tok.encodeBatch(texts, loaded.maxSeqLength);
      const h = loaded.bert.forward({
        inputIds: tf.tensor2d(batch.inputIds, [batch.batchSize, batch.length], 'int32'),
        attentionMask: tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.length], 'int32'),
      });
      const cls = tf.reshape(tf.slice(h, [0, 0, 0], [batch.batchSize, 1, 24]), [batch.batchSize, 24]);
      const w = tf.tensor2d(dense.get('linear.weight')!.data as Float32Array, [8, 24]);
      const y = tf.tanh(
        tf.add(tf.matMul(cls, tf.transpose(w)), tf.tensor1d(dense.get('linear.bias')!.data as Float32Array)),
      );
      return tf.div(y, tf.norm(y, 2, 1, true)).arraySync() as number[][];
    });
    expect(maxDiff(b, manual)).toBeLessThan(1e-5);
  });
});

describe('forward pass behaviour', () => {
  it('dropout only in training, reproducible by seed', async () => {
    const enc = await SentenceEncoder.load(fixture);
    const run = (o: { training?: boolean; seed?: number }) =>
      tf.tidy(() => enc.embedTensor(texts, o).arraySync());
    expect(run({})).toEqual(run({}));
    const t1 = run({ training: true, seed: 7 });
    expect(t1).toEqual(run({ training: true, seed: 7 }));
    expect(maxDiff(t1, run({}))).toBeGreaterThan(1e-3);
    expect(maxDiff(t1, run({ training: true, seed: 8 }))).toBeGreaterThan(1e-3);
  });

  it('prompts are prepended; include_prompt=false leaves their tokens out of the mean', async () => {
    const enc = await SentenceEncoder.load(fixture);
    const withPrompt = await enc.encode(texts, { prompt: 'query: ' });
    const prefixed = await enc.encode(texts.map((t) => `query: ${t}`));
    expect(maxDiff(withPrompt, prefixed)).toBe(0);
    enc.stConfig.prompts = { query: 'query: ' };
    expect(maxDiff(await enc.encode(texts, { promptName: 'query' }), prefixed)).toBe(0);
    await expect(enc.encode(texts, { promptName: 'passage' })).rejects.toThrow(
      /prompt "passage" not found; known prompts: query/,
    );
    enc.pooling = { ...enc.pooling, includePrompt: false };
    const excluded = await enc.encode(texts.slice(0, 1), { prompt: 'query: ' });
    // Independent: mean over the token positions after [CLS] + "query :" (3 positions).
    const manual = tf.tidy(() => {
      const ids = enc.tokenizer.encodeIds(`query: ${texts[0]}`, enc.maxSeqLength);
      const h = enc.bert.forward({
        inputIds: tf.tensor2d([ids], undefined, 'int32'),
        attentionMask: tf.ones([1, ids.length], 'int32') as tf.Tensor2D,
      });
      return tf.mean(tf.slice(h, [0, 3, 0], [1, ids.length - 3, 32]), 1).arraySync() as number[][];
    });
    expect(maxDiff(excluded, manual)).toBeLessThan(1e-5);
  });

  it('BertModel.random is seeded and initializes like Hugging Face', () => {
    const config = presetConfig('tiny');
    const a = BertModel.random(config, 1);
    const b = BertModel.random(config, 1);
    const get = (m: BertModel, n: string) =>
      m
        .namedVariables()
        .find((v) => v.name === n)!
        .variable.dataSync();
    expect(Array.from(get(a, 'encoder.layer.0.attention.self.query.weight'))).toEqual(
      Array.from(get(b, 'encoder.layer.0.attention.self.query.weight')),
    );
    const w = Array.from(get(a, 'embeddings.word_embeddings.weight') as Float32Array);
    const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
    expect(std).toBeGreaterThan(0.018);
    expect(std).toBeLessThan(0.022);
    expect(Array.from(w.slice(0, 32))).toEqual(new Array(32).fill(0)); // padding row
    expect(Array.from(get(a, 'embeddings.LayerNorm.weight'))).toEqual(new Array(32).fill(1));
    a.dispose();
    b.dispose();
  });
});
