import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DenseModule, SentenceEncoder, loadOnnxRuntime, randomDense } from '@contrastive/bert';
import { spearman } from '@contrastive/eval-mteb';
import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { maxAbsDiff } from '../../../test-support/compare.js';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { readJsonl } from '../../../test-support/training_output.js';

const fixture = sharedPath('fixtures', 'tiny-bert');
const SHORT = [
  'A man is playing a guitar.',
  'A woman is slicing an onion.',
  'The stock market fell sharply on Monday.',
  'Children are playing football in the park.',
  'A dog runs across the snowy field.',
  'Interest rates were raised by the central bank.',
  'Someone is cooking pasta for dinner.',
  'The band performed their new song live.',
  'Two kids kick a ball on the grass.',
  'Heavy rain is expected over the weekend.',
];
/** Far over the fixture's max_seq_length of 32 tokens. */
const LONG = [
  `${'the quick brown fox jumps over the lazy dog '.repeat(8)}end`,
  `${'markets rallied after the announcement while bonds slipped '.repeat(6)}finally`,
];

let dir: string;
/** tiny-bert + Normalize: all-MiniLM-L6-v2's shape (mean pooling, unit vectors). */
let plain: string;
/** tiny-bert + Dense(tanh) + Normalize. */
let dense: string;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  dir = tempDir('export-');
  plain = join(dir, 'plain');
  dense = join(dir, 'dense');
  const a = await SentenceEncoder.load(fixture, { normalize: true });
  await a.save(plain);
  a.dispose();
  const b = await SentenceEncoder.load(fixture);
  b.addModule(new DenseModule(randomDense(32, 16, 'tanh', 3)));
  b.normalizeOutput = true;
  await b.save(dense);
  b.dispose();
});

async function encodeCli(model: string, texts: string[], tag: string): Promise<number[][]> {
  const input = join(dir, `${tag}.txt`);
  const output = join(dir, `${tag}.jsonl`);
  writeFileSync(input, `${texts.join('\n')}\n`);
  const r = await runCli(['encode', '--model', model, '--input', input, '--output', output]);
  expect(r.status, r.stderr).toBe(0);
  return readJsonl<{ embedding: number[] }>(output).map((row) => row.embedding);
}

function pairwiseCosines(vectors: ArrayLike<number>[]): number[] {
  const out: number[] = [];
  const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));
  for (let i = 0; i < vectors.length; i++)
    for (let j = i + 1; j < vectors.length; j++) {
      let dot = 0;
      for (let k = 0; k < vectors[i]!.length; k++) dot += vectors[i]![k]! * vectors[j]![k]!;
      out.push(dot / (norm(vectors[i]!) * norm(vectors[j]!)));
    }
  return out;
}

/** Runs an exported graph on onnxruntime-node with our tokenizer (sentence-transformers' truncation). */
async function runOnnx(modelDir: string, file: string, texts: string[]) {
  const enc = await SentenceEncoder.load(modelDir);
  const batch = enc.tokenizer.encodeBatch(texts, enc.maxSeqLength);
  enc.dispose();
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(readFileSync(join(modelDir, 'onnx', file)), {
    intraOpNumThreads: 1,
  });
  const dims = [batch.batchSize, batch.length];
  const int64 = (a: Int32Array) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(a, (v) => BigInt(v)),
      dims,
    );
  const out = await session.run({
    input_ids: int64(batch.inputIds),
    attention_mask: int64(batch.attentionMask),
    token_type_ids: int64(batch.tokenTypeIds),
  });
  await session.release();
  const rows = (name: string) => {
    const t = out[name];
    if (!t) return undefined;
    const d = t.dims[t.dims.length - 1]!;
    const data = t.data as Float32Array;
    return texts.map((_, i) => Array.from(data.slice(i * d, (i + 1) * d)));
  };
  // Mean pooling by hand over the real tokens, then L2 normalization (the plain model's head).
  const hidden = out.last_hidden_state!;
  const h = hidden.dims[2]!;
  const data = hidden.data as Float32Array;
  const meanNormalized = texts.map((_, b) => {
    const v = new Array<number>(h).fill(0);
    let n = 0;
    for (let s = 0; s < batch.length; s++) {
      if (!batch.attentionMask[b * batch.length + s]) continue;
      n++;
      for (let j = 0; j < h; j++) v[j] = (v[j] ?? 0) + (data[(b * batch.length + s) * h + j] ?? Number.NaN);
    }
    const norm = Math.hypot(...v.map((x) => x / n));
    return v.map((x) => x / n / norm);
  });
  return { meanNormalized, sentence: rows('sentence_embedding') };
}

describe('contrastive export --format onnx', () => {
  it('writes a complete folder that transformers.js loads, with embeddings equal to contrastive encode', async () => {
    const out = join(dir, 'plain-onnx');
    const r = await runCli([
      'export',
      '--model',
      plain,
      '--format',
      'onnx',
      '--output',
      out,
      '--quantize',
      'int8',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const line = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({
      output: out,
      format: 'onnx',
      model: join(out, 'onnx', 'model.onnx'),
      quantized: join(out, 'onnx', 'model_int8.onnx'),
      outputs: ['last_hidden_state'],
      max_seq_length: 32,
    });
    for (const f of [
      'config.json',
      'tokenizer.json',
      'vocab.txt',
      'modules.json',
      '1_Pooling/config.json',
      '2_Normalize',
    ])
      expect(() => readFileSync(join(out, f)), f).not.toThrow(/ENOENT/);
    const tokenizerConfig = JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8'));
    expect(tokenizerConfig.model_max_length).toBe(32);

    const ours = await encodeCli(plain, SHORT, 'short');
    const { pipeline, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    const extractor = await pipeline('feature-extraction', out, { local_files_only: true, dtype: 'fp32' });
    const theirs = (await extractor(SHORT, { pooling: 'mean', normalize: true })).tolist() as number[][];
    expect(maxAbsDiff(theirs, ours)).toBeLessThan(1e-4);

    // int8 (transformers.js dtype 'int8' → onnx/model_int8.onnx): the order of pairwise similarities is kept.
    const q = await pipeline('feature-extraction', out, { local_files_only: true, dtype: 'int8' });
    const quantized = (await q(SHORT, { pooling: 'mean', normalize: true })).tolist() as number[][];
    const rho = spearman(pairwiseCosines(ours), pairwiseCosines(quantized));
    expect(rho).toBeGreaterThanOrEqual(0.99);
    expect(maxAbsDiff(quantized, ours)).toBeGreaterThan(0); // it did run the quantized graph

    // Long texts: onnxruntime-node on our tokenization equals encode; transformers.js truncates at
    // model_max_length too, but after adding special tokens, so its last token is a word, not [SEP].
    const longOurs = await encodeCli(plain, LONG, 'long');
    expect(maxAbsDiff((await runOnnx(out, 'model.onnx', LONG)).meanNormalized, longOurs)).toBeLessThan(1e-4);
    const tokenized = extractor.tokenizer(LONG, { padding: true, truncation: true });
    const ids = tokenized.input_ids.tolist() as bigint[][];
    for (const row of ids) {
      expect(row).toHaveLength(32);
      expect(Number(row[0])).toBe(101); // [CLS]
      expect(Number(row[31])).not.toBe(102); // no final [SEP]: the documented difference
    }
    await extractor.dispose();
    await q.dispose();
  }, 300_000);

  it('--sentence-embedding: the head modules (Pooling, Dense, Normalize) in the graph equal encode', async () => {
    const out = join(dir, 'dense-onnx');
    const r = await runCli([
      'export',
      '--model',
      dense,
      '--format',
      'onnx',
      '--output',
      out,
      '--sentence-embedding',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({
      outputs: ['last_hidden_state', 'sentence_embedding'],
      dimension: 16,
    });
    const texts = [...SHORT, ...LONG];
    const ours = await encodeCli(dense, texts, 'dense');
    const { sentence } = await runOnnx(out, 'model.onnx', texts);
    expect(sentence![0]).toHaveLength(16);
    expect(maxAbsDiff(sentence!, ours)).toBeLessThan(1e-4);
  }, 300_000);

  it('exports into the model folder itself without --output, and names bad options', async () => {
    const copy = join(dir, 'in-place');
    const enc = await SentenceEncoder.load(plain);
    await enc.save(copy);
    enc.dispose();
    const r = await runCli(['export', '--model', copy, '--format', 'onnx']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim()).model).toBe(join(copy, 'onnx', 'model.onnx'));
    expect((await runOnnx(copy, 'model.onnx', SHORT)).meanNormalized).toHaveLength(SHORT.length);

    const bad = await runCli(['export', '--model', copy, '--format', 'tflite']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--format must be onnx, got "tflite"/);
    const q = await runCli(['export', '--model', copy, '--format', 'onnx', '--quantize', 'int4']);
    expect(q.stderr).toMatch(/--quantize must be int8, got "int4"/);
    const hub = await runCli(['export', '--model', 'org/not-here', '--format', 'onnx'], {
      env: { HF_HUB_OFFLINE: '1' },
    });
    expect(hub.status).not.toBe(0);
    expect(hub.stderr).toMatch(/--output is required when --model is not a local folder \(org\/not-here\)/);
  }, 300_000);
});
