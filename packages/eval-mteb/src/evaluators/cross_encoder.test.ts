import { describe, expect, it } from 'vitest';
import {
  CrossEncoderClassificationEvaluator,
  CrossEncoderCorrelationEvaluator,
  CrossEncoderRerankingEvaluator,
  type PairScorer,
} from './cross_encoder.js';

/** Scores from a table keyed "a|b". */
const scorer = (table: Record<string, number | number[]>): PairScorer => ({
  predict: (pairs) => pairs.map(([a, b]) => table[`${a}|${b}`] as number) as number[],
});

describe('cross-encoder evaluators (hand-computed)', () => {
  it('classification: threshold for one label, argmax for several; accuracy and macro F1', async () => {
    const data = { sentences1: ['a', 'b', 'c', 'd'], sentences2: ['x', 'x', 'x', 'x'], labels: [1, 0, 1, 0] };
    const one = await new CrossEncoderClassificationEvaluator(data).evaluate(
      scorer({ 'a|x': 0.9, 'b|x': 0.7, 'c|x': 0.2, 'd|x': 0.1 }),
    );
    // predicted 1,1,0,0: accuracy 0.5; F1 of class 1 = 0.5, of class 0 = 0.5
    expect(one.scores.accuracy).toBeCloseTo(0.5);
    expect(one.scores.f1).toBeCloseTo(0.5);
    expect(one.mainScore).toBe(one.scores.accuracy);
    const rows = await new CrossEncoderClassificationEvaluator(data).evaluate({
      predict: () => [
        [0, 3],
        [2, 1],
        [0.1, 0.2],
        [5, -1],
      ],
    });
    expect(rows.scores.accuracy).toBe(1);
  });

  it('correlation: Pearson and Spearman of the scores', async () => {
    const r = await new CrossEncoderCorrelationEvaluator({
      sentences1: ['a', 'b', 'c'],
      sentences2: ['x', 'x', 'x'],
      scores: [1, 2, 3],
    }).evaluate(scorer({ 'a|x': 0.1, 'b|x': 0.3, 'c|x': 0.2 }));
    expect(r.scores.spearman).toBeCloseTo(0.5);
    // pearson of (1,2,3) and (0.1,0.3,0.2): cov 0.05 / (1 · 0.1) = 0.5
    expect(r.scores.pearson).toBeCloseTo(0.5);
  });

  it('reranking: MRR@10, nDCG@10 and MAP over queries', async () => {
    const r = await new CrossEncoderRerankingEvaluator([
      { query: 'q1', positive: ['p'], negative: ['n1', 'n2'] },
      { query: 'q2', positive: ['p'], negative: ['n1'] },
    ]).evaluate(scorer({ 'q1|p': 0.5, 'q1|n1': 0.9, 'q1|n2': 0.1, 'q2|p': 0.8, 'q2|n1': 0.2 }));
    // q1: positive at rank 2 → RR 1/2, nDCG 1/log2(3), AP 1/2; q2: rank 1 → 1, 1, 1
    expect(r.scores['mrr@10']).toBeCloseTo(0.75);
    expect(r.scores['ndcg@10']).toBeCloseTo((1 / Math.log2(3) + 1) / 2);
    expect(r.scores.map).toBeCloseTo(0.75);
    expect(r.mainScoreName).toBe('ndcg@10');
  });

  it('a wrong number of scores is an error', async () => {
    const ev = new CrossEncoderCorrelationEvaluator({
      sentences1: ['a', 'b'],
      sentences2: ['x', 'y'],
      scores: [1, 2],
    });
    await expect(ev.evaluate({ predict: () => [1] })).rejects.toThrow(/1 scores for 2 pairs/);
  });
});
