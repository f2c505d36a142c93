import { describe, expect, it } from 'vitest';
import { mixSeed, mulberry32, normalSamples, permutation } from './random.js';

describe('seeded randomness', () => {
  it('mulberry32 is reproducible, in [0, 1) and roughly uniform', () => {
    const a = mulberry32(7);
    const b = mulberry32(7);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
  });
  it('normalSamples has the requested standard deviation', () => {
    const s = normalSamples(20_001, 0.02, mulberry32(1));
    const mean = s.reduce((t, x) => t + x, 0) / s.length;
    const std = Math.sqrt(s.reduce((t, x) => t + (x - mean) ** 2, 0) / s.length);
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(std).toBeGreaterThan(0.0195);
    expect(std).toBeLessThan(0.0205);
  });
  it('permutation is a seeded permutation; mixSeed separates its inputs', () => {
    const p = permutation(50, mulberry32(3));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(permutation(50, mulberry32(3))).toEqual(p);
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
    expect(mixSeed(1, 2, 0)).not.toBe(mixSeed(1, 2));
  });
});
