import { describe, expect, it } from 'vitest';
import { lrMultiplier, warmupStepsFor } from './scheduler.js';

describe('learning-rate schedules (transformers semantics)', () => {
  it('linear: warmup from 0, then linear decay to 0 at the last step', () => {
    // total 10, warmup 2: steps 0,1 → 0, 0.5; step 2 → 1; step 6 → 4/8; step 10 → 0
    expect([0, 1, 2, 6, 9, 10].map((s) => lrMultiplier('linear', s, 2, 10))).toEqual([
      0, 0.5, 1, 0.5, 0.125, 0,
    ]);
  });
  it('cosine: half cosine after warmup', () => {
    expect(lrMultiplier('cosine', 2, 2, 10)).toBeCloseTo(1, 12);
    expect(lrMultiplier('cosine', 6, 2, 10)).toBeCloseTo(0.5, 12);
    expect(lrMultiplier('cosine', 4, 2, 10)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(lrMultiplier('cosine', 10, 2, 10)).toBeCloseTo(0, 12);
  });
  it('constant and constant_with_warmup', () => {
    expect(lrMultiplier('constant', 0, 5, 10)).toBe(1);
    expect([0, 2, 5, 9].map((s) => lrMultiplier('constant_with_warmup', s, 4, 10))).toEqual([0, 0.5, 1, 1]);
  });
  it('warmup ratio rounds up as transformers does', () => {
    expect(warmupStepsFor({ warmupSteps: 0, warmupRatio: 0.1 }, 95)).toBe(10);
    expect(warmupStepsFor({ warmupSteps: 3, warmupRatio: 0.5 }, 95)).toBe(3);
  });
});
