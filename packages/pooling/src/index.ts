export {
  clsPooling,
  meanPooling,
  maxPooling,
  meanSqrtLenPooling,
  weightedMeanPooling,
  lastTokenPooling,
  pool,
  normalize,
} from './pooling.js';
export type { PoolingMode, PoolOptions } from './pooling.js';
export {
  parsePoolingConfig,
  parsePoolingMode,
  poolingConfigToJson,
  readPoolingConfig,
  writePoolingConfig,
  pooledDimension,
} from './config.js';
export type { PoolingConfig, PoolingConfigJson } from './config.js';
export {
  cosineSimilarity,
  dotScore,
  euclideanSimilarity,
  manhattanSimilarity,
  pairwiseSimilarity,
  similarity,
  parseSimilarityFunction,
  embeddingSimilarity,
  pairwiseEmbeddingSimilarity,
} from './similarity.js';
export type { EmbeddingRows, SimilarityFunction } from './similarity.js';
export {
  type EmbeddingPrecision,
  type QuantizeOptions,
  type QuantizedRows,
  quantizeEmbeddings,
} from './quantize.js';
