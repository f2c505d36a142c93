import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CliResult, runCli } from '../../../test-support/cli.js';
import { sharedPath } from '../../../test-support/shared.js';

/** The tiny sentence-transformers BERT of ../shared that most CLI tests train, encode and evaluate with. */
export const tinyBert = sharedPath('fixtures', 'tiny-bert');

/**
 * Six STS pairs of the tiny BERT's reference texts (text i with text i + 6, gold scores 1, 2, 2, 4, 0.5, 2) written
 * to `dir/sts.jsonl`; returns the file. `REFERENCE_STS` holds what scipy.stats gives on reference.json's PyTorch
 * embeddings of them (computed outside the project).
 */
export function writeReferenceSts(dir: string): string {
  const { texts } = JSON.parse(readFileSync(join(tinyBert, 'reference.json'), 'utf8')) as { texts: string[] };
  const gold = [1, 2, 2, 4, 0.5, 2];
  const file = join(dir, 'sts.jsonl');
  writeFileSync(
    file,
    gold
      .map((score, i) => JSON.stringify({ sentence1: texts[i], sentence2: texts[i + 6], score }))
      .join('\n'),
  );
  return file;
}

export const REFERENCE_STS = {
  spearman_cosine: 0.33394720739540396,
  pearson_cosine: 0.044034423766824295,
  pearson_dot: -0.95069412487687,
};

/** The tiny one-label cross-encoder of ../shared (same vocabulary as `tinyBert`). */
export const tinyCrossEncoder = sharedPath('fixtures', 'tiny-cross-encoder');

/**
 * The engine line of a command run with `--workers <workers>`: that many worker sessions where there are as many
 * threads (fewer threads: one session per thread; one thread: one in-process session, no workers named).
 */
export function workersEngineLine(stderr: string, workers: number): string {
  const threads = Number(/inference engine: onnxruntime-node \((\d+) threads/.exec(stderr)?.[1]);
  const n = Math.min(workers, threads);
  return `inference engine: onnxruntime-node (${threads} threads${n > 1 ? `, ${n} workers` : ''})`;
}

/** The arguments of `contrastive eval`: the model, the task, its data and the results file, then `flags`. */
export function evalArgs(
  run: { model?: string; task: string; data: string; output: string },
  flags: string[] = [],
): string[] {
  const { model = tinyBert, task, data, output } = run;
  return ['eval', '--model', model, '--task', task, '--data', data, '--output', output, ...flags];
}

/** The arguments of `contrastive encode`: the model, the input file and the output file, then `flags`. */
export function encodeArgs(
  run: { model?: string; input: string; output: string },
  flags: string[] = [],
): string[] {
  const { model = tinyBert, input, output } = run;
  return ['encode', '--model', model, '--input', input, '--output', output, ...flags];
}

/** The options of a `contrastive train` run that most tests set; anything else goes in `flags`. */
export interface TrainRun {
  /** The model folder (default: the tiny BERT fixture). */
  model?: string;
  /** A training file, or several (repeated `--train`). */
  train?: string | string[];
  /** Omitted: the config file's (`--config` in `flags`). */
  loss?: string;
  output: string;
  maxSteps?: number;
  epochs?: number;
  batchSize?: number;
  /** `false` adds `--no-progress`. */
  progress?: boolean;
}

/** The arguments of `contrastive train` for `run`, then `flags` as given. */
export function trainArgs(run: TrainRun, flags: string[] = []): string[] {
  const number = (flag: string, value: number | undefined) =>
    value === undefined ? [] : [flag, String(value)];
  return [
    'train',
    '--model',
    run.model ?? tinyBert,
    ...[run.train ?? []].flat().flatMap((file) => ['--train', file]),
    ...(run.loss === undefined ? [] : ['--loss', run.loss]),
    '--output',
    run.output,
    ...number('--max-steps', run.maxSteps),
    ...number('--epochs', run.epochs),
    ...number('--batch-size', run.batchSize),
    ...(run.progress === false ? ['--no-progress'] : []),
    ...flags,
  ];
}

/** `contrastive train` run as `trainArgs(run, flags)` says. */
export function runTrainCli(run: TrainRun, flags: string[] = []): Promise<CliResult> {
  return runCli(trainArgs(run, flags));
}

/** `contrastive init --preset tiny`: a tiny random BERT with `tokenizer`'s vocabulary in `output`, `flags` besides. */
export function initTinyArgs(tokenizer: string, output: string, flags: string[] = []): string[] {
  return ['init', '--preset', 'tiny', '--tokenizer', tokenizer, '--output', output, ...flags];
}
