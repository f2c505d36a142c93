import { describe, expect, it } from 'vitest';
import { TopK, compareHits, searchBlock } from './top_k.js';

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

describe('TopK', () => {
  it('keeps the k best, ties broken by id descending as trec_eval sorts', () => {
    const top = new TopK(3);
    for (const [id, s] of [
      ['a', 0.5],
      ['b', 0.9],
      ['c', 0.5],
      ['d', 0.1],
      ['e', 0.5],
    ] as const)
      top.push(id, s);
    expect(top.sorted().map((h) => h.id)).toEqual(['b', 'e', 'c']);
  });
});

describe('searchBlock', () => {
  const rand = lcg(1);
  const dim = 8;
  const vec = () => Float64Array.from({ length: dim }, () => rand());
  const queryIds = Array.from({ length: 5 }, (_, i) => `q${i}`);
  const queries = queryIds.map(vec);
  // One document shares an id with a query and is the query's own vector: it must never be returned.
  const docIds = Array.from({ length: 53 }, (_, i) => (i === 7 ? 'q2' : `d${i}`));
  const docs = docIds.map((id, i) => (i === 7 ? Float64Array.from(queries[2]!) : vec()));

  function bruteForce(k: number) {
    return queries.map((q, qi) =>
      docIds
        .map((id, d) => ({ id, score: docs[d]!.reduce((s, v, j) => s + v * q[j]!, 0) }))
        .filter((h) => h.id !== queryIds[qi])
        .sort(compareHits)
        .slice(0, k)
        .map((h) => h.id),
    );
  }

  for (const chunk of [1, 7, 53]) {
    it(`in chunks of ${chunk} equals brute-force ranking`, () => {
      const heaps = queries.map(() => new TopK(10));
      for (let start = 0; start < docs.length; start += chunk) {
        searchBlock(
          queryIds,
          queries,
          docIds.slice(start, start + chunk),
          docs.slice(start, start + chunk),
          heaps,
          {
            k: 10,
          },
        );
      }
      expect(heaps.map((h) => h.sorted().map((x) => x.id))).toEqual(bruteForce(10));
      expect(heaps[2]!.sorted().some((h) => h.id === 'q2')).toBe(false);
    });
  }

  it('returns the identical id when asked to keep it', () => {
    const heaps = queries.map(() => new TopK(1));
    searchBlock(queryIds, queries, docIds, docs, heaps, { k: 1, ignoreIdenticalIds: false });
    expect(heaps[2]!.sorted()[0]!.id).toBe('q2');
  });
});
