import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { DenseModule, SentenceEncoder, randomDense } from '../src/index.js';

/**
 * A saved folder checked file by file against what sentence-transformers 5.1 writes (the version the folder
 * names in config_sentence_transformers.json), from its source:
 * - SentenceTransformer.save: config_sentence_transformers.json = {model_type, __version__ {sentence_transformers,
 *   transformers, pytorch}, prompts, default_prompt_name, similarity_fn_name}; modules.json entries
 *   {idx, name: str(idx), path: "" for the Transformer (save_in_root) else `<idx>_<ClassName>`, type:
 *   "sentence_transformers.models.<ClassName>"}.
 * - models.Transformer.save: the Hugging Face model (config.json, model.safetensors with BertModel's state-dict
 *   names, float32), the tokenizer files, sentence_bert_config.json = {max_seq_length, do_lower_case}.
 * - models.Pooling: config.json with its eight config_keys; models.Dense: config.json {in_features,
 *   out_features, bias, activation_function: "torch.nn.modules.activation.Tanh"} and model.safetensors of the
 *   module's state dict (`linear.weight` [out, in], `linear.bias` [out]); models.Normalize.save writes nothing.
 * The real all-MiniLM-L6-v2 files (../shared/models) give the key sets.
 */
const fixture = sharedPath('fixtures', 'tiny-bert');
const minilm = sharedPath('models', 'all-MiniLM-L6-v2-config');
const read = (dir: string, file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8'));

function safetensorsHeader(file: string): Record<string, { dtype: string; shape: number[] }> {
  const bytes = readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
}

let dir: string;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  const enc = await SentenceEncoder.load(fixture);
  enc.addModule(new DenseModule(randomDense(32, 16, 'tanh', 3)));
  enc.normalizeOutput = true;
  enc.addPrompts({ query: 'query: ', document: 'passage: ' }, 'query');
  dir = tempDir('st-layout-');
  await enc.save(dir);
  enc.dispose();
});

describe('a saved folder, file by file, as sentence-transformers writes it', () => {
  it('has exactly the files and folders sentence-transformers writes', () => {
    const files = readdirSync(dir).sort();
    expect(files).toEqual(
      [
        '1_Pooling',
        '2_Dense',
        '3_Normalize',
        'config.json',
        'config_sentence_transformers.json',
        'model.safetensors',
        'modules.json',
        'sentence_bert_config.json',
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'vocab.txt',
      ].sort(),
    );
    expect(readdirSync(join(dir, '1_Pooling'))).toEqual(['config.json']);
    expect(readdirSync(join(dir, '2_Dense')).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(readdirSync(join(dir, '3_Normalize'))).toEqual([]);
    // Written, not copied with the source's mode: the user can edit them.
    expect(statSync(join(dir, 'vocab.txt')).mode & 0o200).toBe(0o200);
  });

  it('modules.json', () => {
    expect(read(dir, 'modules.json')).toEqual([
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' },
      { idx: 3, name: '3', path: '3_Normalize', type: 'sentence_transformers.models.Normalize' },
    ]);
    // The same entry shape as the real model's.
    const real = read(minilm, 'modules.json') as Array<Record<string, unknown>>;
    for (const entry of read(dir, 'modules.json') as Array<Record<string, unknown>>)
      expect(Object.keys(entry)).toEqual(Object.keys(real[0]!));
  });

  it('config_sentence_transformers.json with prompts and default_prompt_name', () => {
    const st = read(dir, 'config_sentence_transformers.json');
    const real = read(minilm, 'config_sentence_transformers.json');
    expect(Object.keys(st).sort()).toEqual(Object.keys(real).sort());
    expect(Object.keys(st.__version__).sort()).toEqual(Object.keys(real.__version__).sort());
    expect(st).toMatchObject({
      model_type: 'SentenceTransformer',
      prompts: { query: 'query: ', document: 'passage: ' },
      default_prompt_name: 'query',
      similarity_fn_name: 'cosine',
    });
    expect(st.__version__.sentence_transformers).toMatch(/^5\.1\./);
  });

  it('sentence_bert_config.json, 1_Pooling, 2_Dense (config and weights)', () => {
    const sb = read(dir, 'sentence_bert_config.json');
    expect(Object.keys(sb)).toEqual(Object.keys(read(minilm, 'sentence_bert_config.json')));
    expect(sb).toEqual({ max_seq_length: 32, do_lower_case: false });
    const pooling = read(join(dir, '1_Pooling'), 'config.json');
    expect(Object.keys(pooling)).toEqual(Object.keys(read(join(minilm, '1_Pooling'), 'config.json')));
    expect(pooling).toMatchObject({
      word_embedding_dimension: 32,
      pooling_mode_mean_tokens: true,
      include_prompt: true,
    });
    expect(read(join(dir, '2_Dense'), 'config.json')).toEqual({
      in_features: 32,
      out_features: 16,
      bias: true,
      activation_function: 'torch.nn.modules.activation.Tanh',
    });
    const dense = safetensorsHeader(join(dir, '2_Dense', 'model.safetensors'));
    expect(dense.__metadata__).toEqual({ format: 'pt' });
    expect(dense['linear.weight']).toMatchObject({ dtype: 'F32', shape: [16, 32] });
    expect(dense['linear.bias']).toMatchObject({ dtype: 'F32', shape: [16] });
    expect(Object.keys(dense).sort()).toEqual(['__metadata__', 'linear.bias', 'linear.weight']);
  });

  it("the Transformer: config.json, model.safetensors names and dtypes as PyTorch's BertModel, tokenizer files", () => {
    const config = read(dir, 'config.json');
    expect(config).toMatchObject({ architectures: ['BertModel'], model_type: 'bert', hidden_size: 32 });
    // Every key of the real config but those transformers' BertConfig defaults itself (classifier_dropout None,
    // use_cache True; the rest is bookkeeping; torch_dtype is the older spelling of dtype).
    const optional = [
      'classifier_dropout',
      'transformers_version',
      'use_cache',
      'gradient_checkpointing',
      'dtype',
    ];
    expect(config.torch_dtype).toBe('float32');
    for (const key of Object.keys(read(minilm, 'config.json')).filter((k) => !optional.includes(k)))
      expect(config, key).toHaveProperty([key]);
    const ours = safetensorsHeader(join(dir, 'model.safetensors'));
    const torch = safetensorsHeader(join(fixture, 'model.safetensors')); // written by PyTorch
    expect(Object.keys(ours).sort()).toEqual(Object.keys(torch).sort());
    for (const [name, t] of Object.entries(torch)) {
      if (name === '__metadata__') continue;
      expect(ours[name], name).toMatchObject({ dtype: t.dtype, shape: t.shape });
    }
    expect(ours.__metadata__).toEqual({ format: 'pt' });
    const tokenizerConfig = read(dir, 'tokenizer_config.json');
    expect(Object.keys(tokenizerConfig).sort()).toEqual(
      Object.keys(read(minilm, 'tokenizer_config.json')).sort(),
    );
    expect(tokenizerConfig.model_max_length).toBe(32);
    expect(read(dir, 'special_tokens_map.json')).toEqual(read(minilm, 'special_tokens_map.json'));
    expect(readFileSync(join(dir, 'vocab.txt'))).toEqual(readFileSync(join(minilm, 'vocab.txt')));
    expect(read(dir, 'tokenizer.json').model.type).toBe('WordPiece');
  });
});
