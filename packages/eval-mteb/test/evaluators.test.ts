import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ClassificationEvaluator,
  MseEvaluator,
  PairClassificationEvaluator,
  RerankingEvaluator,
  RetrievalEvaluator,
  StsEvaluator,
  TripletEvaluator,
  loadBeirData,
  runClassificationExperiments,
} from '../src/index.js';
import { tableEmbedder } from './hashing_embedder.js';

const unit = (angle: number) => [Math.cos(angle), Math.sin(angle)];

describe('StsEvaluator', () => {
  it('scores cosine, negated distances and dot against gold with sentence-transformers keys', async () => {
    // Pairs of unit vectors at growing angles: cosine falls, distances grow. Gold falls with the angle,
    // so every similarity ranks the pairs exactly like gold (Spearman 1) if distances are negated.
    const angles = [0.1, 0.5, 0.9, 1.4];
    const table: Record<string, number[]> = {};
    angles.forEach((a, i) => {
      table[`a${i}`] = unit(0);
      table[`b${i}`] = unit(a);
    });
    const gold = [5, 3.8, 2, 0.4];
    const evaluator = new StsEvaluator(
      { sentences1: angles.map((_, i) => `a${i}`), sentences2: angles.map((_, i) => `b${i}`), scores: gold },
      { name: 'toy', split: 'dev' },
    );
    const r = await evaluator.evaluate(tableEmbedder(table));
    expect(r.mainScoreName).toBe('spearman_cosine');
    for (const fn of ['cosine', 'manhattan', 'euclidean', 'dot'])
      expect(r.scores[`spearman_${fn}`]).toBeCloseTo(1, 12);
    // Pearson of cos(angle) against gold, by hand: x = cos a, y = gold.
    const x = angles.map(Math.cos);
    const mx = x.reduce((a, b) => a + b) / 4;
    const my = gold.reduce((a, b) => a + b) / 4;
    const sxy = x.reduce((s, v, i) => s + (v - mx) * (gold[i]! - my), 0);
    const sxx = x.reduce((s, v) => s + (v - mx) ** 2, 0);
    const syy = gold.reduce((s, v) => s + (v - my) ** 2, 0);
    expect(r.scores.pearson_cosine).toBeCloseTo(sxy / Math.sqrt(sxx * syy), 12);
    expect(r.task).toBe('toy');
    expect(r.split).toBe('dev');
    expect(r.evaluationTime).toBeGreaterThanOrEqual(0);
  });

  it('matches scipy on the tiny-bert PyTorch reference embeddings', async () => {
    const { readFileSync } = await import('node:fs');
    const { sharedPath } = await import('../../../test-support/shared.js');
    const ref = JSON.parse(readFileSync(sharedPath('fixtures', 'tiny-bert', 'reference.json'), 'utf8')) as {
      texts: string[];
      embeddings: number[][];
    };
    const table = Object.fromEntries(ref.texts.map((t, i) => [t, ref.embeddings[i]!]));
    const r = await new StsEvaluator({
      sentences1: ref.texts.slice(0, 6),
      sentences2: ref.texts.slice(6, 12),
      scores: [1, 2, 2, 4, 0.5, 2],
    }).evaluate(tableEmbedder(table));
    // scipy.stats.pearsonr / spearmanr of the same embeddings (float64), computed outside this project.
    expect(r.scores.pearson_cosine).toBeCloseTo(0.044034423766824295, 10);
    expect(r.scores.spearman_cosine).toBeCloseTo(0.33394720739540396, 10);
    expect(r.scores.pearson_manhattan).toBeCloseTo(0.27221043676980844, 10);
    expect(r.scores.pearson_euclidean).toBeCloseTo(0.2242267786231979, 10);
    expect(r.scores.pearson_dot).toBeCloseTo(-0.95069412487687, 10);
    expect(r.scores.spearman_dot).toBeCloseTo(-0.9411239481143202, 10);
  });

  it('embeds each distinct sentence once and reports bad model output clearly', async () => {
    let embedded = 0;
    const model = {
      embed: (texts: string[]) => {
        embedded += texts.length;
        return texts.map((t) => [t.length, 1]);
      },
    };
    await new StsEvaluator({
      sentences1: ['a', 'bb', 'a'],
      sentences2: ['bb', 'ccc', 'dddd'],
      scores: [1, 2, 3],
    }).evaluate(model);
    expect(embedded).toBe(4);
    const broken = { embed: (texts: string[]) => texts.slice(1).map(() => [1]) };
    await expect(
      new StsEvaluator({ sentences1: ['a', 'b'], sentences2: ['c', 'd'], scores: [1, 2] }).evaluate(broken),
    ).rejects.toThrow(/returned 3 vectors for 4 texts/);
  });
});

describe('classification protocol', () => {
  // Three labels, two informative dimensions plus a noise dimension; 10 examples per label.
  const labels = Array.from({ length: 30 }, (_, i) => ['x', 'y', 'z'][i % 3]!);
  const vectors = labels.map((l, i) => {
    const c = { x: [4, 0], y: [0, 4], z: [-4, -4] }[l as 'x' | 'y' | 'z'];
    return [c[0]! + ((i * 7) % 5) / 5, c[1]! - ((i * 3) % 4) / 4, (i % 7) / 7];
  });

  it('is deterministic given the seed and perfect on separable data', () => {
    const a = runClassificationExperiments(vectors, labels, vectors, labels, {
      samplesPerLabel: 2,
      experiments: 4,
    });
    const b = runClassificationExperiments(vectors, labels, vectors, labels, {
      samplesPerLabel: 2,
      experiments: 4,
    });
    expect(a).toEqual(b);
    expect(a).toHaveLength(4);
    for (const s of a) expect(s).toEqual({ accuracy: 1, f1: 1, f1_weighted: 1 });
  });

  it('averages experiments and reports their spread', async () => {
    // Texts whose vector hides the label for label "z" half the time, so experiments differ.
    const texts = labels.map((_, i) => `t${i}`);
    const table = Object.fromEntries(
      texts.map((t, i) => [t, i % 2 === 0 ? vectors[i]! : [0, 0, (i % 7) / 7]]),
    );
    const evaluator = new ClassificationEvaluator(
      { texts, labels },
      { texts, labels },
      { samplesPerLabel: 3, experiments: 5, name: 'synthetic' },
    );
    const r = await evaluator.evaluate(tableEmbedder(table));
    const per = runClassificationExperiments(
      texts.map((t) => table[t]!),
      labels,
      texts.map((t) => table[t]!),
      labels,
      { samplesPerLabel: 3, experiments: 5 },
    );
    const accuracies = per.map((s) => s.accuracy!);
    const mean = accuracies.reduce((x, y) => x + y) / 5;
    expect(r.scores.accuracy).toBeCloseTo(mean, 14);
    expect(r.scores.accuracy_stderr).toBeCloseTo(
      Math.sqrt(accuracies.reduce((s, v) => s + (v - mean) ** 2, 0) / 5),
      14,
    );
    expect(r.mainScore).toBe(r.scores.accuracy);
  });

  it('adds average precision for two classes', () => {
    const two = labels.map((l) => (l === 'x' ? 'pos' : 'neg'));
    const [s] = runClassificationExperiments(vectors, two, vectors, two, {
      experiments: 1,
      samplesPerLabel: 4,
    });
    expect(s!.ap).toBe(1);
  });
});

describe('RetrievalEvaluator', () => {
  function beirFolder(): string {
    const dir = mkdtempSync(join(tmpdir(), 'beir-'));
    const corpus = [
      { _id: 'd1', title: 'Alpha', text: 'one' },
      { _id: 'd2', title: '', text: 'two' },
      { _id: 'd3', title: 'Gamma', text: 'three' },
      { _id: 'q1', title: '', text: 'self' },
    ];
    writeFileSync(join(dir, 'corpus.jsonl'), corpus.map((d) => JSON.stringify(d)).join('\n'));
    writeFileSync(
      join(dir, 'queries.jsonl'),
      [
        { _id: 'q1', text: 'first' },
        { _id: 'q2', text: 'second' },
        { _id: 'q3', text: 'unjudged' },
      ]
        .map((q) => JSON.stringify(q))
        .join('\n'),
    );
    mkdirSync(join(dir, 'qrels'));
    writeFileSync(
      join(dir, 'qrels', 'test.tsv'),
      'query-id\tcorpus-id\tscore\nq1\td1\t2\nq1\td3\t1\nq1\td2\t0\nq2\td2\t1\n',
    );
    return dir;
  }

  // Vectors: q1 is closest to d2 (not relevant), then d3, then d1; the corpus copy of q1 is identical to it.
  const table: Record<string, number[]> = {
    first: unit(0),
    second: unit(2),
    'Alpha one': unit(1.2),
    two: unit(0.1),
    'Gamma three': unit(0.5),
    self: unit(0),
  };

  it('loads BEIR (title + text, only judged queries) and scores exactly as trec_eval', async () => {
    const data = loadBeirData(beirFolder());
    expect(data.corpus.get('d1')).toBe('Alpha one');
    expect(data.corpus.get('d2')).toBe('two');
    expect([...data.queries.keys()]).toEqual(['q1', 'q2']);
    const r = await new RetrievalEvaluator(data, { kValues: [1, 3, 10] }).evaluate(tableEmbedder(table));
    // q1 ranking: d2 (0), d3 (1), d1 (2) — its own id q1 is skipped. Hand values as in the metric tests.
    const ndcgQ1 = (1 / Math.log2(3) + 1) / (2 + 1 / Math.log2(3));
    // q2 at angle 2: closest d1 (0.8 away), then d3 (1.5), then d2 (1.9): d2 relevant at rank 3.
    const ndcgQ2 = 1 / 2;
    expect(r.mainScoreName).toBe('ndcg_at_10');
    expect(r.scores.ndcg_at_10).toBeCloseTo((ndcgQ1 + ndcgQ2) / 2, 12);
    expect(r.scores.mrr_at_10).toBeCloseTo((1 / 2 + 1 / 3) / 2, 12);
    expect(r.scores.mrr_at_1).toBe(0);
    expect(r.scores.map_at_3).toBeCloseTo(((1 / 2 + 2 / 3) / 2 + 1 / 3) / 2, 12);
    expect(r.scores.recall_at_1).toBe(0);
    expect(r.scores.recall_at_3).toBe(1);
    expect(r.scores.precision_at_3).toBeCloseTo((2 / 3 + 1 / 3) / 2, 12);
    expect(r.scores.precision_at_10).toBeCloseTo((2 / 10 + 1 / 10) / 2, 12);
  });

  it('gives the same rankings whatever the corpus chunk size, and honours prompts', async () => {
    const data = loadBeirData(beirFolder());
    const whole = await new RetrievalEvaluator(data, { kValues: [2] }).search(tableEmbedder(table));
    const chunked = await new RetrievalEvaluator(data, { kValues: [2], corpusChunkSize: 1 }).search(
      tableEmbedder(table),
    );
    expect(chunked).toEqual(whole);
    expect(whole.get('q1')).toEqual(['d2', 'd3']);
    const seen: string[] = [];
    const spy = {
      embed: (texts: string[]) => {
        seen.push(...texts);
        return texts.map(() => [1, 0]);
      },
    };
    await new RetrievalEvaluator(data, { queryPrompt: 'query: ', documentPrompt: 'passage: ' }).search(spy);
    expect(seen).toContain('query: first');
    expect(seen).toContain('passage: Alpha one');
  });
});

describe('TripletEvaluator', () => {
  it('counts triplets where the positive is strictly closer, per similarity function', async () => {
    const table: Record<string, number[]> = {
      a: [1, 0],
      p1: [2, 0.2], // close in angle and distance
      n1: [0, 1],
      p2: [0, 3], // farther than n2 by every measure
      n2: [0.9, 0.5],
      p3: [10, 1], // same direction-ish as a but far away: cosine says yes, distances say no
      n3: [1, -1],
    };
    const r = await new TripletEvaluator({
      anchors: ['a', 'a', 'a'],
      positives: ['p1', 'p2', 'p3'],
      negatives: ['n1', 'n2', 'n3'],
    }).evaluate(tableEmbedder(table));
    expect(r.scores.cosine_accuracy).toBeCloseTo(2 / 3, 14);
    expect(r.scores.euclidean_accuracy).toBeCloseTo(1 / 3, 14);
    expect(r.scores.manhattan_accuracy).toBeCloseTo(1 / 3, 14);
    expect(r.scores.dot_accuracy).toBeCloseTo(2 / 3, 14);
    expect(r.mainScore).toBe(r.scores.cosine_accuracy);
  });
});

describe('MseEvaluator', () => {
  // Teacher embeddings of the English sentences; the student embeds their "translations".
  const teacherTable = { hello: [1, 2], world: [0, -1] };
  const studentTable = { hallo: [1, 1], welt: [2, -1] };
  it('−MSE × 100 between teacher (source) and student (target) embeddings, by hand', async () => {
    // Errors: (0, −1) and (2, 0) → Σ² 5 over 4 values → MSE 1.25 → −125.
    let teacherCalls = 0;
    const teacher = tableEmbedder(teacherTable);
    const counting = {
      embed: (texts: string[]) => {
        teacherCalls++;
        return teacher.embed(texts);
      },
    };
    const evaluator = new MseEvaluator(
      { sourceSentences: ['hello', 'world'], targetSentences: ['hallo', 'welt'], teacher: counting },
      { name: 'en-de', split: 'dev' },
    );
    const r = await evaluator.evaluate(tableEmbedder(studentTable));
    expect(r).toMatchObject({ task: 'en-de', split: 'dev', mainScoreName: 'negative_mse' });
    expect(r.scores.negative_mse).toBeCloseTo(-125, 10);
    expect(r.mainScore).toBe(r.scores.negative_mse);
    // The teacher embeds once; given embeddings, it is never asked.
    await evaluator.evaluate(tableEmbedder(studentTable));
    expect(teacherCalls).toBe(1);
    const given = new MseEvaluator({
      sourceSentences: ['hello', 'world'],
      targetSentences: ['hello', 'world'],
      teacherEmbeddings: [teacherTable.hello, teacherTable.world],
    });
    expect((await given.evaluate(tableEmbedder(teacherTable))).mainScore + 0).toBe(0);
  });
  it('names mismatched inputs', async () => {
    expect(
      () =>
        new MseEvaluator({ sourceSentences: ['a'], targetSentences: ['a', 'b'], teacherEmbeddings: [[1]] }),
    ).toThrow('MseEvaluator: 1 source sentences, 2 target sentences');
    expect(() => new MseEvaluator({ sourceSentences: ['a'], targetSentences: ['b'] })).toThrow(
      'MseEvaluator: give teacherEmbeddings or a teacher model',
    );
    const wide = new MseEvaluator({
      sourceSentences: ['a'],
      targetSentences: ['hallo'],
      teacherEmbeddings: [[1, 2, 3]],
    });
    await expect(wide.evaluate(tableEmbedder(studentTable))).rejects.toThrow(
      "MseEvaluator: the model's embedding is 2 wide, the teacher's 3",
    );
  });
});

describe('PairClassificationEvaluator', () => {
  it('reports the threshold metrics per similarity function', async () => {
    // Cosine of each pair = cos(angle): 0.9-ish, ..., so the hand example of the metric tests applies.
    const cosines = [0.9, 0.8, 0.7, 0.6];
    const table: Record<string, number[]> = {};
    cosines.forEach((c, i) => {
      table[`s${i}`] = [1, 0];
      table[`t${i}`] = unit(Math.acos(c));
    });
    const r = await new PairClassificationEvaluator({
      sentences1: ['s0', 's1', 's2', 's3'],
      sentences2: ['t0', 't1', 't2', 't3'],
      labels: [1, 0, 1, 0],
    }).evaluate(tableEmbedder(table));
    expect(r.scores.cosine_accuracy).toBe(0.75);
    expect(r.scores.cosine_accuracy_threshold).toBeCloseTo(0.85, 12);
    expect(r.scores.cosine_f1).toBeCloseTo(0.8, 12);
    expect(r.scores.cosine_ap).toBeCloseTo(0.5 + 1 / 3, 12);
    // Unit vectors: euclidean distance sqrt(2 - 2cos) orders pairs the same way; threshold is a distance.
    expect(r.scores.euclidean_ap).toBeCloseTo(0.5 + 1 / 3, 12);
    expect(r.scores.euclidean_accuracy_threshold).toBeCloseTo(
      (Math.sqrt(2 - 2 * 0.9) + Math.sqrt(2 - 2 * 0.8)) / 2,
      12,
    );
    expect(r.mainScoreName).toBe('cosine_ap');
    expect(r.scores.max_ap).toBeCloseTo(0.5 + 1 / 3, 12);
  });
});

describe('RerankingEvaluator', () => {
  it('computes MAP, MRR@10 and nDCG@10 over queries with positives and negatives', async () => {
    const table: Record<string, number[]> = {
      q: [1, 0],
      best: unit(0.1),
      good: unit(0.3),
      mid: unit(0.6),
      bad: unit(1.2),
    };
    const r = await new RerankingEvaluator([
      // Ranking: best(+), good(−), mid(+) → AP (1 + 2/3)/2, RR 1.
      { query: 'q', positive: ['best', 'mid'], negative: ['good'] },
      // Ranking: good(−), bad(+) → AP 1/2, RR 1/2.
      { query: 'q', positive: ['bad'], negative: ['good'] },
      { query: 'q', positive: [], negative: ['good'] }, // skipped
    ]).evaluate(tableEmbedder(table));
    expect(r.scores.map).toBeCloseTo(((1 + 2 / 3) / 2 + 1 / 2) / 2, 12);
    expect(r.scores['mrr@10']).toBeCloseTo((1 + 1 / 2) / 2, 12);
    const ndcg1 = (1 + 1 / 2) / (1 + 1 / Math.log2(3));
    const ndcg2 = 1 / Math.log2(3);
    expect(r.scores['ndcg@10']).toBeCloseTo((ndcg1 + ndcg2) / 2, 12);
  });
});
