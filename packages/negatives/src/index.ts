export type {
  Candidate,
  Embedder,
  MinedRecord,
  MinerContext,
  MiningQuery,
  MiningRow,
  NegativeMiner,
  ProgressCallback,
  QueryCandidates,
  Reranker,
  TextGenerator,
} from './types.js';
export { type Analyzer, type AnalyzerOptions, ENGLISH_STOP_WORDS, createAnalyzer } from './analyzer.js';
export { Bm25Index, type Bm25Hits, type Bm25Options } from './bm25.js';
export {
  type ExactIndexOptions,
  ExactVectorIndex,
  type SearchResults,
  type VectorIndex,
  type VectorIndexFactory,
  normalizeRows,
  toNormalizedMatrix,
} from './vector_index.js';
export { type UsearchIndexOptions, createUsearchIndex } from './usearch_index.js';
export {
  type SemanticSearchHit,
  type SemanticSearchOptions,
  semanticSearch,
} from './semantic_search.js';
export {
  type EmbedTextsOptions,
  type EmbeddingMatrix,
  embedTexts,
  embeddingCacheFile,
} from './embedding_cache.js';
export {
  type MineOptions,
  type MiningResult,
  type MiningStats,
  groupRows,
  mineHardNegatives,
} from './mine.js';
export { RandomMiner } from './random_miner.js';
export { Bm25Miner } from './bm25_miner.js';
export { DenseMiner, type DenseMinerOptions } from './dense_miner.js';
export { HybridMiner, type HybridMinerOptions } from './hybrid_miner.js';
export {
  LLM_NEGATIVES_PROMPT,
  type LlmMinerOptions,
  LlmNegativeMiner,
  fillTemplate,
  parseGeneratedTexts,
} from './llm_miner.js';
export { EmbedderReranker } from './reranker.js';
export {
  OUTPUT_FORMATS,
  type OutputFormat,
  formatRecords,
  toLabeledPairs,
  toNTuples,
  toTriplets,
} from './formats.js';
