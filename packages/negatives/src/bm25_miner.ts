import { Bm25Index, type Bm25Options } from './bm25.js';
import type { MinerContext, MiningQuery, NegativeMiner, QueryCandidates } from './types.js';

/** Lexical hard negatives: the corpus ranked by Okapi BM25 against each query. */
export class Bm25Miner implements NegativeMiner {
  readonly name = 'bm25';
  readonly scored = true;

  constructor(private readonly options: Bm25Options = {}) {}

  async candidates(queries: readonly MiningQuery[], ctx: MinerContext): Promise<QueryCandidates[]> {
    const index = new Bm25Index(ctx.corpus, this.options);
    const scratch = new Float32Array(ctx.corpus.length);
    const out: QueryCandidates[] = [];
    for (const [qi, q] of queries.entries()) {
      const hits = index.search(q.query, ctx.k, scratch);
      // search() leaves every document's score in scratch, so the positives' scores cost nothing more.
      const positiveScores = q.positives.map((p) => scratch[ctx.corpusIds.get(p)!]!);
      out.push({
        candidates: hits.indices.map((i, j) => ({ text: ctx.corpus[i]!, score: hits.scores[j]! })),
        positiveScores,
      });
      if (qi % 256 === 255 || qi === queries.length - 1)
        ctx.onProgress?.('bm25 search', qi + 1, queries.length);
    }
    return out;
  }
}
