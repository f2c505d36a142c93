// The reference NLI workflow (sentence-transformers' training_nli*.py) on the data in ../shared:
// SoftmaxLoss on (premise, hypothesis, label), CosineSimilarityLoss (entailment → 1, else 0) and
// MultipleNegativesRankingLoss on (anchor, entailment, contradiction), each from the same random init,
// evaluated on STS-B with cosine / Manhattan / Euclidean / dot correlations.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SentenceEncoder, SentenceTokenizer, presetConfig } from '@contrastive/bert';
import {
  type Dataset,
  loadSnliLines,
  loadStsb,
  nliToScoredPairs,
  nliToSoftmaxRows,
  nliToTriplets,
} from '@contrastive/data-nli';
import { StsEvaluator } from '@contrastive/eval-mteb';
import { createLoss } from '@contrastive/losses';
import { SentenceTransformerTrainer, type TrainingArguments } from '@contrastive/trainer';
import { sharedPath } from '../../test-support/shared.js';
import { examplesDir } from './results.js';

export type NliLossName = 'softmax' | 'cosine' | 'mnrl';

export interface NliRunOptions {
  loss: NliLossName;
  /** MNRL only: the contradiction hypothesis as a hard negative (default true); false trains on (anchor, positive). */
  hardNegatives?: boolean;
  outputDir: string;
  /** SNLI splits to train on (MNLI and full SNLI train are not available here: dev + test ≈ 19.7k pairs). */
  splits?: Array<'dev' | 'test'>;
  /** Cap on training rows, for quick runs. */
  maxRows?: number;
  args?: Partial<TrainingArguments>;
  seed?: number;
}

export async function nliData(
  loss: NliLossName,
  splits: Array<'dev' | 'test'>,
  maxRows?: number,
  hardNegatives = true,
): Promise<Dataset> {
  const parts = await Promise.all(
    splits.map((split) => loadSnliLines(sharedPath('data', 'snli'), { split })),
  );
  let nli = parts[0]!.concatenate(...parts.slice(1));
  const ds =
    loss === 'softmax'
      ? nliToSoftmaxRows(nli)
      : loss === 'cosine'
        ? nliToScoredPairs(nli)
        : nliToTriplets(nli, { seed: 1 });
  nli = loss === 'mnrl' && !hardNegatives ? ds.selectColumns(ds.columnNames.slice(0, 2)) : ds;
  return maxRows && nli.numRows > maxRows ? nli.shuffle(7).select({ start: 0, end: maxRows }) : nli;
}

export async function stsEvaluator(split: 'dev' | 'test', limit?: number): Promise<StsEvaluator> {
  let sts = await loadStsb(sharedPath('data', 'stsb'), { split });
  if (limit && sts.numRows > limit) sts = sts.select({ start: 0, end: limit });
  return new StsEvaluator(
    {
      sentences1: sts.stringColumn('sentence1'),
      sentences2: sts.stringColumn('sentence2'),
      scores: sts.numberColumn('score'),
    },
    { name: `sts-${split}`, split },
  );
}

/** A fresh tiny BERT (the shared fixture's shape) with the real MiniLM tokenizer. */
export function freshTinyModel(seed = 42): SentenceEncoder {
  const dir = sharedPath('models', 'all-MiniLM-L6-v2-config');
  return SentenceEncoder.random({
    config: presetConfig('tiny'),
    tokenizer: SentenceTokenizer.fromDir(dir),
    seed,
    maxSeqLength: 64,
    sourceDir: dir,
  });
}

export interface NliRunResult {
  /** STS-B dev Spearman (cosine) of the fresh model and after training. */
  before: number;
  after: number;
  steps: number;
  rows: number;
  seconds: number;
}

export async function trainNli(o: NliRunOptions): Promise<NliRunResult> {
  const data = await nliData(o.loss, o.splits ?? ['dev', 'test'], o.maxRows, o.hardNegatives ?? true);
  const model = freshTinyModel(o.seed ?? 42);
  const evaluator = await stsEvaluator('dev');
  const before = (await evaluator.evaluate(model)).mainScore;
  const loss = createLoss(o.loss, o.loss === 'softmax' ? { numLabels: 3 } : {});
  rmSync(o.outputDir, { recursive: true, force: true });
  const trainer = new SentenceTransformerTrainer({
    model,
    args: {
      outputDir: o.outputDir,
      numTrainEpochs: 1,
      perDeviceTrainBatchSize: 32,
      learningRate: 2e-3,
      warmupRatio: 0.1,
      loggingSteps: 50,
      saveStrategy: 'no',
      batchSampler: o.loss === 'mnrl' ? 'no_duplicates' : 'batch_sampler',
      ...o.args,
    },
    trainDataset: data,
    loss,
    evaluator,
    modelName: `tiny-bert ${o.loss}${o.loss === 'mnrl' && o.hardNegatives === false ? ' (no hard negatives)' : ''} on SNLI`,
  });
  const t0 = Date.now();
  const r = await trainer.train();
  return {
    before,
    after: r.eval['eval_sts-dev_spearman_cosine']!,
    steps: r.globalStep,
    rows: data.numRows,
    seconds: (Date.now() - t0) / 1000,
  };
}

/** Trained models of the examples go under examples/runs/ (git-ignored). */
export const outputRoot = join(examplesDir, 'runs');
