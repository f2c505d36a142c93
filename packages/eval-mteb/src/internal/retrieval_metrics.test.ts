import { describe, expect, it } from 'vitest';
import {
  averagePrecisionAtK,
  ndcgAtK,
  precisionAtK,
  recallAtK,
  reciprocalRankAtK,
} from './retrieval_metrics.js';

describe('nDCG@k (trec_eval ndcg_cut, linear gains)', () => {
  // Graded judgements: d1 = 2, d3 = 1, d2 judged but not relevant.
  const qrels = new Map([
    ['d1', 2],
    ['d2', 0],
    ['d3', 1],
  ]);
  const ranking = ['d2', 'd3', 'd1'];

  it('matches the hand computation on a 3-document ranking', () => {
    // DCG@3 = 0/log2(2) + 1/log2(3) + 2/log2(4) = 1/log2(3) + 1; IDCG@3 = 2/1 + 1/log2(3).
    const expected = (1 / Math.log2(3) + 1) / (2 + 1 / Math.log2(3));
    expect(ndcgAtK(ranking, qrels, 3)).toBeCloseTo(expected, 14);
    expect(ndcgAtK(ranking, qrels, 3)).toBeCloseTo(0.6199, 4); // not 0.5869 as with 2^rel − 1 gains
    // @2: DCG = 1/log2(3); IDCG = 2 + 1/log2(3).
    expect(ndcgAtK(ranking, qrels, 2)).toBeCloseTo(1 / Math.log2(3) / (2 + 1 / Math.log2(3)), 14);
    expect(ndcgAtK(ranking, qrels, 1)).toBe(0);
  });

  it('builds the ideal DCG from every judged relevant document, retrieved or not', () => {
    const withUnretrieved = new Map([...qrels, ['d9', 3]]);
    // Ideal order 3, 2, 1; only d3 and d1 were retrieved.
    const expected = (1 / Math.log2(3) + 1) / (3 + 2 / Math.log2(3) + 1 / 2);
    expect(ndcgAtK(ranking, withUnretrieved, 3)).toBeCloseTo(expected, 14);
  });

  it('is 0 when nothing is relevant', () => {
    expect(ndcgAtK(['a'], new Map([['a', 0]]), 10)).toBe(0);
  });
});

describe('MAP@k, recall@k, P@k, MRR@k', () => {
  // r1, r2, r3 relevant (r3 never retrieved); x, y judged 0 or unjudged.
  const qrels = new Map([
    ['r1', 1],
    ['r2', 2],
    ['r3', 1],
    ['x', 0],
  ]);
  const ranking = ['x', 'r1', 'y', 'r2'];

  it('MAP divides the precisions at relevant hits by ALL relevant documents', () => {
    expect(averagePrecisionAtK(ranking, qrels, 4)).toBeCloseTo((1 / 2 + 2 / 4) / 3, 14);
    expect(averagePrecisionAtK(ranking, qrels, 2)).toBeCloseTo(1 / 2 / 3, 14);
    expect(averagePrecisionAtK(ranking, qrels, 1)).toBe(0);
  });

  it('recall over all relevant, precision over k even past the end of the ranking', () => {
    expect(recallAtK(ranking, qrels, 4)).toBeCloseTo(2 / 3, 14);
    expect(recallAtK(ranking, qrels, 1)).toBe(0);
    expect(precisionAtK(ranking, qrels, 4)).toBe(0.5);
    expect(precisionAtK(ranking, qrels, 10)).toBe(0.2);
  });

  it('MRR stops at the cut-off', () => {
    expect(reciprocalRankAtK(ranking, qrels, 1)).toBe(0);
    expect(reciprocalRankAtK(ranking, qrels, 2)).toBe(0.5);
    expect(reciprocalRankAtK(ranking, qrels, 10)).toBe(0.5);
    expect(reciprocalRankAtK(['x', 'y'], qrels, 10)).toBe(0);
  });
});
