import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { writeOutputFileSync } from '@contrastive/core';
import {
  ClassificationEvaluator,
  type Embedder,
  type Evaluator,
  type MtebResultJson,
  PairClassificationEvaluator,
  RerankingEvaluator,
  RetrievalEvaluator,
  StsEvaluator,
  TripletEvaluator,
  getTask,
  knownTaskNames,
  loadBeirData,
  loadClassificationData,
  loadPairData,
  loadRerankingData,
  loadStsData,
  loadTripletData,
  resolveSplitFile,
  toMtebResultJson,
  writeMtebResult,
} from '@contrastive/eval-mteb';
import type { EngineDevice } from '@contrastive/tensor-gpu';
import { createProgress } from '@contrastive/trainer';
import { type Command, InvalidArgumentError } from 'commander';
import { type Engine, deviceOption, parseEngine, workersOption } from '../engine.js';
import { parsePositiveInt } from '../options.js';
import { pluginEvaluator, pluginEvaluatorNames } from '../plugins.js';

export const EVAL_TASK_TYPES = [
  'sts',
  'classification',
  'retrieval',
  'triplet',
  'pair',
  'reranking',
] as const;

export interface EvalCommandOptions {
  model: string;
  /** Inference engine (default auto: onnxruntime-node when it can run the model). */
  engine?: Engine;
  /** onnx: encode sessions in worker threads (default `auto`: two for a small model on 2 threads or more). */
  workers?: number | 'auto';
  /** onnx: where the model runs (default cpu). */
  device?: EngineDevice;
  /** A task type (sts, classification, ...) or a registry task name (STSBenchmark, Banking77Classification, ...). */
  task: string;
  /** The data file or folder; for registry tasks optional (then the hub copy is used). */
  data?: string;
  /** Classification: the test file (`data` is then the train file). */
  test?: string;
  split: string;
  output: string;
  labelColumn?: string;
  batchSize: number;
  maxSeqLength?: number;
  normalize?: boolean;
  queryPrompt?: string;
  documentPrompt?: string;
  scoreFunction?: 'cosine' | 'dot';
  /** Only the first N evaluation examples (not for retrieval). */
  limit?: number;
  /** Matryoshka: evaluate the first N dimensions of each embedding. */
  truncateDim?: number;
  /** Matryoshka: evaluate at each of these dimensions (one row each in the results' `truncate_dims`). */
  truncateDims?: number[];
}

/** The results of one task evaluated at several embedding dimensions (`--truncate-dims`). */
export interface TruncatedResultsJson {
  task_name: string;
  split: string;
  model_name: string;
  main_score_name: string;
  truncate_dims: Array<{ truncate_dim: number } & MtebResultJson>;
}

/** Split file names that say nothing about the data set: a result is named after the folder instead. */
const SPLIT_STEMS = new Set(['train', 'test', 'dev', 'validation', 'valid', 'val', 'eval', 'data']);

/**
 * The name a result carries: the folder's name for a folder, the file's name without its extension, or the
 * folder's name when the file is a split (`banking77/train.csv` → `banking77`, not `train.csv`).
 */
export function dataName(path: string): string {
  const clean = path.replace(/[\\/]+$/, '');
  if (existsSync(clean) && statSync(clean).isDirectory()) return basename(clean);
  const stem = basename(clean).replace(/(\.(csv|tsv|jsonl?|parquet|txt))?(\.gz)?$/i, '');
  const parent = basename(dirname(resolve(clean)));
  return SPLIT_STEMS.has(stem.toLowerCase().replace(/[-_]?split$/, '')) && parent ? parent : stem;
}

function head<T>(items: T[], limit: number | undefined): T[] {
  return limit === undefined ? items : items.slice(0, limit);
}

function requireData(opts: EvalCommandOptions): string {
  if (!opts.data) throw new Error(`--data is required for --task ${opts.task}`);
  if (!existsSync(opts.data)) throw new Error(`${opts.data}: data not found`);
  return opts.data;
}

/** The evaluator the options describe; reads the data, not the model. */
export async function buildEvaluator(opts: EvalCommandOptions): Promise<Evaluator> {
  const naming = { split: opts.split };
  const limit = opts.limit;
  switch (opts.task) {
    case 'sts': {
      const path = requireData(opts);
      const d = loadStsData(resolveSplitFile(path, opts.split, 'sts'));
      return new StsEvaluator(
        {
          sentences1: head(d.sentences1, limit),
          sentences2: head(d.sentences2, limit),
          scores: head(d.scores, limit),
        },
        { ...naming, name: dataName(path) },
      );
    }
    case 'classification': {
      const path = requireData(opts);
      const isFolder = statSync(path).isDirectory();
      if (!opts.test && !isFolder)
        throw new Error('--task classification needs --test <file> (--data is the train file)');
      const labelOptions = opts.labelColumn ? { labelColumn: opts.labelColumn } : {};
      const train = loadClassificationData(
        isFolder ? resolveSplitFile(path, 'train', 'classification') : path,
        labelOptions,
      );
      const test = loadClassificationData(
        opts.test ?? resolveSplitFile(path, opts.split, 'classification'),
        labelOptions,
      );
      return new ClassificationEvaluator(
        train,
        { texts: head(test.texts, limit), labels: head(test.labels, limit) },
        { ...naming, name: dataName(path) },
      );
    }
    case 'retrieval': {
      const path = requireData(opts);
      if (!statSync(path).isDirectory())
        throw new Error(
          `${path}: --task retrieval reads a BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv); convert a QA file with \`contrastive data convert --to beir --input ${path} --output <folder>\``,
        );
      return new RetrievalEvaluator(loadBeirData(path, opts.split), {
        ...naming,
        name: dataName(path),
        queryPrompt: opts.queryPrompt,
        documentPrompt: opts.documentPrompt,
        scoreFunction: opts.scoreFunction,
      });
    }
    case 'triplet': {
      const path = requireData(opts);
      const d = loadTripletData(resolveSplitFile(path, opts.split, 'triplet'));
      return new TripletEvaluator(
        {
          anchors: head(d.anchors, limit),
          positives: head(d.positives, limit),
          negatives: head(d.negatives, limit),
        },
        { ...naming, name: dataName(path) },
      );
    }
    case 'pair': {
      const path = requireData(opts);
      const d = loadPairData(resolveSplitFile(path, opts.split, 'pair'));
      return new PairClassificationEvaluator(
        {
          sentences1: head(d.sentences1, limit),
          sentences2: head(d.sentences2, limit),
          labels: head(d.labels, limit),
        },
        { ...naming, name: dataName(path) },
      );
    }
    case 'reranking': {
      const path = requireData(opts);
      return new RerankingEvaluator(
        head(loadRerankingData(resolveSplitFile(path, opts.split, 'reranking')), limit),
        {
          ...naming,
          name: dataName(path),
        },
      );
    }
    default: {
      const plugin = pluginEvaluator(opts.task);
      if (plugin)
        return plugin({
          split: opts.split,
          ...(opts.data === undefined ? {} : { data: opts.data }),
          ...(limit === undefined ? {} : { limit }),
          ...(opts.labelColumn === undefined ? {} : { labelColumn: opts.labelColumn }),
          ...(opts.queryPrompt === undefined ? {} : { queryPrompt: opts.queryPrompt }),
          ...(opts.documentPrompt === undefined ? {} : { documentPrompt: opts.documentPrompt }),
        });
      if (!knownTaskNames().some((n) => n.toLowerCase() === opts.task.toLowerCase())) {
        const plugins = pluginEvaluatorNames();
        throw new Error(
          `unknown --task "${opts.task}"; use one of ${EVAL_TASK_TYPES.join(', ')}${plugins.length ? `, a plugin's (${plugins.join(', ')})` : ''} or a known task: ${knownTaskNames().join(', ')}`,
        );
      }
      return getTask(opts.task, {
        path: opts.data,
        split: opts.split,
        labelColumn: opts.labelColumn,
        queryPrompt: opts.queryPrompt,
        documentPrompt: opts.documentPrompt,
        scoreFunction: opts.scoreFunction,
      });
    }
  }
}

/** Loads the model (unless one is given, e.g. a fake in tests), evaluates, writes `output`; returns what was written. */
export async function runEval(opts: EvalCommandOptions, model?: Embedder): Promise<MtebResultJson> {
  const evaluator = await buildEvaluator(opts);
  let embedder = model;
  let release = async () => {};
  if (!embedder) {
    // Loaded lazily so that option and data errors come before the (slow) backend start.
    const { initBackend } = await import('@contrastive/tensor-gpu');
    const { loadEncoder } = await import('../engine.js');
    const backend = await initBackend();
    process.stderr.write(`${backend.summary}\n`);
    const loaded = await loadEncoder(
      opts.model,
      opts.engine ?? 'auto',
      { maxSeqLength: opts.maxSeqLength, normalize: opts.normalize, truncateDim: opts.truncateDim },
      { workers: opts.workers, device: opts.device, bulk: true },
    );
    embedder = loaded.runner;
    release = loaded.release;
  }
  let progress: ReturnType<typeof createProgress> | undefined;
  const result = await evaluator.evaluate(embedder, {
    batchSize: opts.batchSize,
    // Undefined metrics, qrels pointing outside the data...: told on stderr, and kept in the results JSON.
    logger: (message) => process.stderr.write(`contrastive: warning: ${message}\n`),
    progress: (done, total) => {
      progress ??= createProgress(`eval ${evaluator.name}`, total);
      progress.update(done);
      if (done >= total) {
        progress.stop();
        progress = undefined;
      }
    },
  });
  await release();
  return writeMtebResult(opts.output, result, { modelName: opts.model });
}

/**
 * Evaluates one task at each embedding dimension of `opts.truncateDims` (Matryoshka): the model is loaded once,
 * and each row is the evaluator's result on the first N dimensions. Writes `output` and returns it; the
 * Markdown table of `truncationTable` goes to stderr.
 */
export async function runEvalAcrossDims(opts: EvalCommandOptions): Promise<TruncatedResultsJson> {
  const dims = opts.truncateDims ?? [];
  if (dims.length === 0) throw new Error('--truncate-dims: no dimension given');
  if (opts.truncateDim !== undefined) throw new Error('give --truncate-dim or --truncate-dims, not both');
  const evaluator = await buildEvaluator(opts);
  const { initBackend } = await import('@contrastive/tensor-gpu');
  const { loadEncoder } = await import('../engine.js');
  const backend = await initBackend();
  process.stderr.write(`${backend.summary}\n`);
  const { model, release } = await loadEncoder(
    opts.model,
    opts.engine ?? 'auto',
    { maxSeqLength: opts.maxSeqLength, normalize: opts.normalize },
    { workers: opts.workers, device: opts.device, bulk: true },
  );
  const rows: TruncatedResultsJson['truncate_dims'] = [];
  try {
    for (const dim of dims) {
      model.truncateDim = dim; // names the model's dimension when too large
      const result = await evaluator.evaluate(model, {
        batchSize: opts.batchSize,
        logger: (message) => process.stderr.write(`contrastive: warning: ${message}\n`),
      });
      rows.push({ truncate_dim: dim, ...toMtebResultJson(result, { modelName: opts.model }) });
    }
  } finally {
    await release();
  }
  const json: TruncatedResultsJson = {
    task_name: rows[0]!.task_name,
    split: rows[0]!.split,
    model_name: opts.model,
    main_score_name: rows[0]!.main_score_name,
    truncate_dims: rows,
  };
  writeOutputFileSync(opts.output, `${JSON.stringify(json, null, 2)}\n`);
  process.stderr.write(truncationTable(json));
  return json;
}

/** `| Dimension | <main score> |` rows, one per evaluated dimension. */
export function truncationTable(results: TruncatedResultsJson): string {
  const lines = [
    `| Dimension | ${results.main_score_name} |`,
    '| ---: | ---: |',
    ...results.truncate_dims.map(
      (r) => `| ${r.truncate_dim} | ${r.main_score === null ? 'n/a' : r.main_score.toFixed(4)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

function parseDims(value: string): number[] {
  const dims = value.split(',').map((v) => Number(v.trim()));
  if (dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d < 1))
    throw new InvalidArgumentError(
      `--truncate-dims must be positive integers separated by commas, got "${value}"`,
    );
  return dims;
}

function parseScoreFunction(value: string): 'cosine' | 'dot' {
  if (value !== 'cosine' && value !== 'dot')
    throw new InvalidArgumentError(`--score-function must be cosine or dot, got "${value}"`);
  return value;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'Evaluate an embedding model as sentence-transformers / MTEB do; writes MTEB-style results JSON',
    )
    .requiredOption('--model <dir|hub id>', 'model folder or Hugging Face hub id')
    .requiredOption(
      '--task <task>',
      `${EVAL_TASK_TYPES.join('|')}, or a known task (${knownTaskNames().join(', ')})`,
    )
    .option(
      '--data <file or folder>',
      'evaluation data (classification: the train file; retrieval: a BEIR folder)',
    )
    .option('--test <file>', 'classification: the test file')
    .option('--split <name>', 'split to evaluate (BEIR qrels/<split>.tsv, <split>.* in a folder)', 'test')
    .requiredOption(
      '--output <results.json>',
      'where to write the results (main_score and scores at the top level)',
    )
    .option('--label-column <name>', 'classification label column (default: label, else category)')
    .option('--batch-size <n>', 'texts per embedding call', parsePositiveInt('--batch-size'), 32)
    .option(
      '--max-seq-length <n>',
      'truncate inputs to this many tokens',
      parsePositiveInt('--max-seq-length'),
    )
    .option('--normalize', 'L2-normalize the embeddings')
    .option(
      '--engine <name>',
      'auto (onnxruntime-node when it can run the model, else tfjs) | onnx | tfjs',
      parseEngine,
      'auto',
    )
    .addOption(workersOption())
    .addOption(deviceOption())
    .option('--query-prompt <text>', 'retrieval: text prepended to every query')
    .option('--document-prompt <text>', 'retrieval: text prepended to every document')
    .option('--score-function <name>', 'retrieval: cosine or dot', parseScoreFunction)
    .option(
      '--truncate-dim <n>',
      "Matryoshka: evaluate the first N dimensions (default: the model's saved truncate_dim, else all)",
      parsePositiveInt('--truncate-dim'),
    )
    .option(
      '--truncate-dims <n,n,...>',
      'Matryoshka: evaluate at each dimension; --output gets one row per dimension and stderr a table',
      parseDims,
    )
    .option(
      '--limit <n>',
      'only the first N evaluation examples (not retrieval)',
      parsePositiveInt('--limit'),
    )
    .action(async (opts: EvalCommandOptions) => {
      if (opts.truncateDims) {
        const r = await runEvalAcrossDims(opts);
        process.stdout.write(
          `${JSON.stringify({ task: r.task_name, split: r.split, main_score_name: r.main_score_name, truncate_dims: r.truncate_dims.map((d) => d.truncate_dim), main_scores: r.truncate_dims.map((d) => d.main_score), output: opts.output })}\n`,
        );
        return;
      }
      const written = await runEval(opts);
      process.stdout.write(
        `${JSON.stringify({ task: written.task_name, split: written.split, main_score_name: written.main_score_name, main_score: written.main_score, output: opts.output, ...(written.warnings ? { warnings: written.warnings.length } : {}) })}\n`,
      );
    });
}
