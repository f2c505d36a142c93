import { describe, expect, it } from 'vitest';
import { mulberry32, permutation, shuffleWith } from './rng.js';

describe('mulberry32', () => {
  it('matches the reference sequence (values from an independent Python port)', () => {
    const random = mulberry32(1);
    expect(random()).toBeCloseTo(0.6270739405881613, 15);
    expect(random()).toBeCloseTo(0.002735721180215478, 15);
    expect(random()).toBeCloseTo(0.5274470399599522, 15);
    expect(mulberry32(42)()).toBeCloseTo(0.6011037519201636, 15);
  });

  it('gives permutations that depend on the seed only', () => {
    const p = permutation(100, 7);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(permutation(100, 7)).toEqual(p);
    expect(permutation(100, 8)).not.toEqual(p);
    expect(shuffleWith(['a'], mulberry32(3))).toEqual(['a']);
  });
});
