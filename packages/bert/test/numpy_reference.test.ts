import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, readSafetensors, writeSafetensors } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff } from '../../../test-support/compare.js';
import { repoRoot, sharedPath } from '../../../test-support/shared.js';
import {
  DenseModule,
  SentenceEncoder,
  SentenceTokenizer,
  parseBertConfig,
  randomDense,
} from '../src/index.js';

// An independent NumPy implementation (test-support/reference_bert.py) reads the folders we save.
const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
const fixture = sharedPath('fixtures', 'tiny-bert');
const texts = [
  'A man is playing a guitar.',
  'Two dogs run across a snowy field.',
  'a',
  'The stock market fell 3% on Tuesday.',
];

function numpyEmbed(dir: string, enc: SentenceEncoder): number[][] {
  const b = enc.tokenizer.encodeBatch(texts, enc.maxSeqLength);
  const rows = (a: Int32Array) =>
    Array.from({ length: b.batchSize }, (_, i) => Array.from(a.slice(i * b.length, (i + 1) * b.length)));
  const r = spawnSync('python3', [join(repoRoot, 'test-support', 'reference_bert.py'), dir], {
    input: JSON.stringify({ input_ids: rows(b.inputIds), attention_mask: rows(b.attentionMask) }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout).embeddings;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe.skipIf(!hasNumpy)('saved models against an independent NumPy implementation', () => {
  it('the fixture (mean pooling) and its re-save agree', async () => {
    const enc = await SentenceEncoder.load(fixture);
    const out = join(mkdtempSync(join(tmpdir(), 'np-')), 'm');
    await enc.save(out);
    expect(maxAbsDiff(numpyEmbed(out, enc), await enc.encode(texts, { engine: 'tfjs' }))).toBeLessThan(1e-4);
  });

  it('CLS pooling + Dense(tanh) + Normalize with bert.-prefixed, gamma/beta weights and another shape', async () => {
    const tok = SentenceTokenizer.fromDir(fixture);
    const config = parseBertConfig({
      model_type: 'bert',
      vocab_size: 30522,
      hidden_size: 48,
      num_hidden_layers: 3,
      num_attention_heads: 6,
      intermediate_size: 80,
      max_position_embeddings: 40,
    });
    const enc = SentenceEncoder.random({
      config,
      tokenizer: tok,
      pooling: 'cls',
      normalize: true,
      seed: 11,
      maxSeqLength: 24,
      sourceDir: fixture,
    });
    enc.addModule(new DenseModule(randomDense(48, 16, 'tanh', 3)));
    const dir = join(mkdtempSync(join(tmpdir(), 'np-')), 'm');
    await enc.save(dir);
    // Rewrite the checkpoint the way old BertForMaskedLM-derived models spell it.
    const st = readSafetensors(join(dir, 'model.safetensors')).tensors;
    const renamed: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [k, v] of st)
      renamed[
        `bert.${k.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta')}`
      ] = { shape: v.shape, data: v.data as Float32Array };
    rmSync(join(dir, 'model.safetensors'));
    writeSafetensors(join(dir, 'model.safetensors'), renamed);
    const loaded = await SentenceEncoder.load(dir);
    const ours = await loaded.encode(texts);
    const ref = numpyEmbed(dir, loaded);
    expect(maxAbsDiff(ours, ref)).toBeLessThan(1e-4);
    expect(maxAbsDiff(ours, await enc.encode(texts))).toBeLessThan(1e-5);
  });
});
