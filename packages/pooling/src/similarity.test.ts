import { initBackend, tf } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { pairwiseSimilarity, parseSimilarityFunction, similarity } from './similarity.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

const a = [
  [1, 0],
  [3, 4],
];
const b = [
  [0, 2],
  [3, 4],
  [-1, -1],
];

describe('similarity functions (hand-computed)', () => {
  it('all-pairs', () => {
    const get = (fn: Parameters<typeof similarity>[0]) =>
      tf.tidy(() => similarity(fn, tf.tensor2d(a), tf.tensor2d(b)).arraySync());
    const cos = get('cosine');
    expect(cos[0]![0]).toBeCloseTo(0, 6);
    expect(cos[1]![1]).toBeCloseTo(1, 6);
    expect(cos[1]![2]).toBeCloseTo(-7 / (5 * Math.SQRT2), 6);
    expect(get('dot')).toEqual([
      [0, 3, -1],
      [8, 25, -7],
    ]);
    const eu = get('euclidean');
    expect(eu[0]![0]).toBeCloseTo(-Math.sqrt(5), 5);
    expect(eu[1]![1]).toBeCloseTo(0, 5);
    expect(get('manhattan').map((r) => r.map((v) => v + 0))).toEqual([
      [-3, -6, -3],
      [-5, 0, -9],
    ]);
  });
  it('pairwise', () => {
    const p = tf.tidy(() =>
      pairwiseSimilarity('manhattan', tf.tensor2d(a), tf.tensor2d(b.slice(0, 2))).arraySync(),
    );
    expect(p.map((v) => v + 0)).toEqual([-3, 0]);
    const c = tf.tidy(() =>
      pairwiseSimilarity('cosine', tf.tensor2d(a), tf.tensor2d(b.slice(0, 2))).arraySync(),
    );
    expect(c[0]).toBeCloseTo(0, 6);
    expect(c[1]).toBeCloseTo(1, 6);
  });
  it('parses sentence-transformers names', () => {
    expect(parseSimilarityFunction('cos_sim')).toBe('cosine');
    expect(parseSimilarityFunction('dot_score')).toBe('dot');
    expect(parseSimilarityFunction('euclidean')).toBe('euclidean');
    expect(() => parseSimilarityFunction('hamming')).toThrow(/unknown similarity function "hamming"/);
  });
});
