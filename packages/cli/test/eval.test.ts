import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { lastJsonLine } from '../../../test-support/training_output.js';
import { type EvalCommandOptions, buildEvaluator, runEval } from '../src/commands/eval.js';
import { buildProgram } from '../src/main.js';
import { REFERENCE_STS, evalArgs, workersEngineLine, writeReferenceSts } from './helpers.js';

/** Deterministic stand-in model: letter-frequency vectors (no tfjs), so the evaluation path runs fast. */
const letterModel = {
  embed: (texts: string[]) =>
    texts.map((t) => {
      const v = new Array<number>(26).fill(0);
      for (const c of t.toLowerCase()) {
        const i = c.charCodeAt(0) - 97;
        if (i >= 0 && i < 26) v[i]! += 1;
      }
      v[0]! += 0.01; // no zero vectors
      return v;
    }),
};

function options(o: Partial<EvalCommandOptions>): EvalCommandOptions {
  return {
    model: 'fake',
    task: 'sts',
    split: 'test',
    output: join(tempDir('eval-cli-'), 'r.json'),
    batchSize: 16,
    ...o,
  };
}

describe('contrastive eval (evaluation path with an injected model)', () => {
  it('sts on the original STS-B file writes main_score and scores at the top level', async () => {
    const o = options({ task: 'sts', data: sharedPath('data', 'stsb', 'sts-test.csv'), limit: 50 });
    const written = await runEval(o, letterModel);
    const json = JSON.parse(readFileSync(o.output, 'utf8'));
    expect(json).toEqual(written);
    expect(json.main_score).toBe(json.scores.spearman_cosine);
    expect(Object.keys(json.scores).sort()).toEqual(
      ['cosine', 'dot', 'euclidean', 'manhattan'].flatMap((f) => [`pearson_${f}`, `spearman_${f}`]).sort(),
    );
    expect(json.task_name).toBe('sts-test');
    expect(json.model_name).toBe('fake');
  });

  it('classification takes --data (train) and --test with the Banking77 "category" column', async () => {
    const dir = tempDir('eval-cli-');
    // A small slice of Banking77: the first 40 rows of each file hold a handful of intents.
    const slice = (name: string, n: number) =>
      readFileSync(sharedPath('data', 'banking77', name), 'utf8')
        .split(/\r?\n/)
        .slice(0, n + 1)
        .join('\n');
    writeFileSync(join(dir, 'train.csv'), slice('train.csv', 200));
    writeFileSync(join(dir, 'test.csv'), slice('test.csv', 60));
    const o = options({ task: 'classification', data: join(dir, 'train.csv'), test: join(dir, 'test.csv') });
    const written = await runEval(o, letterModel);
    expect(written.main_score_name).toBe('accuracy');
    expect(written.scores).toHaveProperty('f1_weighted');
    expect(written.main_score).toBeGreaterThan(0);
    // Same folder given as --data alone: train.csv and test.csv are found by split name.
    const fromFolder = await runEval(options({ task: 'classification', data: dir }), letterModel);
    expect(fromFolder.scores).toEqual(written.scores);
    // Named after the data set (its folder), not after the split file train.csv.
    expect(written.task_name).toBe(basename(dir));
    expect(fromFolder.task_name).toBe(basename(dir));
    await expect(
      buildEvaluator(options({ task: 'classification', data: join(dir, 'train.csv') })),
    ).rejects.toThrow(/needs --test/);
    // Retrieval reads a BEIR folder; a QA file is pointed to the converter.
    await expect(
      buildEvaluator(options({ task: 'retrieval', data: join(dir, 'train.csv') })),
    ).rejects.toThrow(
      `${join(dir, 'train.csv')}: --task retrieval reads a BEIR folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv); convert a QA file with \`contrastive data convert --to beir`,
    );
    await expect(
      buildEvaluator(
        options({
          task: 'classification',
          data: join(dir, 'train.csv'),
          test: join(dir, 'test.csv'),
          labelColumn: 'intent',
        }),
      ),
    ).rejects.toThrow(/no label column \(looked for "intent"; the file has "text", "category"\)/);
  });

  it('retrieval, triplet, pair and reranking files', async () => {
    const dir = tempDir('eval-cli-');
    mkdirSync(join(dir, 'beir', 'qrels'), { recursive: true });
    writeFileSync(
      join(dir, 'beir', 'corpus.jsonl'),
      '{"_id":"d1","title":"","text":"aaa"}\n{"_id":"d2","title":"","text":"zzz"}\n',
    );
    writeFileSync(join(dir, 'beir', 'queries.jsonl'), '{"_id":"q1","text":"aa"}\n');
    writeFileSync(join(dir, 'beir', 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t1\n');
    const retrieval = await runEval(options({ task: 'retrieval', data: join(dir, 'beir') }), letterModel);
    expect(retrieval.main_score_name).toBe('ndcg_at_10');
    expect(retrieval.main_score).toBe(1);
    writeFileSync(join(dir, 't.jsonl'), '{"anchor":"aaa","positive":"aab","negative":"zzz"}\n');
    expect(
      (await runEval(options({ task: 'triplet', data: join(dir, 't.jsonl') }), letterModel)).main_score,
    ).toBe(1);
    writeFileSync(join(dir, 'p.csv'), 'sentence1,sentence2,label\naaa,aab,1\naaa,zzz,0\nbbb,bbc,1\n');
    const pair = await runEval(options({ task: 'pair', data: join(dir, 'p.csv') }), letterModel);
    expect(pair.main_score_name).toBe('cosine_ap');
    expect(pair.main_score).toBe(1);
    writeFileSync(join(dir, 'r.jsonl'), '{"query":"aaa","positive":["aab"],"negative":["zzz","yyy"]}\n');
    expect(
      (await runEval(options({ task: 'reranking', data: join(dir, 'r.jsonl') }), letterModel)).main_score,
    ).toBe(1);
  });

  it('rejects unknown tasks, missing data and bad flags with clear messages', async () => {
    await expect(buildEvaluator(options({ task: 'clustering', data: 'x' }))).rejects.toThrow(
      /unknown --task "clustering"; use one of sts, classification, retrieval, triplet, pair, reranking or a known task: STSBenchmark/,
    );
    await expect(buildEvaluator(options({ task: 'sts' }))).rejects.toThrow(
      /--data is required for --task sts/,
    );
    await expect(buildEvaluator(options({ task: 'sts', data: '/nonexistent/sts.csv' }))).rejects.toThrow(
      /\/nonexistent\/sts\.csv: data not found/,
    );
    const program = buildProgram();
    program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
    await expect(
      program.parseAsync([
        'node',
        'contrastive',
        'eval',
        '--model',
        'm',
        '--task',
        'sts',
        '--output',
        'o.json',
        '--batch-size',
        '0',
      ]),
    ).rejects.toThrow(/--batch-size must be a positive integer/);
  });

  it('registry task names read local data (STSBenchmark from the STS-B folder)', async () => {
    const evaluator = await buildEvaluator(
      options({ task: 'STSBenchmark', data: sharedPath('data', 'stsb') }),
    );
    expect(evaluator.name).toBe('STSBenchmark');
  });
});

describe('contrastive eval end to end with the tiny model', () => {
  it('matches scipy on the PyTorch reference embeddings within 1e-4', async () => {
    const model = sharedPath('fixtures', 'tiny-bert');
    const dir = tempDir('eval-cli-');
    const sts = writeReferenceSts(dir);
    // The default engine and workers (a data set: `auto`, two worker sessions on 2 threads or more), and onnx
    // with `--workers 2`: the same scores.
    for (const more of [[], ['--engine', 'onnx', '--workers', '2', '--batch-size', '3']]) {
      const out = join(dir, `results-${more.length}.json`);
      const r = await runCli(evalArgs({ model, task: 'sts', data: sts, output: out }, more));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(workersEngineLine(r.stderr, 2));
      const line = lastJsonLine(r.stdout);
      expect(line).toMatchObject({ main_score_name: 'spearman_cosine', output: out });
      const json = JSON.parse(readFileSync(out, 'utf8'));
      expect(Math.abs(json.main_score - REFERENCE_STS.spearman_cosine)).toBeLessThan(1e-4);
      expect(Math.abs(json.scores.pearson_cosine - REFERENCE_STS.pearson_cosine)).toBeLessThan(1e-4);
      expect(Math.abs(json.scores.pearson_dot - REFERENCE_STS.pearson_dot)).toBeLessThan(1e-4);
    }
  });
});
