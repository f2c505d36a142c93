import { describe, expect, it } from 'vitest';
import { mulberry32 } from './internal/random.js';
import { createUsearchIndex } from './usearch_index.js';
import { ExactVectorIndex, normalizeRows } from './vector_index.js';

function randomMatrix(n: number, d: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return normalizeRows(
    Float32Array.from({ length: n * d }, () => r() * 2 - 1),
    d,
  );
}

/** Reference: all scores of one query, sorted, in float64. */
function bruteForce(queries: Float32Array, corpus: Float32Array, d: number, q: number, k: number) {
  const n = corpus.length / d;
  const scored = Array.from({ length: n }, (_, c) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += queries[q * d + j]! * corpus[c * d + j]!;
    return { c, s };
  });
  return scored.sort((a, b) => b.s - a.s || a.c - b.c).slice(0, k);
}

describe('ExactVectorIndex', () => {
  it('chunked search equals brute force, across query chunks and corpus blocks', () => {
    const d = 6;
    const corpus = randomMatrix(53, d, 1);
    const queries = randomMatrix(11, d, 2);
    const index = new ExactVectorIndex(d, { queryChunk: 3, corpusBlock: 7 });
    index.add(corpus.subarray(0, 20 * d));
    index.add(corpus.subarray(20 * d));
    expect(index.size).toBe(53);
    const progress: number[] = [];
    const r = index.search(queries, 5, (done) => progress.push(done));
    expect(progress).toEqual([3, 6, 9, 11]);
    for (let q = 0; q < 11; q++) {
      const ref = bruteForce(queries, corpus, d, q, 5);
      expect([...r.indices.subarray(q * 5, q * 5 + 5)]).toEqual(ref.map((x) => x.c));
      ref.forEach((x, j) => expect(r.scores[q * 5 + j]).toBeCloseTo(x.s, 5));
    }
  });

  it('pads with −1 when k exceeds the corpus, and checks shapes', () => {
    const index = new ExactVectorIndex(2);
    index.add(new Float32Array([1, 0, 0, 1]));
    const r = index.search(new Float32Array([1, 0]), 3);
    expect([...r.indices]).toEqual([0, 1, -1]);
    expect(r.scores[2]).toBe(Number.NEGATIVE_INFINITY);
    expect(() => index.add(new Float32Array(3))).toThrow(/not a multiple of dimension 2/);
  });
});

describe('createUsearchIndex (optional peer)', () => {
  it('finds the top-5 of a small corpus with their exact scores (HNSW recall near 1 here)', async () => {
    const d = 8;
    const corpus = randomMatrix(300, d, 3);
    const queries = randomMatrix(20, d, 4);
    // One build thread: the same graph on every run (several threads insert in a racy order, and a graph built that
    // way missed a top-1 here once under the full suite's load).
    const build = async () => {
      const index = await createUsearchIndex(d, { expansionSearch: 300, threads: 1 });
      await index.add(corpus);
      return index.search(queries, 5);
    };
    const r = await build();
    expect([...(await build()).indices]).toEqual([...r.indices]);
    let hits = 0;
    for (let q = 0; q < 20; q++) {
      const ref = bruteForce(queries, corpus, d, q, 5).map((x) => x.c);
      const found = [...r.indices.subarray(q * 5, q * 5 + 5)];
      hits += found.filter((c) => ref.includes(c)).length;
      expect(r.scores[q * 5]).toBeCloseTo(bruteForce(queries, corpus, d, q, 1)[0]!.s, 4);
      // Each result's key and score are its own: the score is the inner product with that corpus row, in order.
      found.forEach((c, j) => {
        let s = 0;
        for (let i = 0; i < d; i++) s += queries[q * d + i]! * corpus[c * d + i]!;
        expect(r.scores[q * 5 + j]).toBeCloseTo(s, 4);
        if (j > 0) expect(r.scores[q * 5 + j]).toBeLessThanOrEqual(r.scores[q * 5 + j - 1]!);
      });
    }
    // Approximate, not exact: HNSW may miss a neighbour, so recall has a bound rather than an exact value.
    expect(hits / 100).toBeGreaterThanOrEqual(0.9);
  });
});
