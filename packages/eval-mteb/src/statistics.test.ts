import { describe, expect, it } from 'vitest';
import { averageRanks, pearson, spearman } from './statistics.js';

describe('averageRanks', () => {
  it('gives tied values the mean of their ranks (scipy rankdata "average")', () => {
    // Sorted: 1 (rank 1), 2 (rank 2), then three 3s sharing ranks 3, 4, 5 → 4.
    expect([...averageRanks([3, 1, 3, 3, 2])]).toEqual([4, 1, 4, 4, 2]);
  });
});

describe('pearson', () => {
  it('matches the hand-computed coefficient', () => {
    // x̄ = 2, ȳ = 11/3; Σdxdy = 3, Σdx² = 2, Σdy² = 42/9 → r = 3 / sqrt(84/9) = 9 / sqrt(84).
    expect(pearson([1, 2, 3], [2, 4, 5])).toBeCloseTo(9 / Math.sqrt(84), 14);
  });
  it('is NaN for a constant input and rejects mismatched lengths', () => {
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(() => pearson([1, 2], [1, 2, 3])).toThrow(/lengths differ/);
  });
});

describe('spearman', () => {
  it('uses average ranks for ties', () => {
    // ranks x = [1, 2.5, 2.5, 4], ranks y = [1, 3, 2, 4]: Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5 → 3/sqrt(10).
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(3 / Math.sqrt(10), 14);
  });
  it('is 1 for any increasing transform and -1 for a decreasing one', () => {
    const x = [0.1, 0.5, 0.2, 0.9, 0.3];
    expect(
      spearman(
        x,
        x.map((v) => Math.exp(5 * v)),
      ),
    ).toBeCloseTo(1, 14);
    expect(
      spearman(
        x,
        x.map((v) => -v * v),
      ),
    ).toBeCloseTo(-1, 14);
  });
});
