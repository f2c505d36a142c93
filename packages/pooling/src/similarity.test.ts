import { initBackend, tf } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  embeddingSimilarity,
  pairwiseEmbeddingSimilarity,
  pairwiseSimilarity,
  parseSimilarityFunction,
  similarity,
} from './similarity.js';

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

describe('embeddingSimilarity on host rows (hand-computed, and equal to the tensor functions)', () => {
  it('all-pairs: the same values as above, in float64', () => {
    const cos = embeddingSimilarity('cosine', a, b);
    expect(cos[0]![0]).toBe(0);
    expect(cos[1]![1]).toBeCloseTo(1, 15);
    expect(cos[1]![2]).toBeCloseTo(-7 / (5 * Math.SQRT2), 15);
    expect(embeddingSimilarity('dot', a, b)).toEqual([
      [0, 3, -1],
      [8, 25, -7],
    ]);
    expect(embeddingSimilarity('euclidean', a, b)[0]![0]).toBeCloseTo(-Math.sqrt(5), 15);
    expect(embeddingSimilarity('manhattan', a, b).map((r) => r.map((v) => v + 0))).toEqual([
      [-3, -6, -3],
      [-5, 0, -9],
    ]);
    for (const fn of ['cosine', 'dot', 'euclidean', 'manhattan'] as const) {
      const t = tf.tidy(() => similarity(fn, tf.tensor2d(a), tf.tensor2d(b)).arraySync());
      embeddingSimilarity(fn, a, b).forEach((row, i) =>
        row.forEach((v, j) => expect(v).toBeCloseTo(t[i]![j]!, 5)),
      );
    }
  });

  it('pairwise, a zero vector, Float32Array rows and bad shapes', () => {
    expect(pairwiseEmbeddingSimilarity('dot', a, b.slice(0, 2))).toEqual([0, 25]);
    expect(
      pairwiseEmbeddingSimilarity('cosine', [new Float32Array([0, 0])], [new Float32Array([1, 2])]),
    ).toEqual([0]);
    expect(() => embeddingSimilarity('dot', a, [[1, 2, 3]])).toThrow(
      "embeddingSimilarity: b[0] has 3 values, expected 2 (the first row's)",
    );
    expect(() => pairwiseEmbeddingSimilarity('dot', a, b)).toThrow(
      'pairwiseEmbeddingSimilarity: 2 rows in a, 3 in b (pairs need as many)',
    );
    expect(embeddingSimilarity('cosine', [], b)).toEqual([]);
  });
});
