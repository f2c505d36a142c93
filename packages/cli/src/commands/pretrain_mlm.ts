import { BertForMaskedLM, MaskedLanguageModelingLoss } from '@contrastive/bert';
import { type EngineDevice, initBackend } from '@contrastive/tensor-gpu';
import { SentenceTransformerTrainer, type TrainingArguments } from '@contrastive/trainer';
import type { Command } from 'commander';
import { deviceOption, setTrainingDevice } from '../engine.js';
import { parseNonNegativeInt, parseNumber, parsePositiveInt } from '../options.js';
import { readSentenceFile } from '../sentences.js';

export interface PretrainMlmOptions {
  model?: string;
  corpus?: string;
  output?: string;
  epochs?: number;
  maxSteps?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  wholeWordMask?: boolean;
  mlmProbability?: number;
  maxSeqLength?: number;
  loggingSteps?: number;
  saveSteps?: number;
  engine?: string;
  threads?: number;
  device?: EngineDevice;
  progress?: boolean;
}

/**
 * `contrastive pretrain-mlm`: masked-language-model adaptive pre-training on a target-domain corpus, through the
 * trainer (the model's "embedding" of a text is its masked-token loss; see BertForMaskedLM). Writes a Hugging
 * Face BertForMaskedLM folder that `train --model` then loads as a sentence encoder (mean pooling).
 */
export async function runPretrainMlm(o: PretrainMlmOptions): Promise<Record<string, unknown>> {
  if (!o.model) throw new Error('pretrain-mlm: --model is required');
  if (!o.corpus) throw new Error('pretrain-mlm: --corpus is required');
  if (!o.output) throw new Error('pretrain-mlm: --output is required');
  const probability = o.mlmProbability ?? 0.15;
  if (!(probability > 0 && probability < 1))
    throw new Error(`pretrain-mlm: --mlm-probability must be in (0, 1), got ${probability}`);
  if (o.engine !== undefined && !['auto', 'onnx', 'tfjs'].includes(o.engine))
    throw new Error(`pretrain-mlm: --engine must be auto, onnx or tfjs, got "${o.engine}"`);
  const corpus = await readSentenceFile(o.corpus);

  const backend = await initBackend();
  process.stderr.write(`${backend.summary}\n`);
  const model = await BertForMaskedLM.load(o.model, { maxSeqLength: o.maxSeqLength, seed: o.seed });
  if (model.headSource === 'random')
    process.stderr.write(
      `pretrain-mlm: ${o.model} has no masked-LM head (cls.predictions.*); starting from a newly initialized one\n`,
    );
  model.masking = { probability, wholeWord: o.wholeWordMask ?? false };
  const args: Partial<TrainingArguments> & { outputDir: string } = { outputDir: o.output };
  if (o.epochs !== undefined) args.numTrainEpochs = o.epochs;
  if (o.maxSteps !== undefined) args.maxSteps = o.maxSteps;
  if (o.batchSize !== undefined) args.perDeviceTrainBatchSize = o.batchSize;
  if (o.lr !== undefined) args.learningRate = o.lr;
  if (o.seed !== undefined) args.seed = o.seed;
  if (o.loggingSteps !== undefined) args.loggingSteps = o.loggingSteps;
  if (o.saveSteps !== undefined) args.saveSteps = o.saveSteps;
  if (o.engine !== undefined) {
    args.trainEngine = o.engine as TrainingArguments['trainEngine'];
    args.evalEngine = o.engine as TrainingArguments['evalEngine'];
  }
  if (o.threads !== undefined) args.engineThreads = o.threads;
  setTrainingDevice(args, o.device);
  if (o.progress === false) args.progress = false;
  const trainer = new SentenceTransformerTrainer({
    model,
    args,
    trainDataset: corpus,
    loss: new MaskedLanguageModelingLoss(),
    baseModel: o.model,
  });
  const r = await trainer.train();
  model.dispose();
  return {
    output: r.outputDir,
    steps: r.globalStep,
    train_loss: r.trainLoss,
    sentences: corpus.numRows,
    head: model.headSource,
  };
}

export function registerPretrainMlm(program: Command): void {
  program
    .command('pretrain-mlm')
    .description(
      'Masked-language-model adaptive pre-training on a domain corpus (writes a Hugging Face BertForMaskedLM folder that train --model loads)',
    )
    .option(
      '--model <dir|hub id>',
      'BERT to start from (a BertForMaskedLM folder, or any BERT / sentence-transformers folder)',
    )
    .option('--corpus <file>', 'plain sentences: .txt one a line, or JSONL/CSV/Parquet with a "text" column')
    .option('--output <dir>', 'output folder: the adapted model, checkpoints, metrics.jsonl')
    .option('--epochs <n>', 'number of epochs (default 3)', parseNumber('--epochs'))
    .option('--max-steps <n>', 'total optimizer steps (overrides --epochs)', parsePositiveInt('--max-steps'))
    .option('--batch-size <n>', 'sentences per step (default 8)', parsePositiveInt('--batch-size'))
    .option('--lr <x>', 'peak learning rate (default 5e-5)', parseNumber('--lr'))
    .option('--whole-word-mask', 'mask a word and its ## continuations together')
    .option(
      '--mlm-probability <x>',
      'fraction of tokens to predict (default 0.15)',
      parseNumber('--mlm-probability'),
    )
    .option('--max-seq-length <n>', 'truncate sentences to N tokens', parsePositiveInt('--max-seq-length'))
    .option('--seed <n>', 'random seed (default 42)', parseNonNegativeInt('--seed'))
    .option('--logging-steps <n>', 'log every N steps (default 500)', parsePositiveInt('--logging-steps'))
    .option('--save-steps <n>', 'checkpoint every N steps (default 500)', parsePositiveInt('--save-steps'))
    .option('--engine <name>', "auto | onnx | tfjs: what runs BERT's training passes")
    .option('--threads <n>', 'onnxruntime threads', parsePositiveInt('--threads'))
    .addOption(deviceOption())
    .option('--no-progress', 'no progress bar or progress lines')
    .action(async (o: PretrainMlmOptions) => {
      process.stdout.write(`${JSON.stringify(await runPretrainMlm(o))}\n`);
    });
}
