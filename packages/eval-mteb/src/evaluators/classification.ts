import type { ClassificationData } from '../data.js';
import { classificationScores } from '../internal/classification_metrics.js';
import { embedAll } from '../internal/embed.js';
import { NumpyRandomState } from '../internal/numpy_random.js';
import { averagePrecision } from '../internal/pair_metrics.js';
import { type Label, LogisticRegression } from '../logistic_regression.js';
import type { Embedder, EvaluateOptions, EvaluationResult, Evaluator } from '../types.js';
import { type TaskNaming, finish } from './sts.js';

export interface ClassificationOptions extends TaskNaming {
  /** Train examples kept per label in each experiment (MTEB: 8). */
  samplesPerLabel?: number;
  /** Experiments averaged (MTEB: 10). */
  experiments?: number;
  /** Seed of numpy's RandomState that drives the undersampling (MTEB: 42). */
  seed?: number;
  /** Logistic-regression iterations cap (our L-BFGS stops earlier once converged; default 1000). */
  maxIterations?: number;
}

/**
 * MTEB's AbsTaskClassification with logistic regression: for each of 10 experiments the train indices are
 * shuffled by numpy's RandomState(42) (the same array reshuffled each time, as MTEB does) and the first 8
 * of each label kept; scikit-learn's LogisticRegression() is fit on their embeddings and scored on the test
 * set. Reports the mean accuracy, macro F1 (`f1`) and weighted F1 (`f1_weighted`) over the experiments, and
 * their spread across experiments as `<metric>_stderr` (numpy.std, as MTEB names it); `ap` too for two
 * classes. Each text is embedded once.
 */
export class ClassificationEvaluator implements Evaluator {
  readonly name: string;
  readonly split: string;
  readonly mainScoreName = 'accuracy';

  constructor(
    readonly train: ClassificationData,
    readonly test: ClassificationData,
    readonly options: ClassificationOptions = {},
  ) {
    for (const [which, d] of [
      ['train', train],
      ['test', test],
    ] as const) {
      if (d.texts.length !== d.labels.length) {
        throw new Error(
          `ClassificationEvaluator: ${which} has ${d.texts.length} texts but ${d.labels.length} labels`,
        );
      }
      if (d.texts.length === 0) throw new Error(`ClassificationEvaluator: empty ${which} set`);
    }
    this.name = options.name ?? 'classification';
    this.split = options.split ?? 'test';
  }

  async evaluate(model: Embedder, options: EvaluateOptions = {}): Promise<EvaluationResult> {
    const start = performance.now();
    const vectors = await embedAll(model, [...this.train.texts, ...this.test.texts], options);
    const trainVectors = vectors.slice(0, this.train.texts.length);
    const testVectors = vectors.slice(this.train.texts.length);
    const perExperiment = runClassificationExperiments(
      trainVectors,
      this.train.labels,
      testVectors,
      this.test.labels,
      this.options,
    );
    const scores: Record<string, number> = {};
    for (const key of Object.keys(perExperiment[0]!)) {
      const values = perExperiment.map((s) => s[key]!);
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      scores[key] = mean;
      scores[`${key}_stderr`] = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
    }
    return finish(this, scores, start);
  }
}

/** MTEB's undersampling: shuffle `indices` in place, keep the first `perLabel` of each label, in shuffled order. */
export function undersample(
  indices: number[],
  labels: readonly Label[],
  perLabel: number,
  rng: NumpyRandomState,
): number[] {
  rng.shuffle(indices);
  const counts = new Map<Label, number>();
  const kept: number[] = [];
  for (const i of indices) {
    const c = counts.get(labels[i]!) ?? 0;
    if (c < perLabel) {
      kept.push(i);
      counts.set(labels[i]!, c + 1);
    }
  }
  return kept;
}

/** The experiments of MTEB's protocol on precomputed embeddings; one score record per experiment. */
export function runClassificationExperiments(
  trainVectors: readonly ArrayLike<number>[],
  trainLabels: readonly Label[],
  testVectors: readonly ArrayLike<number>[],
  testLabels: readonly Label[],
  options: ClassificationOptions = {},
): Record<string, number>[] {
  const rng = new NumpyRandomState(options.seed ?? 42);
  const indices = trainLabels.map((_, i) => i);
  const results: Record<string, number>[] = [];
  const experiments = options.experiments ?? 10;
  for (let e = 0; e < experiments; e++) {
    const kept = undersample(indices, trainLabels, options.samplesPerLabel ?? 8, rng);
    const clf = LogisticRegression.fit(
      kept.map((i) => trainVectors[i]!),
      kept.map((i) => trainLabels[i]!),
      { maxIterations: options.maxIterations ?? 1000 },
    );
    const predicted = clf.predict(testVectors as ArrayLike<number>[]);
    const s = classificationScores(testLabels as Label[], predicted);
    const record: Record<string, number> = { accuracy: s.accuracy, f1: s.f1, f1_weighted: s.f1Weighted };
    if (clf.classes.length === 2) {
      // MTEB: average_precision_score(y_test, y_pred) on the hard predictions, positive = classes[1].
      const positive = clf.classes[1];
      record.ap = averagePrecision(
        predicted.map((p) => (p === positive ? 1 : 0)),
        testLabels.map((l) => (l === positive ? 1 : 0)),
      );
    }
    results.push(record);
  }
  return results;
}
