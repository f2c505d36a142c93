import type { PairData } from '../data.js';
import { embedAll } from '../internal/embed.js';
import { averagePrecision, bestAccuracyAndThreshold, bestF1AndThreshold } from '../internal/pair_metrics.js';
import { cosine, dot, euclideanDistance, manhattanDistance } from '../internal/similarity.js';
import type { Embedder, EvaluateOptions, EvaluationResult, Evaluator } from '../types.js';
import { type TaskNaming, finish } from './sts.js';

const SCORE_FUNCTIONS = [
  { name: 'cosine', score: cosine, higherIsMoreSimilar: true },
  { name: 'dot', score: dot, higherIsMoreSimilar: true },
  { name: 'manhattan', score: manhattanDistance, higherIsMoreSimilar: false },
  { name: 'euclidean', score: euclideanDistance, higherIsMoreSimilar: false },
] as const;

/**
 * sentence-transformers' BinaryClassificationEvaluator: per similarity function, accuracy at the best
 * threshold, F1 (with its precision and recall) at the best threshold, and average precision. Manhattan
 * and Euclidean thresholds are distances (smaller = similar). Keys `cosine_accuracy`,
 * `cosine_accuracy_threshold`, `cosine_f1`, `cosine_precision`, `cosine_recall`, `cosine_f1_threshold`,
 * `cosine_ap`, likewise for dot / manhattan / euclidean, and `max_accuracy`, `max_f1`, `max_ap`;
 * main score `cosine_ap`.
 */
export class PairClassificationEvaluator implements Evaluator {
  readonly name: string;
  readonly split: string;
  readonly mainScoreName = 'cosine_ap';

  constructor(
    readonly data: PairData,
    naming: TaskNaming = {},
  ) {
    const n = data.sentences1.length;
    if (data.sentences2.length !== n || data.labels.length !== n) {
      throw new Error(
        `PairClassificationEvaluator: ${n} first sentences, ${data.sentences2.length} second, ${data.labels.length} labels`,
      );
    }
    if (n < 2) throw new Error('PairClassificationEvaluator: needs at least 2 pairs');
    this.name = naming.name ?? 'pair-classification';
    this.split = naming.split ?? 'test';
  }

  async evaluate(model: Embedder, options: EvaluateOptions = {}): Promise<EvaluationResult> {
    const start = performance.now();
    const { sentences1, sentences2, labels } = this.data;
    const n = sentences1.length;
    const v = await embedAll(model, [...sentences1, ...sentences2], options);
    const scores: Record<string, number> = {};
    for (const fn of SCORE_FUNCTIONS) {
      const s = Array.from({ length: n }, (_, i) => fn.score(v[i]!, v[n + i]!));
      const acc = bestAccuracyAndThreshold(s, labels, fn.higherIsMoreSimilar);
      const f1 = bestF1AndThreshold(s, labels, fn.higherIsMoreSimilar);
      scores[`${fn.name}_accuracy`] = acc.accuracy;
      scores[`${fn.name}_accuracy_threshold`] = acc.threshold;
      scores[`${fn.name}_f1`] = f1.f1;
      scores[`${fn.name}_precision`] = f1.precision;
      scores[`${fn.name}_recall`] = f1.recall;
      scores[`${fn.name}_f1_threshold`] = f1.threshold;
      scores[`${fn.name}_ap`] = averagePrecision(fn.higherIsMoreSimilar ? s : s.map((x) => -x), labels);
    }
    for (const metric of ['accuracy', 'f1', 'ap']) {
      scores[`max_${metric}`] = Math.max(...SCORE_FUNCTIONS.map((fn) => scores[`${fn.name}_${metric}`]!));
    }
    return finish(this, scores, start);
  }
}
