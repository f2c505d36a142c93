import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test-support/temp.js';
import {
  RetrievalEvaluator,
  StsEvaluator,
  loadStsData,
  toMtebResultJson,
  writeMtebResult,
} from '../src/index.js';
import { tableEmbedder } from './hashing_embedder.js';

describe('STS with gold scores that are all equal', () => {
  const table = { a0: [1, 0], b0: [1, 0], a1: [1, 0], b1: [0, 1], a2: [1, 0], b2: [1, 1] };
  const data = { sentences1: ['a0', 'a1', 'a2'], sentences2: ['b0', 'b1', 'b2'], scores: [3, 3, 3] };

  it('warns through the logger, reports null scores and counts distinct gold scores', async () => {
    const logged: string[] = [];
    const r = await new StsEvaluator(data, { name: 'flat' }).evaluate(tableEmbedder(table), {
      logger: (m) => logged.push(m),
    });
    expect(Number.isNaN(r.mainScore)).toBe(true);
    expect(r.diagnostics).toEqual({ distinct_gold_scores: 1 });
    expect(r.warnings).toEqual([
      'all 3 gold scores are equal (3): Pearson and Spearman correlations are undefined, so every score and main_score are null',
    ]);
    expect(logged).toEqual(r.warnings!.map((w) => `flat: ${w}`));
    const json = toMtebResultJson(r);
    expect(json.main_score).toBeNull();
    expect(json.scores.pearson_cosine).toBeNull();
    expect(json.warnings).toEqual(r.warnings);
    const dir = tempDir('eval-edge-');
    writeMtebResult(join(dir, 'r.json'), r);
    expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).main_score).toBeNull();
  });

  it('varied gold but a model that scores every pair the same: that similarity is flagged', async () => {
    const same = { a0: [1, 0], b0: [1, 0], a1: [0, 1], b1: [0, 1], a2: [2, 0], b2: [2, 0] };
    const logged: string[] = [];
    const r = await new StsEvaluator({ ...data, scores: [1, 2, 5] }).evaluate(tableEmbedder(same), {
      logger: (m) => logged.push(m),
    });
    // Every pair is identical: cosine 1 and distance 0 everywhere, but the dot products 1, 1, 4 vary.
    expect(logged.map((m) => m.match(/same (\w+) score/)?.[1])).toEqual(['cosine', 'manhattan', 'euclidean']);
    expect(Number.isNaN(r.scores.spearman_cosine!)).toBe(true);
    // Spearman of gold [1, 2, 5] and dot [1, 1, 4]: ranks [1, 2, 3] vs [1.5, 1.5, 3] → r = 0.8660254.
    expect(r.scores.spearman_dot).toBeCloseTo(Math.sqrt(3) / 2, 12);
    expect(r.diagnostics).toEqual({ distinct_gold_scores: 3 });
  });

  it('no warnings on ordinary data', async () => {
    const logged: string[] = [];
    const r = await new StsEvaluator({ ...data, scores: [5, 0, 2.5] }).evaluate(tableEmbedder(table), {
      logger: (m) => logged.push(m),
    });
    expect(logged).toEqual([]);
    expect(r.warnings).toBeUndefined();
    // cosines 1, 0, 1/√2 rank exactly like gold 5, 0, 2.5.
    expect(r.mainScore).toBeCloseTo(1, 12);
  });
});

describe('retrieval qrels that point outside the data', () => {
  it('counts and warns about a missing document and an unknown query; scores as pytrec_eval does', async () => {
    const table = {
      'doc one': [1, 0],
      'doc two': [0, 1],
      'query one': [1, 0.1],
      'query two': [0.1, 1],
    };
    const evaluator = new RetrievalEvaluator(
      {
        corpus: new Map([
          ['d1', 'doc one'],
          ['d2', 'doc two'],
        ]),
        queries: new Map([
          ['q1', 'query one'],
          ['q2', 'query two'],
        ]),
        qrels: new Map([
          [
            'q1',
            new Map([
              ['d1', 1],
              ['d3', 1],
            ]),
          ],
          ['q2', new Map([['d2', 1]])],
          ['q9', new Map([['d1', 1]])],
        ]),
      },
      { name: 'toy-beir', kValues: [1, 10] },
    );
    const logged: string[] = [];
    const r = await evaluator.evaluate(tableEmbedder(table), { logger: (m) => logged.push(m) });
    expect(r.diagnostics).toEqual({
      qrels_missing_documents: 1,
      qrels_unknown_queries: 1,
      evaluated_queries: 2,
    });
    expect(r.warnings).toEqual([
      '1 relevance judgement (1 relevant) name a document missing from the corpus (q1 → d3): they count as relevant but can never be retrieved, which lowers recall and nDCG',
      '1 query of the qrels is not in the query set (q9) and is not evaluated',
    ]);
    expect(logged).toHaveLength(2);
    // q1 ranks d1, d2 with relevant {d1, d3}: recall@1 1/2, nDCG@10 1 / (1 + 1/log2 3); q2 ranks d2 first: 1, 1.
    expect(r.scores.recall_at_1).toBeCloseTo(0.75, 12);
    expect(r.mainScore).toBeCloseTo((1 / (1 + 1 / Math.log2(3)) + 1) / 2, 12);
  });
});

describe('evaluation data that is not UTF-8', () => {
  it('is an error naming file and line', () => {
    const dir = tempDir('eval-utf8-');
    const path = join(dir, 'sts.csv');
    writeFileSync(
      path,
      Buffer.concat([
        Buffer.from('sentence1,sentence2,score\na,b,1\ncaf'),
        Buffer.from([0xe9]),
        Buffer.from(',c,2\n'),
      ]),
    );
    expect(() => loadStsData(path)).toThrow(`${path}:3: invalid UTF-8`);
  });
});
