/**
 * Anything that turns texts into vectors: our `SentenceEncoder`, a transformers.js pipeline wrapped in a
 * function, an HTTP embedding API... Evaluators depend on nothing else.
 */
export interface Embedder {
  embed(texts: string[]): Promise<ArrayLike<number>[]> | ArrayLike<number>[];
}

/** Called as texts get embedded: `done` of `total` texts so far, for progress bars. */
export type ProgressCallback = (done: number, total: number) => void;

/** Receives the warnings of an evaluation (data that makes a metric undefined or lower than it should be). */
export type WarningLogger = (message: string) => void;

export interface EvaluateOptions {
  /** Texts per `embed` call (default 64). */
  batchSize?: number;
  progress?: ProgressCallback;
  /** Where warnings go as they arise (default: `console.warn`, i.e. stderr); they are in the result too. */
  logger?: WarningLogger;
}

/** What every evaluator returns; `scores` is flat (metric name → number) and holds `mainScore` too. */
export interface EvaluationResult {
  task: string;
  split: string;
  mainScoreName: string;
  mainScore: number;
  scores: Record<string, number>;
  /** Seconds, embedding included. */
  evaluationTime: number;
  /**
   * What the user should know about the data or the scores: e.g. STS gold scores that are all equal (the
   * correlations, main score included, are then NaN — `null` in JSON), qrels naming a missing document.
   */
  warnings?: string[];
  /** The counts behind the warnings, e.g. `qrels_missing_documents`, `qrels_unknown_queries`. */
  diagnostics?: Record<string, number>;
}

/** The contract a plugin evaluator implements; nothing else of this package is needed to write one. */
export interface Evaluator {
  /** Task name as it appears in results (e.g. `STSBenchmark`). */
  name: string;
  split: string;
  mainScoreName: string;
  evaluate(model: Embedder, options?: EvaluateOptions): Promise<EvaluationResult>;
}
