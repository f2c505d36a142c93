import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import {
  type EvaluationResult,
  RetrievalEvaluator,
  StsEvaluator,
  getTask,
  knownTaskNames,
  loadClassificationData,
  loadPairData,
  loadRerankingData,
  loadStsData,
  loadTripletData,
  resultsTable,
  writeMtebResult,
} from '../src/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'eval-mteb-'));

describe('loadStsData', () => {
  it('reads the original STS-B release (tabs, no quoting, score in field 5)', () => {
    const d = loadStsData(sharedPath('data', 'stsb', 'sts-test.csv'));
    expect(d.scores.length).toBe(1379);
    expect(d.scores[0]).toBe(2.5);
    expect(d.sentences1[0]).toBe('A girl is styling her hair.');
    expect(d.sentences2[0]).toBe('A girl is brushing her hair.');
    expect(d.scores.every((s) => s >= 0 && s <= 5)).toBe(true);
  });

  it('reads CSV, TSV and gzipped JSONL with sentence1 / sentence2 / score', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'a.csv'), 'sentence1,sentence2,score\n"Hi, you",there,0.5\nx,y,1\n');
    writeFileSync(join(dir, 'a.tsv'), 'sentence1\tsentence2\tscore\n"quoted" word\tthere\t0.5\nx\ty\t1\n');
    writeFileSync(
      join(dir, 'a.jsonl.gz'),
      gzipSync(
        '{"sentence1":"Hi, you","sentence2":"there","score":0.5}\n{"sentence1":"x","sentence2":"y","score":1}\n',
      ),
    );
    expect(loadStsData(join(dir, 'a.csv'))).toEqual({
      sentences1: ['Hi, you', 'x'],
      sentences2: ['there', 'y'],
      scores: [0.5, 1],
    });
    expect(loadStsData(join(dir, 'a.tsv')).sentences1[0]).toBe('"quoted" word');
    expect(loadStsData(join(dir, 'a.jsonl.gz')).scores).toEqual([0.5, 1]);
  });

  it('names the file, line and column of bad input', () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'bad.jsonl'),
      '{"sentence1":"a","sentence2":"b","score":1}\n{"sentence1":"a","sentence2":"b","score":"high"}\n',
    );
    expect(() => loadStsData(join(dir, 'bad.jsonl'))).toThrow(/bad\.jsonl:2: "score" must be a number/);
    writeFileSync(join(dir, 'broken.jsonl'), '{"sentence1":\n');
    expect(() => loadStsData(join(dir, 'broken.jsonl'))).toThrow(/broken\.jsonl:1: invalid JSON/);
    writeFileSync(join(dir, 'cols.csv'), 'a,b,c\n1,2,3\n');
    expect(() => loadStsData(join(dir, 'cols.csv'))).toThrow(
      /no first sentence column .* the file has "a", "b", "c"/,
    );
    expect(() => loadStsData(join(dir, 'missing.csv'))).toThrow(/file not found: .*missing\.csv/);
    expect(() => loadStsData(join(dir, 'x.parquet'))).toThrow(/unsupported file type/);
  });
});

describe('other loaders', () => {
  it('reads classification labels from label / category / a named column', () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'c.jsonl'),
      '{"text":"a","label":3,"intent":"x"}\n{"text":"b","label":5,"intent":"y"}\n',
    );
    expect(loadClassificationData(join(dir, 'c.jsonl')).labels).toEqual([3, 5]);
    expect(loadClassificationData(join(dir, 'c.jsonl'), { labelColumn: 'intent' }).labels).toEqual([
      'x',
      'y',
    ]);
    expect(() => loadClassificationData(join(dir, 'c.jsonl'), { labelColumn: 'nope' })).toThrow(
      /no label column \(looked for "nope"/,
    );
  });

  it('reads triplets, pairs and reranking samples', () => {
    const dir = tmp();
    writeFileSync(join(dir, 't.csv'), 'anchor,positive,negative\na,p,n\n');
    writeFileSync(join(dir, 'p.csv'), 'sentence1,sentence2,label\na,b,1\nc,d,0\n');
    writeFileSync(join(dir, 'bad-pair.csv'), 'sentence1,sentence2,label\na,b,2\n');
    writeFileSync(join(dir, 'r.jsonl'), '{"query":"q","positive":["a"],"negative":["b","c"]}\n');
    expect(loadTripletData(join(dir, 't.csv'))).toEqual({
      anchors: ['a'],
      positives: ['p'],
      negatives: ['n'],
    });
    expect(loadPairData(join(dir, 'p.csv')).labels).toEqual([1, 0]);
    expect(() => loadPairData(join(dir, 'bad-pair.csv'))).toThrow(/bad-pair\.csv:2: "label" must be 0 or 1/);
    expect(loadRerankingData(join(dir, 'r.jsonl'))).toEqual([
      { query: 'q', positive: ['a'], negative: ['b', 'c'] },
    ]);
  });
});

describe('task registry', () => {
  it('lists the known tasks when the name is unknown', async () => {
    expect(knownTaskNames()).toEqual(
      expect.arrayContaining(['STSBenchmark', 'SICK-R', 'STS12', 'STS16', 'Banking77Classification']),
    );
    await expect(getTask('STS99')).rejects.toThrow(
      /unknown task "STS99"; known tasks: STSBenchmark, SICK-R, STS12/,
    );
  });

  it('loads STSBenchmark from a local folder of the original release', async () => {
    const task = await getTask('stsbenchmark', { path: sharedPath('data', 'stsb') });
    expect(task).toBeInstanceOf(StsEvaluator);
    expect(task.name).toBe('STSBenchmark');
    expect((task as StsEvaluator).data.scores.length).toBe(1379);
    const dev = await getTask('STSBenchmark', { path: sharedPath('data', 'stsb'), split: 'validation' });
    expect((dev as StsEvaluator).data.scores.length).toBe(1500);
    await expect(
      getTask('STSBenchmark', { path: sharedPath('data', 'stsb'), split: 'nope' }),
    ).rejects.toThrow(/no nope split in .*stsb/);
  });

  it('takes any BEIR folder as the task name', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'corpus.jsonl'), '{"_id":"d1","title":"","text":"x"}\n');
    writeFileSync(join(dir, 'queries.jsonl'), '{"_id":"q1","text":"y"}\n');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'qrels'));
    writeFileSync(join(dir, 'qrels', 'dev.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t1\n');
    const task = await getTask(dir, { split: 'dev' });
    expect(task).toBeInstanceOf(RetrievalEvaluator);
    expect(task.split).toBe('dev');
    await expect(getTask(dir)).rejects.toThrow(/test\.tsv/);
  });
});

describe('results', () => {
  const result: EvaluationResult = {
    task: 'STSBenchmark',
    split: 'test',
    mainScoreName: 'spearman_cosine',
    mainScore: 0.8123,
    scores: { spearman_cosine: 0.8123, pearson_cosine: 0.8 },
    evaluationTime: 1.25,
  };

  it('writes MTEB-style JSON with main_score and flat scores at the top', () => {
    const path = join(tmp(), 'nested', 'STSBenchmark.json');
    writeMtebResult(path, result, { modelName: 'tiny' });
    const json = JSON.parse(readFileSync(path, 'utf8'));
    expect(json).toEqual({
      task_name: 'STSBenchmark',
      split: 'test',
      model_name: 'tiny',
      main_score_name: 'spearman_cosine',
      main_score: 0.8123,
      scores: { spearman_cosine: 0.8123, pearson_cosine: 0.8 },
      evaluation_time: 1.25,
    });
  });

  it('renders a markdown table with an average row', () => {
    const table = resultsTable([result, { ...result, task: 'SICK|R', mainScore: 0.6 }]);
    const lines = table.trim().split('\n');
    expect(lines[0]).toBe('| Task | Split | Main metric | Score | Time (s) |');
    expect(lines[2]).toBe('| STSBenchmark | test | spearman_cosine | 0.8123 | 1.3 |');
    expect(lines[3]).toContain('SICK\\|R');
    expect(lines[4]).toBe('| **Average** | | | 0.7062 | |');
  });
});
