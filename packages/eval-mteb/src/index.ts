export type {
  Embedder,
  EvaluateOptions,
  EvaluationResult,
  Evaluator,
  ProgressCallback,
  WarningLogger,
} from './types.js';
export { StsEvaluator, type TaskNaming, defaultWarningLogger } from './evaluators/sts.js';
export {
  ClassificationEvaluator,
  runClassificationExperiments,
  type ClassificationOptions,
} from './evaluators/classification.js';
export { RetrievalEvaluator, retrievalScores, type RetrievalOptions } from './evaluators/retrieval.js';
export { TripletEvaluator } from './evaluators/triplet.js';
export { MseEvaluator } from './evaluators/mse.js';
export { PairClassificationEvaluator } from './evaluators/pair_classification.js';
export { RerankingEvaluator, type RerankingOptions } from './evaluators/reranking.js';
export {
  CrossEncoderClassificationEvaluator,
  CrossEncoderCorrelationEvaluator,
  CrossEncoderRerankingEvaluator,
  type CrossEncoderEvaluator,
  type PairScorer,
} from './evaluators/cross_encoder.js';
export {
  loadStsData,
  loadClassificationData,
  loadTripletData,
  loadPairData,
  loadRerankingData,
  loadBeirData,
  isBeirFolder,
  type StsData,
  type ClassificationData,
  type ClassificationLoadOptions,
  type TripletData,
  type PairData,
  type RerankingSample,
  type RetrievalData,
} from './data.js';
export { writeMtebResult, toMtebResultJson, resultsTable, type MtebResultJson } from './results.js';
export {
  getTask,
  knownTaskNames,
  resolveSplitFile,
  KNOWN_TASKS,
  type GetTaskOptions,
  type TaskSpec,
  type TaskType,
} from './tasks.js';
export { pearson, spearman } from './statistics.js';
export { LogisticRegression, type Label } from './logistic_regression.js';
