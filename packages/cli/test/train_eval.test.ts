import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { lastJsonLine, readJsonl } from '../../../test-support/training_output.js';
import { trainingEvaluators } from '../src/commands/train.js';
import { evalArgs, runTrainCli } from './helpers.js';

/** One small file (or folder) per evaluator kind, in the layouts `contrastive eval` reads. */
function writeEvalData(dir: string) {
  const sts = readFileSync(sharedPath('data', 'stsb', 'sts-dev.csv'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, 30)
    .map((l) => {
      const f = l.split('\t');
      return JSON.stringify({ sentence1: f[5], sentence2: f[6], score: Number(f[4]) });
    });
  writeFileSync(join(dir, 'sts.jsonl'), `${sts.join('\n')}\n`);
  mkdirSync(join(dir, 'beir', 'qrels'), { recursive: true });
  writeFileSync(
    join(dir, 'beir', 'corpus.jsonl'),
    [
      '{"_id":"d1","title":"","text":"Paris is the capital of France."}',
      '{"_id":"d2","title":"","text":"Mount Everest is the highest mountain."}',
      '{"_id":"d3","title":"","text":"Hamlet was written by Shakespeare."}',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'beir', 'queries.jsonl'),
    '{"_id":"q1","text":"capital of france"}\n{"_id":"q2","text":"who wrote hamlet"}\n',
  );
  writeFileSync(join(dir, 'beir', 'qrels', 'dev.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\n');
  const topics = (rows: Array<[string, string]>) =>
    `text,label\n${rows.map(([t, l]) => `${t},${l}`).join('\n')}\n`;
  writeFileSync(
    join(dir, 'topics-train.csv'),
    topics([
      ['the cat chased a mouse', 'animals'],
      ['a dog barked at the mailman', 'animals'],
      ['birds sing in the morning', 'animals'],
      ['the horse ran across the field', 'animals'],
      ['stocks fell on monday', 'finance'],
      ['the bank raised interest rates', 'finance'],
      ['bond yields climbed again', 'finance'],
      ['the market rallied after earnings', 'finance'],
    ]),
  );
  writeFileSync(
    join(dir, 'topics-test.csv'),
    topics([
      ['a cat sleeps on the sofa', 'animals'],
      ['the dog wagged its tail', 'animals'],
      ['shares dropped sharply', 'finance'],
      ['the central bank cut rates', 'finance'],
    ]),
  );
  writeFileSync(
    join(dir, 'triplets.jsonl'),
    '{"anchor":"a cat sits","positive":"a cat is sitting","negative":"stocks fell"}\n{"anchor":"rain today","positive":"it rains today","negative":"a cat sits"}\n',
  );
  writeFileSync(
    join(dir, 'pairs.csv'),
    'sentence1,sentence2,label\na cat sits,a cat is sitting,1\na cat sits,stocks fell,0\nrain today,it rains today,1\nrain today,the band played,0\n',
  );
  writeFileSync(
    join(dir, 'rerank.jsonl'),
    '{"query":"capital of france","positive":["Paris is the capital of France."],"negative":["Stocks fell.","A cat sits."]}\n',
  );
}

/** Four (anchor, positive) pairs in `dir`/train.jsonl. */
function writeTrainData(dir: string): string {
  const file = join(dir, 'train.jsonl');
  writeFileSync(
    file,
    [
      ['a cat sits', 'a cat is sitting'],
      ['rain today', 'it rains today'],
      ['capital of france', 'Paris is the capital of France.'],
      ['who wrote hamlet', 'Hamlet was written by Shakespeare.'],
    ]
      .map(([anchor, positive]) => JSON.stringify({ anchor, positive }))
      .join('\n'),
  );
  return file;
}

/** Two MNRL steps of batch 4 on `train` with an evaluation after each, no progress bar, `flags` besides. */
const trainTwoSteps = (train: string, output: string, flags: string[]) =>
  runTrainCli({ train, loss: 'mnrl', output, maxSteps: 2, batchSize: 4, progress: false }, [
    '--eval-steps',
    '1',
    ...flags,
  ]);

/** The evaluation lines of a run's metrics.jsonl (the final one left out). */
function evaluations(out: string, key: string): Array<Record<string, number>> {
  return readJsonl<Record<string, number>>(join(out, 'metrics.jsonl')).filter((m) => key in m && !m.final);
}

describe('contrastive train --eval <kind>=<file>', () => {
  it('runs every kind of evaluator during training, names the best-model metric, and scores as eval does', async () => {
    const dir = tempDir('train-eval-');
    writeEvalData(dir);
    const out = join(dir, 'model');
    const r = await trainTwoSteps(writeTrainData(dir), out, [
      '--eval',
      `sts=${join(dir, 'sts.jsonl')}`,
      '--eval',
      `retrieval=${join(dir, 'beir')}`,
      '--eval',
      `classification=${join(dir, 'topics-train.csv')},${join(dir, 'topics-test.csv')}`,
      '--eval',
      `triplet=${join(dir, 'triplets.jsonl')}`,
      '--eval',
      `pair-classification=${join(dir, 'pairs.csv')}`,
      '--eval',
      `reranking=${join(dir, 'rerank.jsonl')}`,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const line = lastJsonLine(r.stdout) as {
      eval: Record<string, number>;
      best_metric: string;
    };
    expect(line.best_metric).toBe('eval_sts_spearman_cosine');
    expect(r.stderr).toContain('contrastive: best-model metric: eval_sts_spearman_cosine');
    for (const key of [
      'eval_sts_spearman_cosine',
      'eval_beir_ndcg_at_10',
      'eval_topics-train_accuracy',
      'eval_triplets_cosine_accuracy',
      'eval_pairs_cosine_ap',
      'eval_rerank_map',
    ])
      expect(line.eval, key).toHaveProperty([key]);
    // The retrieval folder's dev qrels were used: both queries are scored.
    const metrics = readJsonl(join(out, 'metrics.jsonl'));
    expect(metrics.filter((m) => 'eval_sts_spearman_cosine' in m).length).toBeGreaterThanOrEqual(2);

    // The final score of the saved model equals `contrastive eval` on it.
    const e = await runCli(
      evalArgs({ model: out, task: 'sts', data: join(dir, 'sts.jsonl'), output: join(dir, 'r.json') }),
    );
    expect(e.status, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout.trim()).main_score).toBeCloseTo(line.eval.eval_sts_spearman_cosine!, 5);
  }, 300_000);

  it('--metric-for-best-model without eval_: the CLI names the key the trainer picked the best checkpoint by', async () => {
    const dir = tempDir('train-eval-');
    writeEvalData(dir);
    const out = join(dir, 'model');
    // The triplet evaluator comes first, so only the flag makes the STS score the best-model metric.
    const r = await trainTwoSteps(writeTrainData(dir), out, [
      '--save-steps',
      '1',
      '--eval',
      `triplet=${join(dir, 'triplets.jsonl')}`,
      '--eval',
      `sts=${join(dir, 'sts.jsonl')}`,
      '--metric-for-best-model',
      'spearman_cosine',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const line = lastJsonLine(r.stdout) as { best_metric: string; best_model_checkpoint: string };
    expect(line.best_metric).toBe('eval_sts_spearman_cosine');
    expect(r.stderr).toContain('contrastive: best-model metric: eval_sts_spearman_cosine\n');
    expect(r.stderr.match(/best-model metric: /g)).toHaveLength(1);
    // What the trainer recorded with the best checkpoint: the same key, and its best value during training.
    const state = JSON.parse(readFileSync(join(line.best_model_checkpoint, 'trainer_state.json'), 'utf8'));
    expect(state.bestMetricKey).toBe(line.best_metric);
    const scores = evaluations(out, line.best_metric).map((m) => m[line.best_metric]!);
    expect(scores).toHaveLength(2);
    expect(state.bestMetric).toBe(Math.max(...scores));
    expect(line.best_model_checkpoint).toBe(
      join(out, `checkpoint-${scores.indexOf(Math.max(...scores)) + 1}`),
    );
  }, 300_000);

  it('builds named evaluators and refuses bad specs with the kind and file', async () => {
    const dir = tempDir('train-eval-');
    writeEvalData(dir);
    const evs = await trainingEvaluators(
      [
        `sts=${join(dir, 'sts.jsonl')}`,
        `pair=${join(dir, 'pairs.csv')}`,
        `triplet=${join(dir, 'sts.jsonl')}`,
      ],
      [],
    ).catch((e: Error) => e);
    // sts.jsonl has no anchor/positive/negative columns: the triplet loader says so.
    expect(evs).toBeInstanceOf(Error);
    expect((evs as Error).message).toMatch(/^--eval triplet=.*sts\.jsonl: /);
    const ok = await trainingEvaluators(
      [`sts=${join(dir, 'sts.jsonl')}`, `sts=${join(dir, 'sts.jsonl')}`],
      ['sts-dev'],
    );
    expect(ok.map((e) => [e.name, e.mainScoreName])).toEqual([
      ['sts', 'spearman_cosine'],
      ['sts-sts', 'spearman_cosine'],
    ]);
    await expect(trainingEvaluators(['clustering=x'])).rejects.toThrow(
      /--eval: expected <kind>=<file>, kind one of sts, retrieval, classification, triplet, pair-classification, reranking; got "clustering=x"/,
    );
    await expect(trainingEvaluators([`retrieval=${join(dir, 'nope')}`])).rejects.toThrow(
      /--eval retrieval: .*nope not found/,
    );
  });
});
