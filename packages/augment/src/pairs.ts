import { mulberry32, randInt, shuffleInPlace } from './internal/rng.js';

/** One hit of a search: the corpus index and its score (higher is more similar). */
export interface SearchHit {
  index: number;
  score: number;
}

/**
 * Anything that finds, for each query, the k most similar texts of a corpus it was built on — BM25 or dense
 * search from @contrastive/negatives, or a vector database. Hits are best first.
 */
export interface PairSearcher {
  search(queries: string[], k: number): Promise<SearchHit[][]>;
}

/** An unlabeled pair for Augmented SBERT's silver data (to be labeled by a cross-encoder). */
export interface SilverPair {
  sentence1: string;
  sentence2: string;
  index1: number;
  index2: number;
  /** The searcher's score (top-k pairs only). */
  score?: number;
}

const pairKey = (i: number, j: number) => (i < j ? `${i},${j}` : `${j},${i}`);

/**
 * `numPairs` distinct random pairs (i ≠ j, unordered, texts not equal), seeded. Fewer when the texts do not
 * have that many such pairs.
 */
export function randomPairs(
  texts: readonly string[],
  options: { numPairs: number; seed?: number },
): SilverPair[] {
  const { numPairs } = options;
  if (!Number.isInteger(numPairs) || numPairs < 0)
    throw new Error(`randomPairs: numPairs must be a non-negative integer, got ${numPairs}`);
  const n = texts.length;
  const random = mulberry32(options.seed ?? 0);
  const possible = (n * (n - 1)) / 2;
  const out: SilverPair[] = [];
  const make = (i: number, j: number): SilverPair => ({
    sentence1: texts[i]!,
    sentence2: texts[j]!,
    index1: i,
    index2: j,
  });
  if (numPairs * 2 >= possible) {
    // Asking for most pairs: enumerate and shuffle rather than rejection-sample.
    const all: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (texts[i] !== texts[j]) all.push([i, j]);
    shuffleInPlace(all, random);
    for (const [i, j] of all.slice(0, numPairs)) out.push(random() < 0.5 ? make(i, j) : make(j, i));
    return out;
  }
  const seen = new Set<string>();
  for (let tries = 0; out.length < numPairs && tries < numPairs * 100; tries++) {
    const i = randInt(random, n);
    const j = randInt(random, n);
    if (i === j || texts[i] === texts[j] || seen.has(pairKey(i, j))) continue;
    seen.add(pairKey(i, j));
    out.push(make(i, j));
  }
  return out;
}

export interface TopKPairsOptions {
  /** Pairs per text (default 3). */
  k?: number;
  /** Queries per search call (default 256). */
  batchSize?: number;
  onProgress?: (done: number) => void;
}

/**
 * Augmented SBERT's pair sampling by search: each text is paired with its k best hits among `texts`, itself and
 * equal texts skipped, each unordered pair once (as sentence-transformers' BM25 and semantic-search recipes).
 * `searcher` must have been built on `texts`, so hit indices are indices into it.
 */
export async function topKPairs(
  texts: readonly string[],
  searcher: PairSearcher,
  options: TopKPairsOptions = {},
): Promise<SilverPair[]> {
  const k = options.k ?? 3;
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(k) || k < 1) throw new Error(`topKPairs: k must be a positive integer, got ${k}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`topKPairs: batchSize must be a positive integer, got ${batchSize}`);
  // Hits for one query: its self-match and equal texts are skipped, so when they fill the list the query is
  // asked again with twice as many hits, until k are found or the corpus is exhausted.
  const take = (i: number, hits: SearchHit[], pairs: SilverPair[]): boolean => {
    let taken = 0;
    for (const hit of hits) {
      if (!Number.isInteger(hit.index) || hit.index < 0 || hit.index >= texts.length)
        throw new Error(`topKPairs: hit index ${hit.index} for text ${i} is outside 0..${texts.length - 1}`);
      const j = hit.index;
      if (j === i || texts[j] === texts[i]) continue;
      if (++taken > k) break;
      pairs.push({ sentence1: texts[i]!, sentence2: texts[j]!, index1: i, index2: j, score: hit.score });
    }
    return taken >= k;
  };
  const search = async (queries: number[], want: number): Promise<SearchHit[][]> => {
    const results = await searcher.search(
      queries.map((i) => texts[i]!),
      want,
    );
    if (results.length !== queries.length)
      throw new Error(
        `topKPairs: the searcher returned ${results.length} hit lists for ${queries.length} queries`,
      );
    return results;
  };
  const out: SilverPair[] = [];
  const seen = new Set<string>();
  for (let start = 0; start < texts.length; start += batchSize) {
    const batch = Array.from({ length: Math.min(batchSize, texts.length - start) }, (_, q) => start + q);
    const found = new Map<number, SilverPair[]>();
    let pending = batch;
    let want = Math.min(k + 1, texts.length);
    while (pending.length > 0) {
      const results = await search(pending, want);
      const again: number[] = [];
      for (const [q, hits] of results.entries()) {
        const i = pending[q]!;
        const pairs: SilverPair[] = [];
        if (!take(i, hits, pairs) && hits.length >= want && want < texts.length) again.push(i);
        found.set(i, pairs);
      }
      pending = again;
      want = Math.min(want * 2, texts.length);
    }
    for (const i of batch)
      for (const pair of found.get(i)!) {
        const key = pairKey(pair.index1, pair.index2);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(pair);
      }
    options.onProgress?.(start + batch.length);
  }
  return out;
}
