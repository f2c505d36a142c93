import { Bm25Index, type Bm25Options } from './bm25.js';
import { DenseMiner, type DenseMinerOptions, dot } from './dense_miner.js';
import type { Embedder, MinerContext, MiningQuery, NegativeMiner, QueryCandidates } from './types.js';

/** Options of HybridMiner. */
export interface HybridMinerOptions extends DenseMinerOptions {
  bm25?: Bm25Options;
  /** BM25 candidates per query re-ranked by the dense model (default max(k, 100)). */
  lexicalCandidates?: number;
}

/**
 * Lexical recall, semantic order: each query's BM25 top candidates re-ranked by dense cosine similarity
 * (the scores are the dense ones, so margins and max/min score read as with DenseMiner).
 */
export class HybridMiner implements NegativeMiner {
  readonly name = 'hybrid';
  readonly scored = true;
  private readonly dense: DenseMiner;

  constructor(
    embedder: Embedder,
    private readonly options: HybridMinerOptions = {},
  ) {
    this.dense = new DenseMiner(embedder, options);
  }

  async candidates(queries: readonly MiningQuery[], ctx: MinerContext): Promise<QueryCandidates[]> {
    const lexical = new Bm25Index(ctx.corpus, this.options.bm25);
    const corpus = await this.dense.embed(ctx.corpus, this.options.corpusPrompt, 'embed corpus', ctx);
    const qs = await this.dense.embed(
      queries.map((q) => q.query),
      this.options.queryPrompt,
      'embed queries',
      ctx,
    );
    const d = corpus.dimension;
    const n = Math.max(ctx.k, this.options.lexicalCandidates ?? 100);
    const scratch = new Float32Array(ctx.corpus.length);
    return queries.map((q, qi) => {
      const hits = lexical.search(q.query, n, scratch);
      const candidates = hits.indices
        .map((id) => ({ text: ctx.corpus[id]!, score: dot(qs.data, qi, corpus.data, id, d) }))
        .sort((a, b) => b.score - a.score);
      if (qi % 256 === 255 || qi === queries.length - 1)
        ctx.onProgress?.('hybrid rerank', qi + 1, queries.length);
      return {
        candidates,
        positiveScores: q.positives.map((p) => dot(qs.data, qi, corpus.data, ctx.corpusIds.get(p)!, d)),
      };
    });
  }
}
