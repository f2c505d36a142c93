import { describe, expect, it } from 'vitest';
import { classificationScores } from './classification_metrics.js';

describe('classificationScores', () => {
  it('computes accuracy, macro and weighted F1 as scikit-learn', () => {
    // a: tp 1, fn 1 → F1 2/3; b: tp 1, fp 2 → 1/2; c: fn 1 → 0.
    const s = classificationScores(['a', 'a', 'b', 'c'], ['a', 'b', 'b', 'b']);
    expect(s.accuracy).toBe(0.5);
    expect(s.f1).toBeCloseTo((2 / 3 + 0.5 + 0) / 3, 14);
    expect(s.f1Weighted).toBeCloseTo(((2 / 3) * 2 + 0.5 * 1 + 0 * 1) / 4, 14);
  });

  it('counts a label seen only in predictions in the macro average (zero F1)', () => {
    const s = classificationScores(['a', 'a'], ['a', 'b']);
    expect(s.f1).toBeCloseTo((2 / 3 + 0) / 2, 14);
    expect(s.f1Weighted).toBeCloseTo(2 / 3, 14);
  });

  it('keeps number and string labels apart and checks lengths', () => {
    expect(classificationScores([1, 2], ['1', 2]).accuracy).toBe(0.5);
    expect(() => classificationScores(['a'], [])).toThrow(/1 true labels but 0 predictions/);
  });
});
