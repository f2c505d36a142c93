import type { CrossEncoderActivation } from '@contrastive/bert';
import { loadGenerator } from '@contrastive/llm';
import { initBackend } from '@contrastive/tensor-gpu';
import { type Command, Option } from 'commander';
import { type Engine, parseEngine } from '../engine.js';
import { GPL_DEFAULTS, type GplOptions, runGpl } from '../gpl.js';
import { collect, parseNonNegativeInt, parseNumber, parsePositiveInt } from '../options.js';

interface GplCommandOptions {
  model: string;
  corpus: string;
  crossEncoder: string;
  generator: string;
  output: string;
  dataDir?: string;
  queriesPerPassage: number;
  negatives: number;
  retriever?: string[];
  steps: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  maxSeqLength: number;
  similarity: 'dot' | 'cosine';
  ceActivation?: CrossEncoderActivation;
  queryPrompt?: string;
  concurrency: number;
  seed: number;
  saveSteps: number;
  loggingSteps: number;
  engine: Engine;
  progress: boolean;
}

/**
 * `contrastive gpl`: generative pseudo-labeling (GPL) domain adaptation of a sentence encoder on a target corpus;
 * defaults are GPL's reference ones (its 140k steps take days on a CPU: pass --steps for a short run).
 */
export function registerGpl(program: Command): void {
  program
    .command('gpl')
    .description(
      'GPL domain adaptation: LLM-generated queries, mined negatives, cross-encoder margins, MarginMSE training',
    )
    .requiredOption('--model <dir|hub id>', 'the sentence encoder to adapt')
    .requiredOption('--corpus <file>', 'target-domain passages: JSONL {"text"} or BEIR corpus.jsonl')
    .requiredOption('--cross-encoder <dir|hub id>', 'the teacher: a one-label cross-encoder')
    .requiredOption('--generator <config>', 'provider config (JSON/YAML) that writes the queries')
    .requiredOption('--output <dir>', 'the adapted model (and checkpoints, metrics.jsonl, gpl-data/)')
    .option(
      '--data-dir <dir>',
      'intermediate files (default <output>/gpl-data); an existing queries.jsonl or hard-negatives.jsonl there is used as is',
    )
    .option(
      '--queries-per-passage <n>',
      'queries generated per passage',
      parsePositiveInt('--queries-per-passage'),
      GPL_DEFAULTS.queriesPerPassage,
    )
    .option(
      '--negatives <n>',
      'negatives mined per query and retriever',
      parsePositiveInt('--negatives'),
      GPL_DEFAULTS.negativesPerQuery,
    )
    .option(
      '--retriever <self|bm25|dir>',
      'a negative miner, repeatable (default self: the model being adapted)',
      collect,
    )
    .option('--steps <n>', 'training steps', parsePositiveInt('--steps'), GPL_DEFAULTS.steps)
    .option('--batch-size <n>', 'tuples per step', parsePositiveInt('--batch-size'), GPL_DEFAULTS.batchSize)
    .option('--lr <x>', 'peak learning rate', parseNumber('--lr'), GPL_DEFAULTS.learningRate)
    .option(
      '--warmup-steps <n>',
      'linear warmup steps (at most a tenth of --steps)',
      parseNonNegativeInt('--warmup-steps'),
      GPL_DEFAULTS.warmupSteps,
    )
    .option(
      '--max-seq-length <n>',
      "the student's max_seq_length",
      parsePositiveInt('--max-seq-length'),
      GPL_DEFAULTS.maxSeqLength,
    )
    .addOption(
      new Option('--similarity <name>', "the student's score in MarginMSE")
        .choices(['dot', 'cosine'])
        .default(GPL_DEFAULTS.similarity),
    )
    .addOption(
      new Option(
        '--ce-activation <name>',
        "activation on the cross-encoder's logit before the margin (default the model's)",
      ).choices(['sigmoid', 'identity', 'tanh', 'relu']),
    )
    .option('--query-prompt <template>', 'query-generation prompt with {text} and {n}')
    .option(
      '--concurrency <n>',
      'passages sent to the generator at once',
      parsePositiveInt('--concurrency'),
      4,
    )
    .option('--seed <n>', 'seed of generation, mining and sampling', parseNonNegativeInt('--seed'), 42)
    .option(
      '--save-steps <n>',
      'checkpoint every N steps',
      parsePositiveInt('--save-steps'),
      GPL_DEFAULTS.saveSteps,
    )
    .option('--logging-steps <n>', 'log every N steps', parsePositiveInt('--logging-steps'), 500)
    .option('--engine <name>', 'auto | onnx | tfjs', parseEngine, 'auto')
    .option('--no-progress', 'no progress bar or progress lines')
    .action(async (o: GplCommandOptions) => {
      const generator = loadGenerator(o.generator, {
        onRetry: ({ attempt, delayMs, reason }) =>
          process.stderr.write(`generator: ${reason}; retry ${attempt} in ${Math.round(delayMs)} ms\n`),
      });
      process.stderr.write(`${(await initBackend()).summary}\n`);
      const options: GplOptions = {
        model: o.model,
        corpus: o.corpus,
        crossEncoder: o.crossEncoder,
        generator,
        output: o.output,
        dataDir: o.dataDir,
        queriesPerPassage: o.queriesPerPassage,
        negativesPerQuery: o.negatives,
        retrievers: o.retriever,
        steps: o.steps,
        batchSize: o.batchSize,
        learningRate: o.lr,
        warmupSteps: o.warmupSteps,
        maxSeqLength: o.maxSeqLength,
        similarity: o.similarity,
        crossEncoderActivation: o.ceActivation,
        queryPrompt: o.queryPrompt,
        concurrency: o.concurrency,
        seed: o.seed,
        saveSteps: o.saveSteps,
        loggingSteps: o.loggingSteps,
        engine: o.engine,
        progress: o.progress,
        log: (line) => process.stderr.write(`${line}\n`),
      };
      const r = await runGpl(options);
      process.stdout.write(
        `${JSON.stringify({ command: 'gpl', ...r, requests: generator.requestCount, cache_hits: generator.cacheHits })}\n`,
      );
    });
}
