import { describe, expect, it } from 'vitest';
import { semanticSearch } from './semantic_search.js';
import { createUsearchIndex } from './usearch_index.js';

// Corpus rows and their cosine / dot with the query [1, 0] (hand-computed):
//   0: [0, 2]    cos 0      dot 0
//   1: [3, 4]    cos 0.6    dot 3
//   2: [1, 0.1]  cos 0.995  dot 1
//   3: [-1, 0]   cos −1     dot −1
//   4: [6, 8]    cos 0.6    dot 6
const corpus = [
  [0, 2],
  [3, 4],
  [1, 0.1],
  [-1, 0],
  [6, 8],
];

describe('semanticSearch (sentence-transformers util.semantic_search)', () => {
  it('cosine by default: best first, ties by corpus order', async () => {
    const [hits] = await semanticSearch([[1, 0]], corpus, { topK: 3 });
    expect(hits!.map((h) => h.corpusId)).toEqual([2, 1, 4]);
    expect(hits![0]!.score).toBeCloseTo(1 / Math.hypot(1, 0.1), 6);
    expect(hits![1]!.score).toBeCloseTo(0.6, 6);
    expect(hits![2]!.score).toBeCloseTo(0.6, 6);
  });

  it('dot on the rows as given; several queries; topK beyond the corpus gives every row', async () => {
    const r = await semanticSearch(
      [
        [1, 0],
        [0, new Float32Array([1])[0]!],
      ],
      corpus.map((row) => Float32Array.from(row)),
      { scoreFunction: 'dot', topK: 10 },
    );
    expect(r[0]!.map((h) => [h.corpusId, Math.round(h.score * 1000) / 1000])).toEqual([
      [4, 6],
      [1, 3],
      [2, 1],
      [0, 0],
      [3, -1],
    ]);
    expect(r[1]!.map((h) => h.corpusId)).toEqual([4, 1, 0, 2, 3]);
  });

  it('the HNSW index through createIndex gives the same hits on a small corpus', async () => {
    const exact = await semanticSearch([[1, 0]], corpus, { topK: 3 });
    const hnsw = await semanticSearch([[1, 0]], corpus, {
      topK: 3,
      createIndex: (d) => createUsearchIndex(d, { threads: 1 }),
    });
    // Rows 1 and 4 point the same way (a tie HNSW may return in either order).
    expect(hnsw[0]!.map((h) => h.corpusId).sort()).toEqual([1, 2, 4]);
    hnsw[0]!.forEach((h, j) => expect(h.score).toBeCloseTo(exact[0]![j]!.score, 5));
  });

  it('empty inputs, and errors naming the row and the option', async () => {
    expect(await semanticSearch([], corpus)).toEqual([]);
    expect(await semanticSearch([[1, 0]], [])).toEqual([[]]);
    await expect(semanticSearch([[1, 0, 0]], corpus)).rejects.toThrow(
      'semanticSearch: queries[0] has 3 values, expected 2',
    );
    await expect(semanticSearch([[1, 0]], [[1, 0], [1]])).rejects.toThrow(
      'semanticSearch: corpus[1] has 1 values, expected 2',
    );
    await expect(semanticSearch([[1, 0]], corpus, { topK: 0 })).rejects.toThrow(
      /topK must be a positive integer/,
    );
    await expect(semanticSearch([[1, 0]], corpus, { scoreFunction: 'euclidean' as 'dot' })).rejects.toThrow(
      'scoreFunction must be "cosine" or "dot", got "euclidean"',
    );
  });
});
