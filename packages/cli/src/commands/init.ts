import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BERT_PRESETS,
  type BertConfig,
  type BertPreset,
  CrossEncoder,
  SentenceEncoder,
  SentenceTokenizer,
  parseBertConfig,
  presetConfig,
} from '@contrastive/bert';
import { parsePoolingMode } from '@contrastive/pooling';
import { initBackend } from '@contrastive/tensor-gpu';
import type { Command } from 'commander';
import { parseNonNegativeInt, parsePositiveInt } from '../options.js';

export interface InitOptions {
  preset?: string;
  config?: string;
  tokenizer: string;
  output: string;
  pooling?: string;
  normalize?: boolean;
  seed?: number;
  maxSeqLength?: number;
  crossEncoder?: boolean;
  numLabels?: number;
}

/** `contrastive init`: a randomly initialized BERT sentence encoder in sentence-transformers layout. */
export async function runInit(o: InitOptions): Promise<Record<string, unknown>> {
  if (!o.preset === !o.config)
    throw new Error('init: give exactly one of --preset <tiny|mini|small|base> or --config <config.json>');
  if (!existsSync(join(o.tokenizer, 'tokenizer.json')))
    throw new Error(
      `${join(o.tokenizer, 'tokenizer.json')}: tokenizer not found (--tokenizer takes a folder with tokenizer.json)`,
    );
  const tokenizer = SentenceTokenizer.fromDir(o.tokenizer);
  let config: BertConfig;
  if (o.preset) {
    if (!(o.preset in BERT_PRESETS))
      throw new Error(`--preset: unknown preset "${o.preset}" (${Object.keys(BERT_PRESETS).join(', ')})`);
    config = presetConfig(o.preset as BertPreset, tokenizer.vocabSize);
  } else {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(readFileSync(o.config!, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`${o.config}: cannot read config (${(e as Error).message})`);
    }
    config = parseBertConfig(json, o.config);
  }
  if (config.vocab_size < tokenizer.vocabSize) {
    throw new Error(
      `vocab_size ${config.vocab_size} is smaller than the tokenizer's vocabulary (${tokenizer.vocabSize})`,
    );
  }
  await initBackend();
  if (o.numLabels !== undefined && !o.crossEncoder)
    throw new Error('init: --num-labels needs --cross-encoder');
  if (o.crossEncoder) {
    const ce = CrossEncoder.random({
      config,
      tokenizer,
      numLabels: o.numLabels ?? 1,
      maxLength: o.maxSeqLength ?? Math.min(o.preset === 'tiny' ? 64 : 512, config.max_position_embeddings),
      seed: o.seed ?? 42,
      sourceDir: o.tokenizer,
    });
    await ce.save(o.output);
    const parameters = ce.namedVariables().reduce((s, v) => s + v.variable.size, 0);
    ce.dispose();
    return {
      output: o.output,
      preset: o.preset ?? null,
      cross_encoder: true,
      num_labels: o.numLabels ?? 1,
      hidden_size: config.hidden_size,
      layers: config.num_hidden_layers,
      parameters,
    };
  }
  const pooling = parsePoolingMode(o.pooling ?? 'mean', '--pooling');
  const maxSeqLength =
    o.maxSeqLength ?? Math.min(o.preset === 'tiny' ? 64 : 256, config.max_position_embeddings);
  const model = SentenceEncoder.random({
    config,
    tokenizer,
    pooling,
    normalize: !!o.normalize,
    seed: o.seed ?? 42,
    maxSeqLength,
    sourceDir: o.tokenizer,
  });
  await model.save(o.output);
  const parameters = model.namedVariables().reduce((s, v) => s + v.variable.size, 0);
  model.dispose();
  return {
    output: o.output,
    preset: o.preset ?? null,
    hidden_size: config.hidden_size,
    layers: config.num_hidden_layers,
    parameters,
    pooling,
    normalize: !!o.normalize,
  };
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('Create a randomly initialized BERT sentence encoder in sentence-transformers layout')
    .option(
      '--preset <name>',
      "tiny (the shared fixture's shape), mini (all-MiniLM-L6-v2), small (4 layers, hidden 512), base (bert-base)",
    )
    .option('--config <config.json>', 'a Hugging Face BERT config.json instead of a preset')
    .requiredOption('--tokenizer <dir>', 'folder with tokenizer.json (+ tokenizer_config.json, vocab.txt)')
    .requiredOption('--output <dir>', 'where to write the model')
    .option('--pooling <mode>', 'mean | cls | max | mean_sqrt_len | weightedmean | lasttoken', 'mean')
    .option('--normalize', 'add a Normalize module (unit-length embeddings)')
    .option('--seed <n>', 'random seed', parseNonNegativeInt('--seed'), 42)
    .option('--max-seq-length <n>', 'max_seq_length of the new model', parsePositiveInt('--max-seq-length'))
    .option(
      '--cross-encoder',
      'a cross-encoder (BertForSequenceClassification) instead of a sentence encoder',
    )
    .option(
      '--num-labels <n>',
      'cross-encoder labels (default 1: one score per pair)',
      parsePositiveInt('--num-labels'),
    )
    .action(async (o: InitOptions) => {
      process.stdout.write(`${JSON.stringify(await runInit(o))}\n`);
    });
}
