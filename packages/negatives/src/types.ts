/**
 * Anything that embeds texts: a SentenceEncoder, an HTTP API, transformers.js. The same structural shape as
 * `@contrastive/eval-mteb`'s `Embedder`, declared here so this package needs no model package.
 */
export interface Embedder {
  embed(texts: string[]): Promise<ArrayLike<number>[]> | ArrayLike<number>[];
}

/** Scores (query, passage) pairs, higher = more relevant: a cross-encoder, or a second embedding model. */
export interface Reranker {
  score(pairs: Array<[string, string]>): Promise<number[]>;
}

/** A text generator (an LLM behind any provider): one prompt in, its completion out. */
export interface TextGenerator {
  generate(prompt: string): Promise<string>;
}

/** An input row: a query (anchor) and its positive passage(s). Rows with the same query are merged. */
export interface MiningRow {
  query: string;
  pos: string | readonly string[];
}

/** One unique query with every positive its rows give. */
export interface MiningQuery {
  query: string;
  positives: string[];
  /** Texts that are the same passage as a positive in another spelling (a BEIR passage's bare `text`). */
  aliases?: string[];
}

/** A candidate negative as a miner ranks it; `score` is undefined for miners that do not score. */
export interface Candidate {
  text: string;
  score?: number;
}

/** What a miner returns for one query: candidates best first, and the scores of the query's positives. */
export interface QueryCandidates {
  candidates: Candidate[];
  /** Score of each positive (same order as `MiningQuery.positives`); absent for miners that do not score. */
  positiveScores?: number[];
}

/** Progress of a long stage (`embed corpus`, `search`, ...): called with the done and total counts. */
export type ProgressCallback = (stage: string, done: number, total: number) => void;

/** What mineHardNegatives hands a miner. */
export interface MinerContext {
  /** The corpus the negatives come from, deduplicated, positives included (sentence-transformers' layout). */
  corpus: string[];
  /** Position of each corpus text in `corpus`. */
  corpusIds: ReadonlyMap<string, number>;
  /** Candidates wanted per query (the miner may return fewer when the corpus is small). */
  k: number;
  /** Seed for miners that draw at random. */
  seed: number;
  onProgress?: ProgressCallback;
}

/**
 * A negative miner: ranks corpus passages (or makes texts) as candidate negatives for each query. Filtering
 * positives, score windows, margins and sampling are done once, by mineHardNegatives, for every miner.
 */
export interface NegativeMiner {
  readonly name: string;
  /** Whether candidates carry similarity scores (score filters and margins need them). */
  readonly scored: boolean;
  /** Ranks at least `ctx.k` candidates per query (fewer only when there are not that many). */
  candidates(queries: readonly MiningQuery[], ctx: MinerContext): Promise<QueryCandidates[]>;
}

/** A mined record in FlagEmbedding's shape: the query, its positives, its negatives and their scores. */
export interface MinedRecord {
  query: string;
  pos: string[];
  neg: string[];
  pos_scores?: number[];
  neg_scores?: number[];
  prompt?: string;
}
