// Usage: pnpm --filter @contrastive/examples financial-qa [--queries N] [--epochs N] [--range-min N] [--output DIR]
// The FlagEmbedding data-building workflow end to end on Financial-QA-10k (question → query, context → pos):
// mine BM25 and dense hard negatives, split 8:1:1, write train/val/test FlagEmbedding JSONL with scores and a
// prompt, train a fresh tiny BERT with InfoNCE (temperature 0.02) on FlagEmbedding group sampling, and report
// retrieval nDCG@10 on the test queries before and after — and the same with random (easy) negatives.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SentenceEncoder } from '@contrastive/bert';
import { exitOnFatalErrors } from '@contrastive/core';
import {
  Dataset,
  FlagGroupDataset,
  type FlagRecord,
  loadFinancialQa,
  splitDataset,
  writeFlagJsonl,
} from '@contrastive/data-nli';
import { type RetrievalData, RetrievalEvaluator } from '@contrastive/eval-mteb';
import { InfoNCELoss } from '@contrastive/losses';
import {
  Bm25Miner,
  DenseMiner,
  EmbedderReranker,
  type MinedRecord,
  type MiningRow,
  RandomMiner,
  mineHardNegatives,
} from '@contrastive/negatives';
import { initBackend } from '@contrastive/tensor-gpu';
import { SentenceTransformerTrainer } from '@contrastive/trainer';
import { Command } from 'commander';
import { sharedPath } from '../../test-support/shared.js';
import { freshTinyModel, outputRoot } from '../common/nli.js';
import { exampleDir, isMain, writeResultsJson } from '../common/results.js';

const PROMPT = 'query: ';
const TEMPERATURE = 0.02;

export interface FinancialQaOptions {
  /** Unique questions used (default 1000: 800 train, 100 val, 100 test). */
  queries?: number;
  /**
   * Hard negatives skip the rangeMin best candidates of each miner (default 3): on this set the very top ones
   * are often passages of the same filing that answer the question too (false negatives).
   */
  rangeMin?: number;
  epochs?: number;
  /** Mined data sets and models (default examples/runs/financial-qa). */
  outputDir?: string;
  /** Where results.json goes (default: outputDir; the command line writes it into examples/financial_qa/). */
  resultsDir?: string;
  progress?: boolean;
  seed?: number;
}

export interface FinancialQaResult {
  queries: number;
  corpus: number;
  split: Record<string, number>;
  rangeMin: number;
  ndcg_at_10: { before: number; hard: number; random: number };
  mining: Record<string, unknown>;
  seconds: number;
}

/** Test queries against every passage of the sample (a BEIR set in memory). */
export function retrievalData(test: readonly FlagRecord[], passages: readonly string[]): RetrievalData {
  const ids = new Map(passages.map((p, i) => [p, `d${i}`] as const));
  return {
    corpus: new Map(passages.map((p, i) => [`d${i}`, p] as const)),
    queries: new Map(test.map((r, i) => [`q${i}`, r.query] as const)),
    qrels: new Map(
      test.map((r, i) => [`q${i}`, new Map(r.pos.map((p) => [ids.get(p)!, 1] as const))] as const),
    ),
  };
}

/** BM25 and dense negatives merged, every negative and positive scored by the dense model (the teacher). */
async function hardRecords(rows: MiningRow[], corpus: string[], model: SentenceEncoder, rangeMin: number) {
  const bm25 = await mineHardNegatives(rows, {
    miner: new Bm25Miner(),
    corpus,
    numNegatives: 3,
    rangeMin,
  });
  const dense = await mineHardNegatives(rows, {
    miner: new DenseMiner(model, { queryPrompt: PROMPT }),
    corpus,
    numNegatives: 3,
    rangeMin,
  });
  const scorer = new EmbedderReranker(model);
  const records: MinedRecord[] = [];
  for (const [i, b] of bm25.records.entries()) {
    const neg = [...new Set([...b.neg, ...dense.records[i]!.neg])];
    const scores = await scorer.score([...b.pos, ...neg].map((t) => [PROMPT + b.query, t]));
    records.push({
      query: b.query,
      pos: b.pos,
      neg,
      pos_scores: scores.slice(0, b.pos.length),
      neg_scores: scores.slice(b.pos.length),
      prompt: PROMPT,
    });
  }
  return { records, stats: { bm25: bm25.stats, dense: dense.stats } };
}

async function train(
  train: readonly FlagRecord[],
  eval_: RetrievalEvaluator,
  o: Required<Omit<FinancialQaOptions, 'resultsDir'>>,
  name: string,
) {
  const model = freshTinyModel(o.seed);
  const trainer = new SentenceTransformerTrainer({
    model,
    args: {
      outputDir: join(o.outputDir, `model-${name}`),
      numTrainEpochs: o.epochs,
      perDeviceTrainBatchSize: 32,
      learningRate: 2e-3,
      warmupRatio: 0.1,
      loggingSteps: 10,
      saveStrategy: 'no',
      batchSampler: 'no_duplicates',
      progress: o.progress,
      seed: o.seed,
    },
    // FlagEmbedding group sampling, train_group_size 2: one positive and one negative drawn per record.
    trainDataset: new FlagGroupDataset(train, { trainGroupSize: 2, seed: o.seed, prependPrompt: true }),
    loss: new InfoNCELoss({ temperature: TEMPERATURE }),
    modelName: `tiny-bert InfoNCE on Financial-QA-10k (${name} negatives)`,
  });
  await trainer.train();
  return (await eval_.evaluate(model)).mainScore;
}

export async function runFinancialQa(options: FinancialQaOptions = {}): Promise<FinancialQaResult> {
  const o: Required<Omit<FinancialQaOptions, 'resultsDir'>> = {
    queries: options.queries ?? 1000,
    rangeMin: options.rangeMin ?? 3,
    epochs: options.epochs ?? 3,
    outputDir: options.outputDir ?? join(outputRoot, 'financial-qa'),
    progress: options.progress ?? true,
    seed: options.seed ?? 42,
  };
  const t0 = Date.now();
  const qa = await loadFinancialQa(sharedPath('data', 'financial-qa-10k', 'Financial-QA-10k.csv'));
  const rows: MiningRow[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < qa.numRows && rows.length < o.queries; i++) {
    const query = String(qa.column('query')[i]);
    if (seen.has(query)) continue;
    seen.add(query);
    rows.push({ query, pos: String(qa.column('positive')[i]) });
  }
  const corpus = [...new Set(rows.map((r) => r.pos as string))];
  mkdirSync(o.outputDir, { recursive: true });

  const teacher = freshTinyModel(o.seed);
  const hard = await hardRecords(rows, corpus, teacher, o.rangeMin);
  const easy = (
    await mineHardNegatives(rows, {
      miner: new RandomMiner(),
      corpus,
      numNegatives: 3,
      seed: o.seed,
      prompt: PROMPT,
    })
  ).records;

  // 8:1:1 by query, the same split for both sets.
  const index = Dataset.fromColumns({ record: rows.map((_, i) => i) });
  const [trainIdx, valIdx, testIdx] = splitDataset(index, { ratios: [8, 1, 1], seed: o.seed }).map((p) =>
    p.numberColumn('record'),
  );
  const parts = { train: trainIdx!, val: valIdx!, test: testIdx! };
  for (const [name, records] of [
    ['hard', hard.records],
    ['random', easy],
  ] as const) {
    for (const [part, idx] of Object.entries(parts)) {
      mkdirSync(join(o.outputDir, name), { recursive: true });
      await writeFlagJsonl(
        idx.map((i) => records[i]!),
        join(o.outputDir, name, `${part}.jsonl`),
      );
    }
  }

  const evaluator = new RetrievalEvaluator(
    retrievalData(
      parts.test.map((i) => hard.records[i]!),
      corpus,
    ),
    {
      name: 'financial-qa-test',
      queryPrompt: PROMPT,
    },
  );
  const before = (await evaluator.evaluate(freshTinyModel(o.seed))).mainScore;
  const afterHard = await train(
    parts.train.map((i) => hard.records[i]!),
    evaluator,
    o,
    'hard',
  );
  const afterRandom = await train(
    parts.train.map((i) => easy[i]!),
    evaluator,
    o,
    'random',
  );
  const result: FinancialQaResult = {
    queries: rows.length,
    corpus: corpus.length,
    rangeMin: o.rangeMin,
    split: { train: parts.train.length, val: parts.val.length, test: parts.test.length },
    ndcg_at_10: { before, hard: afterHard, random: afterRandom },
    mining: hard.stats,
    seconds: (Date.now() - t0) / 1000,
  };
  writeResultsJson(options.resultsDir ?? o.outputDir, result);
  return result;
}

if (isMain(import.meta.url)) {
  exitOnFatalErrors('financial-qa');
  const int = (flag: string) => (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`${flag}: expected a non-negative integer, got "${v}"`);
    return n;
  };
  const opts = new Command('financial-qa')
    .option('--queries <n>', 'unique questions (default 1000)', int('--queries'))
    .option('--epochs <n>', 'epochs (default 3)', int('--epochs'))
    .option('--range-min <n>', 'skip the best n candidates of each miner (default 3)', int('--range-min'))
    .option('--output <dir>', 'folder for results.json (default: examples/financial_qa)')
    .parse(process.argv)
    .opts<{ queries?: number; epochs?: number; rangeMin?: number; output?: string }>();
  console.error((await initBackend()).summary);
  const r = await runFinancialQa({
    queries: opts.queries,
    epochs: opts.epochs,
    rangeMin: opts.rangeMin,
    resultsDir: opts.output ?? exampleDir('financial_qa'),
  });
  console.log(JSON.stringify(r));
}
