import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { CrossEncoder, SentenceEncoder } from '@contrastive/bert';
import { LABEL_COLUMNS, type TrainingPrompts } from '@contrastive/core';
import { readDataFile } from '@contrastive/data-nli';
import {
  CrossEncoderCorrelationEvaluator,
  type Evaluator,
  StsEvaluator,
  loadStsData,
  resolveSplitFile,
} from '@contrastive/eval-mteb';
import { createLoss, describeLosses, listLosses } from '@contrastive/losses';
import { parsePoolingMode } from '@contrastive/pooling';
import { initBackend, parseEngineDevice } from '@contrastive/tensor-gpu';
import {
  type ColumnarDataset,
  SentenceTransformerTrainer,
  type TrainerCallback,
  type TrainerEvaluator,
  type TrainingArguments,
} from '@contrastive/trainer';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { deviceOption, setTrainingDevice, withOnnxFlags } from '../engine.js';
import { collect, parseNonNegativeInt, parseNumber, parsePositiveInt } from '../options.js';
import { loadPlugins } from '../plugins.js';
import { readSentenceFile } from '../sentences.js';
import { buildEvaluator } from './eval.js';

/** Flag (camelCase) → training argument; the CLI keeps sentence-transformers' short names. */
const ARG_OF: Record<string, keyof TrainingArguments> = {
  epochs: 'numTrainEpochs',
  numTrainEpochs: 'numTrainEpochs',
  maxSteps: 'maxSteps',
  batchSize: 'perDeviceTrainBatchSize',
  perDeviceTrainBatchSize: 'perDeviceTrainBatchSize',
  lr: 'learningRate',
  learningRate: 'learningRate',
  warmupSteps: 'warmupSteps',
  warmupRatio: 'warmupRatio',
  seed: 'seed',
  lrScheduler: 'lrSchedulerType',
  lrSchedulerType: 'lrSchedulerType',
  weightDecay: 'weightDecay',
  loggingSteps: 'loggingSteps',
  evalSteps: 'evalSteps',
  saveSteps: 'saveSteps',
  saveTotalLimit: 'saveTotalLimit',
  dropout: 'dropout',
  maxGradNorm: 'maxGradNorm',
  gradientAccumulationSteps: 'gradientAccumulationSteps',
  batchSampler: 'batchSampler',
  multiDatasetBatchSampler: 'multiDatasetBatchSampler',
  evalStrategy: 'evalStrategy',
  saveStrategy: 'saveStrategy',
  loggingStrategy: 'loggingStrategy',
  loadBestModelAtEnd: 'loadBestModelAtEnd',
  metricForBestModel: 'metricForBestModel',
  greaterIsBetter: 'greaterIsBetter',
  adamBeta1: 'adamBeta1',
  adamBeta2: 'adamBeta2',
  adamEpsilon: 'adamEpsilon',
  dataloaderDropLast: 'dataloaderDropLast',
};

const camel = (k: string) => k.replace(/[-_]+([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export interface TrainCliOptions {
  model?: string;
  train?: string[];
  loss?: string;
  lossArg?: string[];
  evalSts?: string;
  /** `kind=path`, repeatable: evaluators run during training (see `trainingEvaluators`). */
  eval?: string[];
  output?: string;
  resume?: string;
  config?: string;
  maxSeqLength?: number;
  prompt?: string;
  /** `column=prompt`, repeatable: per-column prompts. */
  columnPrompt?: string[];
  /** FlagEmbedding's query instruction: the prompt of every data set's first text column (its query). */
  queryInstruction?: string;
  /** Config file only: sentence-transformers' `prompts` argument as is (string, per column or per data set). */
  prompts?: TrainingPrompts;
  evalBefore?: boolean;
  progress?: boolean;
  engine?: string;
  threads?: number;
  /** cpu | webgpu | cuda | cuda:<index>: where the onnx engine trains and evaluates. */
  device?: string;
  [flag: string]: unknown;
}

/** `--config` file (JSON or YAML) with the same keys as the flags, in any of kebab-, snake- or camelCase. */
function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read config (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new Error(
      `${path}: not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'} (${(e as Error).message})`,
    );
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new Error(`${path}: expected an object of options`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const key = camel(k);
    if (key === 'lossArgs' && v && typeof v === 'object')
      out.lossArg = Object.entries(v).map(([a, b]) => `${a}=${Array.isArray(b) ? b.join(',') : String(b)}`);
    else if (key === 'train' && typeof v === 'string') out.train = [v];
    else out[key] = v;
  }
  return out;
}

function parseLossArgs(args: string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of args ?? []) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new Error(`--loss-arg: expected key=value, got "${a}"`);
    out[camel(a.slice(0, eq).trim())] = a.slice(eq + 1).trim();
  }
  return out;
}

/** `contrastive train`: returns the JSON line it prints. */
export async function runTrain(cli: TrainCliOptions): Promise<Record<string, unknown>> {
  const config = cli.config ? readConfigFile(cli.config) : undefined;
  const o: TrainCliOptions = config ? { ...config, ...stripUndefined(cli) } : cli;
  if (config?.plugins !== undefined) {
    const plugins = config.plugins;
    if (!Array.isArray(plugins) || plugins.some((p) => typeof p !== 'string'))
      throw new Error(`${cli.config}: "plugins" must be a list of module names or paths`);
    // Relative plugin paths are read from the config file's folder, so a config travels with its plugin.
    await loadPlugins(plugins as string[], dirname(cli.config!));
  }
  if (!o.model) throw new Error('train: --model is required');
  if (!o.train || o.train.length === 0) throw new Error('train: at least one --train file is required');
  if (!o.loss) throw new Error('train: --loss is required');
  if (!o.output) throw new Error('train: --output is required');

  const args: Partial<TrainingArguments> & { outputDir: string } = { outputDir: o.output };
  for (const [flag, value] of Object.entries(o)) {
    const key = ARG_OF[flag];
    if (key && value !== undefined) (args as Record<string, unknown>)[key] = value;
  }
  if (o.engine !== undefined) {
    if (!['auto', 'onnx', 'tfjs'].includes(String(o.engine)))
      throw new Error(`train: --engine must be auto, onnx or tfjs, got "${String(o.engine)}"`);
    args.trainEngine = o.engine as TrainingArguments['trainEngine'];
    args.evalEngine = o.engine as TrainingArguments['evalEngine'];
  }
  if (o.threads !== undefined) args.engineThreads = o.threads;
  // Also the evaluation's device (the model's encode engine, below).
  const device = o.device === undefined ? undefined : parseEngineDevice(String(o.device), 'train: --device');
  setTrainingDevice(args, device);
  if (o.progress === false) args.progress = false;

  // Data files first: a bad file fails before the model is loaded.
  const datasets: Record<string, ColumnarDataset> = {};
  for (const file of o.train) {
    let name = basename(file, extname(file));
    while (name in datasets) name = `${name}_`;
    // A .txt file is plain sentences, one a line (simcse, ct); label and score columns of other files are
    // numbers: CSV/TSV text is parsed, a bad value names file, line and column.
    datasets[name] =
      extname(file).toLowerCase() === '.txt'
        ? await readSentenceFile(file)
        : await readDataFile(file, { numberColumns: LABEL_COLUMNS });
  }
  args.prompts = trainingPrompts(o, datasets);
  const lossOptions = parseLossArgs(o.lossArg);
  const lossName = o.loss.toLowerCase();
  if ((lossName === 'softmax' || lossName === 'softmaxloss') && lossOptions.numLabels === undefined) {
    // Infer the number of classes from the labels, as the reference script does with its label map.
    let max = -1;
    for (const d of Object.values(datasets))
      for (const v of d.columnNames.includes('label') ? d.column('label') : [])
        max = Math.max(max, Number(v));
    if (max >= 0) lossOptions.numLabels = max + 1;
  }
  const evaluator = o.evalSts
    ? new StsEvaluator(loadStsData(o.evalSts), { name: 'sts-dev', split: 'dev' })
    : undefined;
  // Read before the model too, so a bad evaluation file fails fast.
  const extraEvaluators = await trainingEvaluators(o.eval ?? [], evaluator ? ['sts-dev'] : []);

  const backend = await initBackend();
  process.stderr.write(`${backend.summary}\n`);
  if (typeof lossOptions.guide === 'string')
    lossOptions.guide = await SentenceEncoder.load(lossOptions.guide as string);
  const loss = createLoss(o.loss, lossOptions);
  // A cross-encoder folder (config.json architectures …ForSequenceClassification) trains as one.
  const crossEncoder = existsSync(o.model) && CrossEncoder.isCrossEncoderFolder(o.model);
  const model = crossEncoder
    ? await CrossEncoder.load(o.model, { maxLength: o.maxSeqLength })
    : await SentenceEncoder.load(o.model, { maxSeqLength: o.maxSeqLength });
  model.onnxOptions = withOnnxFlags(model.onnxOptions, { device });
  if (crossEncoder && extraEvaluators.length > 0)
    throw new Error('train: --eval is for sentence encoders; a cross-encoder takes --eval-sts');
  // What the reference trains this loss with, where this run sets nothing (TSDAE: lr 3e-5, and CLS pooling for a
  // plain BERT folder, which would otherwise get mean pooling).
  const defaults = loss.trainingDefaults;
  if (defaults?.learningRate !== undefined && args.learningRate === undefined)
    args.learningRate = defaults.learningRate;
  if (
    defaults?.pooling &&
    model instanceof SentenceEncoder &&
    model.sourceDir &&
    !existsSync(join(model.sourceDir, 'modules.json'))
  ) {
    model.pooling = {
      dimension: model.bert.config.hidden_size,
      modes: [parsePoolingMode(defaults.pooling, `${loss.name} pooling`)],
      includePrompt: true,
    };
    process.stderr.write(`contrastive: ${loss.name}: ${defaults.pooling} pooling (a plain BERT folder)\n`);
  }
  // A cross-encoder is evaluated on --eval-sts by the correlation of its pair scores (main score spearman).
  const evaluators: TrainerEvaluator[] =
    crossEncoder && evaluator
      ? [
          new CrossEncoderCorrelationEvaluator(evaluator.data, {
            name: evaluator.name,
            split: evaluator.split,
          }),
        ]
      : [...(evaluator ? [evaluator] : []), ...extraEvaluators];
  if (evaluators.length > 0 && args.evalStrategy === undefined) {
    args.evalStrategy = 'steps';
    args.evalSteps ??= args.loggingSteps ?? 500;
  }
  const trainer = new SentenceTransformerTrainer({
    model,
    args,
    trainDataset: datasets,
    loss,
    evaluator: evaluators.length > 0 ? evaluators : undefined,
    callbacks: [nameBestMetric()],
    baseModel: o.model,
  });
  const before = evaluators.length > 0 && o.evalBefore ? await trainer.evaluate() : undefined;
  const resume =
    o.resume === undefined ? undefined : o.resume === 'latest' || o.resume === 'true' ? true : o.resume;
  const r = await trainer.train({ resumeFromCheckpoint: resume });
  return {
    output: r.outputDir,
    steps: r.globalStep,
    train_loss: r.trainLoss,
    eval: r.eval,
    ...(before ? { eval_before: before } : {}),
    ...(r.bestMetricKey ? { best_metric: r.bestMetricKey } : {}),
    ...(r.bestModelCheckpoint ? { best_model_checkpoint: r.bestModelCheckpoint } : {}),
  };
}

/**
 * Names on stderr the metric the trainer picks the best model by, once its first evaluation has resolved it
 * (again if a later one resolves another). The rule is the trainer's alone (`TrainerState.bestMetricKey`).
 */
function nameBestMetric(): TrainerCallback {
  let named: string | undefined;
  return {
    onEvaluate(state) {
      if (state.bestMetricKey === undefined || state.bestMetricKey === named) return;
      named = state.bestMetricKey;
      process.stderr.write(`contrastive: best-model metric: ${named}\n`);
    },
  };
}

/** `--eval` kinds: eval-mteb's evaluators (`pair` is pair-classification). */
export const TRAIN_EVAL_KINDS = [
  'sts',
  'retrieval',
  'classification',
  'triplet',
  'pair-classification',
  'reranking',
] as const;

/**
 * The evaluators of `--eval kind=path` (repeatable), built by the same code as `contrastive eval`: sts,
 * triplet, pair-classification, reranking take a file (or a folder with a dev, else test, split); retrieval a
 * BEIR folder (qrels/dev.tsv, else test); classification `train,test` files or a folder with train and dev/test
 * splits. Each is named after its file (kind-prefixed when two share a name), so its metrics are
 * `eval_<name>_<metric>`.
 */
export async function trainingEvaluators(specs: string[], taken: string[] = []): Promise<TrainerEvaluator[]> {
  const names = new Set(taken);
  const out: TrainerEvaluator[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const kind = eq > 0 ? spec.slice(0, eq).trim().toLowerCase() : '';
    const path = eq > 0 ? spec.slice(eq + 1).trim() : '';
    if (!(TRAIN_EVAL_KINDS as readonly string[]).includes(kind) && kind !== 'pair')
      throw new Error(
        `--eval: expected <kind>=<file>, kind one of ${TRAIN_EVAL_KINDS.join(', ')}; got "${spec}"`,
      );
    if (!path) throw new Error(`--eval ${kind}: no file given ("${spec}")`);
    const [data, test] = kind === 'classification' ? path.split(',') : [path, undefined];
    if (!data || !existsSync(data)) throw new Error(`--eval ${kind}: ${data} not found`);
    if (test !== undefined && !existsSync(test)) throw new Error(`--eval ${kind}: ${test} not found`);
    const split = devOrTest(data, kind);
    let ev: Evaluator;
    try {
      ev = await buildEvaluator({
        model: '',
        task: kind === 'pair-classification' ? 'pair' : kind,
        data,
        test,
        split,
        output: '',
        batchSize: 32,
      });
    } catch (e) {
      throw new Error(`--eval ${spec}: ${(e as Error).message}`);
    }
    let name = basename(data, extname(data));
    if (names.has(name)) name = `${kind}-${name}`;
    while (names.has(name)) name = `${name}_`;
    names.add(name);
    out.push({ name, mainScoreName: ev.mainScoreName, evaluate: (model) => ev.evaluate(model) });
  }
  return out;
}

/** A folder's dev split when it has one, else its test split (a file is its own split). */
function devOrTest(path: string, kind: string): string {
  if (!statSync(path).isDirectory()) return 'dev';
  if (kind === 'retrieval') return existsSync(join(path, 'qrels', 'dev.tsv')) ? 'dev' : 'test';
  try {
    resolveSplitFile(path, 'dev', kind);
    return 'dev';
  } catch {
    return 'test';
  }
}

/**
 * The `prompts` training argument from `--prompt` (every column), `--column-prompt column=text`,
 * `--query-instruction` (each data set's first text column, FlagEmbedding's query instruction) or the config
 * file's `prompts`; one of them at most. The trained model saves them by name (see the trainer's `savedPrompts`).
 */
function trainingPrompts(
  o: TrainCliOptions,
  datasets: Record<string, ColumnarDataset>,
): TrainingPrompts | undefined {
  const given = [
    o.prompt ? '--prompt' : undefined,
    o.columnPrompt?.length ? '--column-prompt' : undefined,
    o.queryInstruction ? '--query-instruction' : undefined,
    o.prompts !== undefined ? 'prompts (config)' : undefined,
  ].filter((x) => x !== undefined);
  if (given.length > 1) throw new Error(`train: give one of ${given.join(', ')}, not several`);
  if (o.prompt) return o.prompt;
  if (o.columnPrompt?.length) {
    const out: Record<string, string> = {};
    for (const a of o.columnPrompt) {
      const eq = a.indexOf('=');
      if (eq <= 0) throw new Error(`--column-prompt: expected column=prompt, got "${a}"`);
      out[a.slice(0, eq).trim()] = a.slice(eq + 1);
    }
    return out;
  }
  if (o.queryInstruction) {
    const instruction = o.queryInstruction;
    return Object.fromEntries(
      Object.entries(datasets).map(([name, d]) => {
        const first = d.columnNames.find((c) => !LABEL_COLUMNS.includes(c));
        if (!first) throw new Error(`--query-instruction: data set "${name}" has no text column`);
        return [name, { [first]: instruction }];
      }),
    );
  }
  return o.prompts;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)),
  ) as Partial<T>;
}

const bool = (flag: string) => (v: string) => {
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new Error(`${flag} must be true or false, got "${v}"`);
};

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('Fine-tune a sentence encoder with a contrastive loss (sentence-transformers semantics)')
    .option('--model <dir|hub id>', 'model to start from (e.g. one made by `contrastive init`)')
    .option(
      '--train <file>',
      'training file (JSONL/CSV/TSV/Parquet, or .txt: plain sentences one a line); repeat for several data sets',
      collect,
    )
    .option(
      '--loss <name>',
      `${listLosses().join(', ')} (or the sentence-transformers class name; see Losses below)`,
    )
    .option(
      '--loss-arg <key=value>',
      'loss option, e.g. scale=20, inner=mnrl, dims=64,32, guide=<model dir>; repeatable',
      collect,
    )
    .option('--eval-sts <file>', 'STS file (sentence1, sentence2, score) evaluated during and after training')
    .option(
      '--eval <kind=file>',
      `evaluate during training: ${TRAIN_EVAL_KINDS.join(', ')} (retrieval: a BEIR folder; classification: train,test files or a folder); repeatable`,
      collect,
    )
    .option('--eval-before', 'also evaluate before the first step (reported as eval_before)')
    .option(
      '--output <dir>',
      'output folder: the trained model, checkpoints, metrics.jsonl, plot, model card',
    )
    .option('--config <file>', 'JSON or YAML file with any of these options; flags win')
    .option('--resume <checkpoint>', 'resume from a checkpoint folder, or "latest" in --output')
    .option('--epochs <n>', 'number of epochs (default 3)', parseNumber('--epochs'))
    .option('--max-steps <n>', 'total optimizer steps (overrides --epochs)', parsePositiveInt('--max-steps'))
    .option('--batch-size <n>', 'per-device batch size (default 8)', parsePositiveInt('--batch-size'))
    .option('--lr <x>', 'peak learning rate (default 5e-5; tsdae 3e-5 as the reference)', parseNumber('--lr'))
    .option('--warmup-steps <n>', 'linear warmup steps', parseNonNegativeInt('--warmup-steps'))
    .option('--warmup-ratio <x>', 'warmup as a fraction of all steps', parseNumber('--warmup-ratio'))
    .option('--lr-scheduler <name>', 'linear | cosine | constant | constant_with_warmup')
    .option(
      '--weight-decay <x>',
      'AdamW weight decay (not on biases and LayerNorm)',
      parseNumber('--weight-decay'),
    )
    .option(
      '--max-grad-norm <x>',
      'gradient clipping (0 disables; default 1.0)',
      parseNumber('--max-grad-norm'),
    )
    .option(
      '--gradient-accumulation-steps <n>',
      'micro-batches per optimizer step',
      parsePositiveInt('--gradient-accumulation-steps'),
    )
    .option(
      '--dropout <x>',
      "override the model's hidden and attention dropout for this run",
      parseNumber('--dropout'),
    )
    .option('--seed <n>', 'random seed (default 42)', parseNonNegativeInt('--seed'))
    .option('--logging-steps <n>', 'log every N steps (default 500)', parsePositiveInt('--logging-steps'))
    .option(
      '--eval-steps <n>',
      'evaluate every N steps (default: the logging steps)',
      parsePositiveInt('--eval-steps'),
    )
    .option('--save-steps <n>', 'checkpoint every N steps (default 500)', parsePositiveInt('--save-steps'))
    .option(
      '--save-total-limit <n>',
      'keep at most N checkpoints (the best is kept)',
      parsePositiveInt('--save-total-limit'),
    )
    .option('--eval-strategy <s>', 'no | steps | epoch')
    .option('--save-strategy <s>', 'no | steps | epoch')
    .option('--batch-sampler <s>', 'batch_sampler | no_duplicates | group_by_label')
    .option('--multi-dataset-batch-sampler <s>', 'round_robin | proportional')
    .option('--load-best-model-at-end', 'reload the best checkpoint (by --metric-for-best-model) at the end')
    .option(
      '--metric-for-best-model <name>',
      "e.g. eval_sts-dev_spearman_cosine (default: the first evaluator's main score)",
    )
    .option('--greater-is-better <bool>', 'whether a larger metric is better', bool('--greater-is-better'))
    .option('--max-seq-length <n>', 'truncate inputs to N tokens', parsePositiveInt('--max-seq-length'))
    .option(
      '--prompt <text>',
      'prompt prepended to every input column (saved as the prompts "query" and "document", the default)',
    )
    .option(
      '--column-prompt <column=text>',
      'prompt for one column, e.g. anchor="query: " (saved under the column\'s name; the first column is also "query", the second "document"); repeatable',
      collect,
    )
    .option(
      '--query-instruction <text>',
      'FlagEmbedding\'s query instruction: prepended to each data set\'s first text column (saved as the prompt "query")',
    )
    .option(
      '--engine <name>',
      'auto | onnx | tfjs: what trains the transformer and embeds for evaluation (auto: onnxruntime-node when it loads)',
    )
    .option(
      '--threads <n>',
      'onnxruntime threads for --engine onnx (default: cores, at most 8)',
      parsePositiveInt('--threads'),
    )
    .addOption(deviceOption())
    .option('--no-progress', 'no progress bar or progress lines')
    // Generated from the losses' own definitions, so the help never drifts from what createLoss accepts.
    .addHelpText(
      'after',
      () =>
        `\nLosses (--loss-arg key=value sets an option; defaults after =):\n${describeLosses()
          .map((line) => `  ${line}`)
          .join('\n')}`,
    )
    .action(async (o: TrainCliOptions) => {
      process.stdout.write(`${JSON.stringify(await runTrain(o))}\n`);
    });
}
