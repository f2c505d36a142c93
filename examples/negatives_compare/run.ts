// Example 5: easy vs semi-hard vs hard negatives on the same data. Financial-QA-10k questions with their contexts;
// for each question one negative: easy = a random passage, semi-hard = a BM25 candidate ranked 10–30,
// hard = BM25's best non-positive candidate (skipping none). A fresh tiny BERT is trained with MNRL on each
// (query, positive, negative) set from the same init, and retrieval nDCG@10 on held-out queries is compared.
// Usage: pnpm --filter @contrastive/examples negatives [--queries N] [--epochs N] [--output DIR]
import { join } from 'node:path';
import { exitOnFatalErrors } from '@contrastive/core';
import { Dataset, loadFinancialQa, splitDataset } from '@contrastive/data-nli';
import { RetrievalEvaluator } from '@contrastive/eval-mteb';
import { createLoss } from '@contrastive/losses';
import {
  Bm25Miner,
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
import { exampleDir, isMain, markdownTable, writeResultsJson } from '../common/results.js';
import { retrievalData } from '../financial_qa/financial_qa.js';

export interface NegativesOptions {
  queries?: number;
  epochs?: number;
  outputDir: string;
  progress?: boolean;
}

export async function runNegativesCompare(o: NegativesOptions) {
  const t0 = Date.now();
  const queries = o.queries ?? 600;
  const qa = await loadFinancialQa(sharedPath('data', 'financial-qa-10k', 'Financial-QA-10k.csv'));
  const rows: MiningRow[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < qa.numRows && rows.length < queries; i++) {
    const query = String(qa.column('query')[i]);
    if (seen.has(query)) continue;
    seen.add(query);
    rows.push({ query, pos: String(qa.column('positive')[i]) });
  }
  const corpus = [...new Set(rows.map((r) => r.pos as string))];
  const index = Dataset.fromColumns({ record: rows.map((_, i) => i) });
  const [trainIdx, testIdx] = splitDataset(index, { ratios: [8, 2], seed: 42 }).map((p) =>
    p.numberColumn('record'),
  );
  const trainRows = trainIdx!.map((i) => rows[i]!);
  const kinds: Record<string, Promise<MinedRecord[]>> = {
    easy: mineHardNegatives(trainRows, { miner: new RandomMiner(), corpus, numNegatives: 1, seed: 42 }).then(
      (r) => r.records,
    ),
    'semi-hard': mineHardNegatives(trainRows, {
      miner: new Bm25Miner(),
      corpus,
      numNegatives: 1,
      rangeMin: 10,
      rangeMax: 30,
      samplingStrategy: 'random',
      seed: 42,
    }).then((r) => r.records),
    hard: mineHardNegatives(trainRows, { miner: new Bm25Miner(), corpus, numNegatives: 1 }).then(
      (r) => r.records,
    ),
  };
  const test = testIdx!.map((i) => ({ query: rows[i]!.query, pos: [rows[i]!.pos as string], neg: [] }));
  const evaluator = new RetrievalEvaluator(retrievalData(test, corpus), { name: 'financial-qa-test' });
  const before = (await evaluator.evaluate(freshTinyModel())).mainScore;
  const out: Array<{ negatives: string; training_rows: number; ndcg_at_10: number }> = [];
  for (const [kind, pending] of Object.entries(kinds)) {
    const records = (await pending).filter((r) => r.neg.length > 0);
    const data = Dataset.fromColumns({
      anchor: records.map((r) => r.query),
      positive: records.map((r) => r.pos[0]!),
      negative: records.map((r) => r.neg[0]!),
    });
    const model = freshTinyModel();
    await new SentenceTransformerTrainer({
      model,
      args: {
        outputDir: join(outputRoot, `negatives-${kind}`),
        numTrainEpochs: o.epochs ?? 2,
        perDeviceTrainBatchSize: 32,
        learningRate: 2e-3,
        warmupRatio: 0.1,
        saveStrategy: 'no',
        batchSampler: 'no_duplicates',
        progress: o.progress ?? process.stderr.isTTY,
      },
      trainDataset: data,
      loss: createLoss('mnrl', {}),
      modelName: `tiny-bert MNRL with ${kind} negatives`,
    }).train();
    const ndcg = (await evaluator.evaluate(model)).mainScore;
    console.error(`${kind} negatives: nDCG@10 ${before.toFixed(4)} → ${ndcg.toFixed(4)}`);
    out.push({ negatives: kind, training_rows: data.numRows, ndcg_at_10: ndcg });
  }
  const results = {
    example: 'negatives_compare',
    queries: rows.length,
    corpus: corpus.length,
    test_queries: test.length,
    date: new Date().toISOString().slice(0, 10),
    ndcg_at_10_before: before,
    rows: out,
    seconds: (Date.now() - t0) / 1000,
  };
  writeResultsJson(o.outputDir, results);
  return results;
}

if (isMain(import.meta.url)) {
  exitOnFatalErrors('negatives');
  const int = (flag: string) => (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: expected a positive integer, got "${v}"`);
    return n;
  };
  const opts = new Command('negatives')
    .option('--queries <n>', 'unique questions (default 600; 80% train, 20% test)', int('--queries'))
    .option('--epochs <n>', 'epochs (default 2)', int('--epochs'))
    .option('--output <dir>', 'folder for results.json (default: examples/negatives_compare)')
    .parse(process.argv)
    .opts<{ queries?: number; epochs?: number; output?: string }>();
  console.error((await initBackend()).summary);
  const r = await runNegativesCompare({ ...opts, outputDir: opts.output ?? exampleDir('negatives_compare') });
  console.log(
    markdownTable(
      ['negatives', 'training rows', 'nDCG@10 (before: ' + r.ndcg_at_10_before.toFixed(4) + ')'],
      r.rows.map((x) => [x.negatives, x.training_rows, x.ndcg_at_10]),
    ),
  );
}
