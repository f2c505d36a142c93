import type { StsData } from '../data.js';
import { embedAll } from '../internal/embed.js';
import { SIMILARITY_FUNCTIONS, similarity } from '../internal/similarity.js';
import { pearson, spearman } from '../statistics.js';
import type { Embedder, EvaluateOptions, EvaluationResult, Evaluator } from '../types.js';

export interface TaskNaming {
  /** Task name in results. */
  name?: string;
  split?: string;
}

/**
 * sentence-transformers' EmbeddingSimilarityEvaluator: Pearson and Spearman (average ranks for ties) of
 * cosine similarity, negated Manhattan and Euclidean distances, and dot product against the gold scores.
 * Keys `pearson_cosine`, `spearman_cosine`, …; main score `spearman_cosine`.
 */
export class StsEvaluator implements Evaluator {
  readonly name: string;
  readonly split: string;
  readonly mainScoreName = 'spearman_cosine';

  constructor(
    readonly data: StsData,
    naming: TaskNaming = {},
  ) {
    const n = data.sentences1.length;
    if (data.sentences2.length !== n || data.scores.length !== n) {
      throw new Error(
        `StsEvaluator: ${n} first sentences, ${data.sentences2.length} second, ${data.scores.length} scores`,
      );
    }
    if (n < 2) throw new Error('StsEvaluator: needs at least 2 pairs');
    this.name = naming.name ?? 'sts';
    this.split = naming.split ?? 'test';
  }

  async evaluate(model: Embedder, options: EvaluateOptions = {}): Promise<EvaluationResult> {
    const start = performance.now();
    const n = this.data.sentences1.length;
    const vectors = await embedAll(model, [...this.data.sentences1, ...this.data.sentences2], options);
    const scores: Record<string, number> = {};
    for (const fn of SIMILARITY_FUNCTIONS) {
      const predicted = Array.from({ length: n }, (_, i) => similarity(fn, vectors[i]!, vectors[n + i]!));
      scores[`pearson_${fn}`] = pearson(this.data.scores, predicted);
      scores[`spearman_${fn}`] = spearman(this.data.scores, predicted);
    }
    return finish(this, scores, start);
  }
}

/** Builds the result object common to every evaluator. */
export function finish(
  evaluator: Evaluator,
  scores: Record<string, number>,
  startMs: number,
): EvaluationResult {
  const mainScore = scores[evaluator.mainScoreName];
  if (mainScore === undefined)
    throw new Error(`${evaluator.name}: main score ${evaluator.mainScoreName} missing`);
  return {
    task: evaluator.name,
    split: evaluator.split,
    mainScoreName: evaluator.mainScoreName,
    mainScore,
    scores,
    evaluationTime: (performance.now() - startMs) / 1000,
  };
}
