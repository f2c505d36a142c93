import { type VectorIndexFactory, exactVectorIndex, normalizeRows, toMatrix } from './vector_index.js';

/** Options of semanticSearch. */
export interface SemanticSearchOptions {
  /** Hits per query (default 10), best first; fewer when the corpus is smaller. */
  topK?: number;
  /** `cosine` (default; rows normalized first) or `dot` (the rows as given), as sentence-transformers' `cos_sim` / `dot_score`. */
  scoreFunction?: 'cosine' | 'dot';
  /** The index searched (default exact search; `createUsearchIndex` for HNSW on large corpora). */
  createIndex?: VectorIndexFactory;
}

/** One hit: the corpus row and its score. */
export interface SemanticSearchHit {
  corpusId: number;
  score: number;
}

/**
 * The `topK` corpus embeddings most similar to each query embedding (sentence-transformers'
 * `util.semantic_search`): one list per query of `{ corpusId, score }`, best first, ties by corpus order. Exact
 * search in query chunks × corpus blocks by default, so no queries × corpus score matrix is built.
 */
export async function semanticSearch(
  queries: readonly ArrayLike<number>[],
  corpus: readonly ArrayLike<number>[],
  options: SemanticSearchOptions = {},
): Promise<SemanticSearchHit[][]> {
  const topK = options.topK ?? 10;
  if (!Number.isInteger(topK) || topK < 1)
    throw new RangeError(`semanticSearch: topK must be a positive integer, got ${topK}`);
  const scoreFunction = options.scoreFunction ?? 'cosine';
  if (scoreFunction !== 'cosine' && scoreFunction !== 'dot')
    throw new RangeError(`semanticSearch: scoreFunction must be "cosine" or "dot", got "${scoreFunction}"`);
  const d = corpus[0]?.length ?? queries[0]?.length ?? 0;
  if (queries.length === 0) return [];
  if (corpus.length === 0) return queries.map(() => []);
  const q = toMatrix(queries, d, (i) => `semanticSearch: queries[${i}]`);
  const c = toMatrix(corpus, d, (i) => `semanticSearch: corpus[${i}]`);
  if (scoreFunction === 'cosine') {
    normalizeRows(q, d);
    normalizeRows(c, d);
  }
  const index = await (options.createIndex ?? exactVectorIndex)(d);
  await index.add(c);
  const k = Math.min(topK, corpus.length);
  const r = await index.search(q, k);
  return queries.map((_, qi) => {
    const hits: SemanticSearchHit[] = [];
    for (let j = 0; j < r.k; j++) {
      const id = r.indices[qi * r.k + j]!;
      if (id >= 0) hits.push({ corpusId: id, score: r.scores[qi * r.k + j]! });
    }
    return hits;
  });
}
