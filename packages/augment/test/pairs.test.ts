import { describe, expect, it } from 'vitest';
import { type PairSearcher, randomPairs, topKPairs } from '../src/index.js';

/** Word-overlap (Jaccard) search over a fixed corpus: a stand-in for BM25 or dense search. */
function jaccardSearcher(corpus: readonly string[], calls: number[] = []): PairSearcher {
  const sets = corpus.map((t) => new Set(t.toLowerCase().split(' ')));
  return {
    async search(queries, k) {
      calls.push(queries.length);
      return queries.map((q) => {
        const qs = new Set(q.toLowerCase().split(' '));
        return sets
          .map((s, index) => {
            const inter = [...qs].filter((w) => s.has(w)).length;
            return { index, score: inter / (qs.size + s.size - inter) };
          })
          .sort((a, b) => b.score - a.score || a.index - b.index)
          .slice(0, k);
      });
    },
  };
}

describe('pair sampling for silver data', () => {
  it('random pairs are distinct, unordered-unique, never self or equal texts, and seeded', () => {
    const texts = Array.from({ length: 30 }, (_, i) => `sentence ${i % 25}`); // 5 texts appear twice
    const pairs = randomPairs(texts, { numPairs: 100, seed: 1 });
    expect(pairs).toHaveLength(100);
    const keys = new Set(pairs.map((p) => [p.index1, p.index2].sort((a, b) => a - b).join(',')));
    expect(keys.size).toBe(100);
    for (const p of pairs) {
      expect(p.sentence1).toBe(texts[p.index1]);
      expect(p.sentence2).toBe(texts[p.index2]);
      expect(p.sentence1).not.toBe(p.sentence2);
    }
    expect(randomPairs(texts, { numPairs: 100, seed: 1 })).toEqual(pairs);
    expect(randomPairs(texts, { numPairs: 100, seed: 2 })).not.toEqual(pairs);
    // Asking for every pair: 4 texts have 6 pairs, one of them between equal texts.
    const all = randomPairs(['a', 'b', 'c', 'a'], { numPairs: 10, seed: 3 });
    expect(all).toHaveLength(5);
    expect(() => randomPairs(texts, { numPairs: -1 })).toThrow(/non-negative integer/);
  });

  it('top-k pairs take each text’s best hits, skipping itself, equal texts and repeated pairs', async () => {
    const texts = [
      'a man plays guitar', // 0
      'a man plays a guitar on stage', // 1
      'the cat sleeps on the sofa', // 2
      'a cat sleeps', // 3
      'a man plays guitar', // 4: equal to 0
    ];
    const calls: number[] = [];
    const pairs = await topKPairs(texts, jaccardSearcher(texts, calls), { k: 1, batchSize: 2 });
    // Best non-self, non-equal hit per text: 0→1, 1→0 (repeat of 0-1, skipped), 2→3, 3→2 (repeat), 4→1.
    // Texts 0 and 4 first get [self, twin] (2 hits for k = 1) and are asked again for 4.
    expect(pairs.map((p) => [p.index1, p.index2])).toEqual([
      [0, 1],
      [2, 3],
      [4, 1],
    ]);
    expect(pairs[0]!.score).toBeCloseTo(4 / 6);
    expect(calls).toEqual([2, 1, 2, 1, 1]);
    const k2 = await topKPairs(texts, jaccardSearcher(texts), { k: 2 });
    expect(k2.length).toBeGreaterThan(pairs.length);
    expect(new Set(k2.map((p) => [p.index1, p.index2].sort().join())).size).toBe(k2.length);
  });

  it('rejects a searcher that answers the wrong shape', async () => {
    const bad: PairSearcher = { search: async (q) => q.map(() => [{ index: 99, score: 1 }]) };
    await expect(topKPairs(['a', 'b'], bad)).rejects.toThrow(/hit index 99 for text 0 is outside 0\.\.1/);
    const short: PairSearcher = { search: async () => [] };
    await expect(topKPairs(['a', 'b'], short)).rejects.toThrow(/returned 0 hit lists for 2 queries/);
  });
});
