import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import { SentenceEncoder, bertParameterCount, parseBertConfig, presetConfig } from '../src/index.js';

const fixture = sharedPath('fixtures', 'tiny-bert');
const dirs: string[] = [];
/** A fresh copy of the tiny model to break. */
function copy(): string {
  const root = mkdtempSync(join(tmpdir(), 'untrusted-'));
  dirs.push(root);
  const dir = join(root, 'model');
  cpSync(fixture, dir, { recursive: true });
  return dir;
}
const editJson = (file: string, edit: (j: Record<string, unknown>) => unknown) =>
  writeFileSync(
    file,
    JSON.stringify(edit(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)),
  );

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('a model folder cannot reach outside itself', () => {
  it.each([
    ['../outside', /module 1 "path" is "\.\.\/outside", which leaves the model folder/],
    ['1_Pooling/../../outside', /leaves the model folder/],
    ['/etc', /module 1 "path" is "\/etc", which leaves the model folder/],
    ['..\\outside', /leaves the model folder/],
  ])('refuses the module path %s', async (path, message) => {
    const dir = copy();
    editJson(join(dir, 'modules.json'), (m) =>
      (m as unknown as Array<Record<string, unknown>>).map((e, i) => (i === 1 ? { ...e, path } : e)),
    );
    // The target exists and would load: the refusal is about the path, not a missing file.
    cpSync(join(dir, '1_Pooling'), join(dir, '..', 'outside'), { recursive: true });
    await expect(SentenceEncoder.load(dir)).rejects.toThrow(message);
  });

  it('refuses a Transformer path that leaves the folder, and a weights shard that does', async () => {
    const dir = copy();
    editJson(join(dir, 'modules.json'), (m) =>
      (m as unknown as Array<Record<string, unknown>>).map((e, i) =>
        i === 0 ? { ...e, path: '../../../etc' } : e,
      ),
    );
    await expect(SentenceEncoder.load(dir)).rejects.toThrow(/module 0 "path" is "\.\.\/\.\.\/\.\.\/etc"/);
    const dir2 = copy();
    rmSync(join(dir2, 'model.safetensors'));
    cpSync(join(fixture, 'model.safetensors'), join(dir2, '..', 'shard.safetensors'));
    writeFileSync(
      join(dir2, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { 'embeddings.word_embeddings.weight': '../shard.safetensors' } }),
    );
    await expect(SentenceEncoder.load(dir2)).rejects.toThrow(
      /model\.safetensors\.index\.json: a shard is "\.\.\/shard\.safetensors", which leaves the model folder/,
    );
  });

  it('refuses links out of the folder; allows links inside it and a hub snapshot’s links into its blobs/', async () => {
    const dir = copy();
    rmSync(join(dir, '1_Pooling'), { recursive: true });
    mkdirSync(join(dir, '..', 'elsewhere'));
    cpSync(join(fixture, '1_Pooling'), join(dir, '..', 'elsewhere', 'pool'), { recursive: true });
    symlinkSync(join(dir, '..', 'elsewhere', 'pool'), join(dir, '1_Pooling'));
    await expect(SentenceEncoder.load(dir)).rejects.toThrow(
      /1_Pooling: a link to .*elsewhere\/pool, outside the model folder/,
    );

    const inner = copy();
    rmSync(join(inner, 'vocab.txt'));
    symlinkSync('tokenizer.json', join(inner, 'vocab.txt')); // pointless but inside: allowed
    await expect(SentenceEncoder.load(inner)).resolves.toBeInstanceOf(SentenceEncoder);

    // The hub cache's own layout: snapshots/<rev>/<file> → ../../blobs/<hash>.
    const repo = join(mkdtempSync(join(tmpdir(), 'untrusted-hub-')), 'models--org--tiny');
    dirs.push(join(repo, '..'));
    const snap = join(repo, 'snapshots', 'abc123');
    cpSync(fixture, snap, { recursive: true });
    mkdirSync(join(repo, 'blobs'));
    cpSync(join(fixture, 'model.safetensors'), join(repo, 'blobs', 'deadbeef'));
    rmSync(join(snap, 'model.safetensors'));
    symlinkSync('../../blobs/deadbeef', join(snap, 'model.safetensors'));
    await expect(SentenceEncoder.load(snap)).resolves.toBeInstanceOf(SentenceEncoder);
  });
});

describe('absurd configs are refused before anything is allocated', () => {
  const base = () => ({ ...presetConfig('tiny'), extra: undefined, model_type: 'bert' });
  it.each([
    [{ num_hidden_layers: 10000 }, /"num_hidden_layers" is 10000, above the largest supported 256/],
    [{ vocab_size: 2e9 }, /"vocab_size" is 2000000000, above the largest supported 1000000/],
    [{ hidden_size: 1e6 }, /"hidden_size" is 1000000, above the largest supported 16384/],
    [{ hidden_size: 30 }, /hidden_size 30 is not a multiple of num_attention_heads 4/],
    [{ num_attention_heads: 0 }, /"num_attention_heads" must be an integer ≥ 1, got 0/],
    [{ hidden_dropout_prob: 1.5 }, /"hidden_dropout_prob" must be in \[0, 1\), got 1.5/],
    [{ pad_token_id: 40000 }, /pad_token_id 40000 is not below vocab_size 30522/],
  ])('%o', (change, message) => {
    expect(() => parseBertConfig({ ...base(), ...change }, 'x/config.json')).toThrow(message);
  });

  it('a config within the bounds whose weights would not fit is refused with the estimate and the field', async () => {
    const dir = copy();
    editJson(join(dir, 'config.json'), (c) => ({
      ...c,
      hidden_size: 8192,
      num_attention_heads: 64,
      intermediate_size: 32768,
      num_hidden_layers: 64,
    }));
    const params = bertParameterCount(
      parseBertConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))),
    );
    expect(params).toBeGreaterThan(5e10);
    await expect(SentenceEncoder.load(dir)).rejects.toThrow(
      /config\.json: the weights of this config need ~\d+\.\d GiB \(mostly from "num_hidden_layers" 64\), more than the 3\.0 GiB this machine's wasm backend allows/,
    );
  });

  it('counts parameters as PyTorch does (all-MiniLM-L6-v2: 22,713,216)', () => {
    expect(bertParameterCount(presetConfig('mini'))).toBe(22_713_216);
  });
});

describe('broken tokenizer and module files name the file and what is wrong', () => {
  it.each([
    [(j: Record<string, unknown>) => ({ ...j, model: 1014 }), /tokenizer\.json: "model" must be an object/],
    [
      (j: Record<string, unknown>) => ({ ...j, model: { type: 'WordPiece', vocab: 1014 } }),
      /tokenizer\.json: "model\.vocab" must be an object mapping tokens to ids/,
    ],
    [
      (j: Record<string, unknown>) => ({ ...j, model: { ...(j.model as object), type: 'Magic' } }),
      /"model\.type" must be one of WordPiece, BPE, Unigram, WordLevel, got "Magic"/,
    ],
    [
      (j: Record<string, unknown>) => ({ ...j, added_tokens: [{ id: 'x' }] }),
      /"added_tokens\[0\]" needs a numeric "id" and a string "content"/,
    ],
    [(j: Record<string, unknown>) => ({ ...j, normalizer: 3 }), /"normalizer" must be an object or null/],
  ])('tokenizer.json %#', async (edit, message) => {
    const dir = copy();
    editJson(join(dir, 'tokenizer.json'), edit);
    await expect(SentenceEncoder.load(dir)).rejects.toThrow(message);
  });

  it('a missing 1_Pooling/config.json or an unknown pooling key is an error, not mean pooling', async () => {
    const dir = copy();
    rmSync(join(dir, '1_Pooling', 'config.json'));
    await expect(SentenceEncoder.load(dir)).rejects.toThrow(
      /1_Pooling\/config\.json: Pooling config not found/,
    );
    const dir2 = copy();
    editJson(join(dir2, '1_Pooling', 'config.json'), (c) => ({ ...c, pooling_mode_median_tokens: true }));
    await expect(SentenceEncoder.load(dir2)).rejects.toThrow(
      /1_Pooling\/config\.json: unknown pooling setting "pooling_mode_median_tokens"/,
    );
  });
});
