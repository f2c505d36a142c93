import { type EmbeddingMatrix, embedTexts } from './embedding_cache.js';
import type { Embedder, MinerContext, MiningQuery, NegativeMiner, QueryCandidates } from './types.js';
import { type VectorIndexFactory, exactVectorIndex } from './vector_index.js';

/** Options of DenseMiner. */
export interface DenseMinerOptions {
  /** Prepended to queries for mining only (FlagEmbedding's `query_instruction_for_retrieval`). */
  queryPrompt?: string;
  /** Prepended to corpus passages for mining only. */
  corpusPrompt?: string;
  /** Folder for cached embeddings (keyed by `cacheKey` and each text's hash); none → no cache. */
  cacheDir?: string;
  /** Identifies the model, e.g. its path or hub id (and revision); required with cacheDir. */
  cacheKey?: string;
  /** Texts per embed call (default 256). */
  batchSize?: number;
  /** Builds the vector index (default exact chunked search; `createUsearchIndex` for HNSW). */
  createIndex?: VectorIndexFactory;
}

/**
 * Semantic hard negatives: queries and corpus embedded once (normalized, cosine similarity), the corpus put
 * in a VectorIndex, each query's top k searched in chunks (a 100k × 100k score matrix never exists).
 */
export class DenseMiner implements NegativeMiner {
  readonly name = 'dense';
  readonly scored = true;

  constructor(
    readonly embedder: Embedder,
    readonly options: DenseMinerOptions = {},
  ) {
    if (options.cacheDir !== undefined && options.cacheKey === undefined)
      throw new Error('DenseMiner: cacheDir needs a cacheKey naming the model');
  }

  /** Embeds texts (with a prompt) through the cache. */
  async embed(
    texts: readonly string[],
    prompt: string | undefined,
    stage: string,
    ctx: MinerContext,
  ): Promise<EmbeddingMatrix> {
    const prompted = prompt ? texts.map((t) => prompt + t) : texts;
    return embedTexts(this.embedder, prompted, {
      cacheDir: this.options.cacheDir,
      cacheKey: this.options.cacheKey,
      batchSize: this.options.batchSize,
      onProgress: (done, total) => ctx.onProgress?.(stage, done, total),
    });
  }

  async candidates(queries: readonly MiningQuery[], ctx: MinerContext): Promise<QueryCandidates[]> {
    const corpus = await this.embed(ctx.corpus, this.options.corpusPrompt, 'embed corpus', ctx);
    const qs = await this.embed(
      queries.map((q) => q.query),
      this.options.queryPrompt,
      'embed queries',
      ctx,
    );
    const d = corpus.dimension;
    const index = await (this.options.createIndex ?? exactVectorIndex)(d);
    ctx.onProgress?.('build index', 0, corpus.count);
    await index.add(corpus.data);
    ctx.onProgress?.('build index', corpus.count, corpus.count);
    const hits = await index.search(qs.data, ctx.k, (done, total) => ctx.onProgress?.('search', done, total));
    return queries.map((q, qi) => {
      const candidates = [];
      for (let j = 0; j < hits.k; j++) {
        const id = hits.indices[qi * hits.k + j]!;
        if (id < 0) break;
        candidates.push({ text: ctx.corpus[id]!, score: hits.scores[qi * hits.k + j]! });
      }
      const positiveScores = q.positives.map((p) => dot(qs.data, qi, corpus.data, ctx.corpusIds.get(p)!, d));
      return { candidates, positiveScores };
    });
  }
}

/** ⟨a[i], b[j]⟩ of two row-major matrices. */
export function dot(a: Float32Array, i: number, b: Float32Array, j: number, d: number): number {
  let s = 0;
  for (let x = 0; x < d; x++) s += a[i * d + x]! * b[j * d + x]!;
  return Math.fround(s);
}
