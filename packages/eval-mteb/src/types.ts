/**
 * Anything that turns texts into vectors: our `SentenceEncoder`, a transformers.js pipeline wrapped in a
 * function, an HTTP embedding API... Evaluators depend on nothing else.
 */
export interface Embedder {
  embed(texts: string[]): Promise<ArrayLike<number>[]> | ArrayLike<number>[];
}

/** Called as texts get embedded: `done` of `total` texts so far, for progress bars. */
export type ProgressCallback = (done: number, total: number) => void;

export interface EvaluateOptions {
  /** Texts per `embed` call (default 64). */
  batchSize?: number;
  progress?: ProgressCallback;
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
}

/** The contract a plugin evaluator implements; nothing else of this package is needed to write one. */
export interface Evaluator {
  /** Task name as it appears in results (e.g. `STSBenchmark`). */
  name: string;
  split: string;
  mainScoreName: string;
  evaluate(model: Embedder, options?: EvaluateOptions): Promise<EvaluationResult>;
}
