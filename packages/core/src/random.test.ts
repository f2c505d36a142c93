import { describe, expect, it } from 'vitest';
import { mixSeed, mulberry32, normalSamples, permutation, shuffleWith } from './random.js';

describe('mulberry32', () => {
  it('matches the reference sequence (values from an independent Python port)', () => {
    const random = mulberry32(1);
    expect(random()).toBeCloseTo(0.6270739405881613, 15);
    expect(random()).toBeCloseTo(0.002735721180215478, 15);
    expect(random()).toBeCloseTo(0.5274470399599522, 15);
    expect(mulberry32(42)()).toBeCloseTo(0.6011037519201636, 15);
    // Seeds are taken as unsigned 32-bit: -1 and 2^32 - 1 are the same generator.
    expect(mulberry32(-1)()).toBe(mulberry32(0xffffffff)());
  });

  it('is in [0, 1) and roughly uniform', () => {
    const random = mulberry32(7);
    const xs = Array.from({ length: 10_000 }, () => random());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
  });
});

describe('permutation and shuffleWith', () => {
  it('is Fisher–Yates from the last position down (hand-computed on n = 3)', () => {
    // mulberry32(1) draws 0.627…, 0.0027…: i=2 → j=floor(0.627·3)=1 → [0,2,1]; i=1 → j=0 → [2,0,1].
    expect(permutation(3, 1)).toEqual([2, 0, 1]);
    expect(shuffleWith(['a', 'b', 'c'], mulberry32(1))).toEqual(['c', 'a', 'b']);
    expect(permutation(0, 1)).toEqual([]);
    expect(permutation(1, 1)).toEqual([0]);
  });

  it('a seed and mulberry32(seed) give the same permutation; a shared generator keeps advancing', () => {
    const p = permutation(100, 7);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(permutation(100, mulberry32(7))).toEqual(p);
    expect(permutation(100, 8)).not.toEqual(p);
    // n - 1 draws per shuffle: the second permutation from one stream starts at draw n - 1.
    const stream = mulberry32(3);
    permutation(4, stream);
    const skip = mulberry32(3);
    for (let i = 0; i < 3; i++) skip();
    expect(permutation(5, stream)).toEqual(permutation(5, skip));
    expect(shuffleWith(['a'], mulberry32(3))).toEqual(['a']);
    expect(() => permutation(-1, 1)).toThrow('permutation: n must be a non-negative integer, got -1');
  });

  it('does not modify its input', () => {
    const items = [1, 2, 3, 4];
    shuffleWith(items, mulberry32(9));
    expect(items).toEqual([1, 2, 3, 4]);
  });
});

describe('mixSeed', () => {
  // An independent BigInt reference: h = (h ^ p) · 0x01000193 mod 2^32, then h ^= h >> 15.
  function reference(...parts: number[]): number {
    let h = 0x811c9dc5n;
    for (const p of parts) {
      h = ((h ^ BigInt(p >>> 0)) * 0x01000193n) % 2n ** 32n;
      h ^= h >> 15n;
    }
    return Number(h);
  }

  it('matches the reference and separates order and length', () => {
    expect(mixSeed()).toBe(0x811c9dc5);
    for (const parts of [[1, 2], [2, 1], [42, 0, 0], [0xffffffff, 7], [-3]]) {
      expect(mixSeed(...parts)).toBe(reference(...parts));
    }
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
    expect(mixSeed(1, 2, 0)).not.toBe(mixSeed(1, 2));
  });
});

describe('normalSamples', () => {
  it('is Box–Muller on pairs of uniforms (hand-computed)', () => {
    // u1 = 0.5, u2 = 0.25: r = sqrt(-2 ln 0.5)·std, angle π/2 → (≈0, r); the odd tail keeps only the cos.
    const draws = [0.5, 0.25, 0.5, 0];
    let k = 0;
    const s = normalSamples(3, 2, () => draws[k++]!);
    const r = Math.sqrt(2 * Math.LN2) * 2;
    expect(s[0]).toBeCloseTo(0, 6);
    expect(s[1]).toBeCloseTo(r, 6);
    expect(s[2]).toBeCloseTo(r, 6);
    expect(k).toBe(4);
  });

  it('has the requested standard deviation', () => {
    const s = normalSamples(20_001, 0.02, mulberry32(1));
    const mean = s.reduce((t, x) => t + x, 0) / s.length;
    const std = Math.sqrt(s.reduce((t, x) => t + (x - mean) ** 2, 0) / s.length);
    expect(Math.abs(mean)).toBeLessThan(0.001);
    expect(std).toBeGreaterThan(0.0195);
    expect(std).toBeLessThan(0.0205);
  });
});
