import { describe, expect, it } from 'vitest';
import { averagePrecision, bestAccuracyAndThreshold, bestF1AndThreshold, ndcgScore } from './pair_metrics.js';

const scores = [0.9, 0.8, 0.7, 0.6];
const labels = [1, 0, 1, 0];

describe('threshold searches (sentence-transformers)', () => {
  it('finds the best accuracy and its midpoint threshold', () => {
    // After 0.9 (positive): 1 positive + 2 negatives right = 3/4, threshold (0.9 + 0.8) / 2.
    const r = bestAccuracyAndThreshold(scores, labels, true);
    expect(r.accuracy).toBe(0.75);
    expect(r.threshold).toBeCloseTo(0.85, 14);
  });

  it('finds the best F1 with its precision and recall', () => {
    // Taking the top 3: precision 2/3, recall 1 → F1 0.8, threshold (0.7 + 0.6) / 2.
    const r = bestF1AndThreshold(scores, labels, true);
    expect(r.f1).toBeCloseTo(0.8, 14);
    expect(r.precision).toBeCloseTo(2 / 3, 14);
    expect(r.recall).toBe(1);
    expect(r.threshold).toBeCloseTo(0.65, 14);
  });

  it('searches ascending when smaller means more similar (distances)', () => {
    const r = bestAccuracyAndThreshold(
      scores.map((s) => 1 - s),
      labels,
      false,
    );
    expect(r.accuracy).toBe(0.75);
    expect(r.threshold).toBeCloseTo(0.15, 14);
  });

  it('rejects labels other than 0/1', () => {
    expect(() => bestF1AndThreshold([0.1, 0.2], [1, 2], true)).toThrow(/label 1 is 2/);
  });
});

describe('averagePrecision (scikit-learn)', () => {
  it('sums (ΔR)·P over the ranking', () => {
    // 0.9 hit: R .5 P 1; 0.7 hit: R 1 P 2/3 → 0.5 + 0.5 · 2/3.
    expect(averagePrecision(scores, labels)).toBeCloseTo(0.5 + 1 / 3, 14);
  });
  it('lets tied scores enter together', () => {
    // {0.5, 0.5}: tp 1, fp 1 → R .5, P .5; then 0.1: R 1, P 2/3.
    expect(averagePrecision([0.5, 0.5, 0.1], [1, 0, 1])).toBeCloseTo(0.25 + 1 / 3, 14);
  });
});

describe('ndcgScore (scikit-learn, tie-averaged)', () => {
  it('shares the gain of tied documents across their positions', () => {
    expect(ndcgScore([1, 0], [0.5, 0.5], 10)).toBeCloseTo(0.5 * (1 + 1 / Math.log2(3)), 14);
  });
  it('is 1 for a perfect order and cuts at k', () => {
    expect(ndcgScore([0, 1, 2], [0.1, 0.2, 0.3], 10)).toBeCloseTo(1, 14);
    // Worst order cut at 1: first shown has gain 0.
    expect(ndcgScore([0, 1, 2], [0.3, 0.2, 0.1], 1)).toBe(0);
  });
});
