import type { StsData } from '../data.js';
import { embedAll } from '../internal/embed.js';
import { SIMILARITY_FUNCTIONS, similarity } from '../internal/similarity.js';
import { pearson, spearman } from '../statistics.js';
import type { Embedder, EvaluateOptions, EvaluationResult, Evaluator, WarningLogger } from '../types.js';

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
    const warnings: string[] = [];
    const gold = this.data.scores;
    const constantGold = gold.every((s) => s === gold[0]);
    if (constantGold) {
      // scipy returns NaN here (with a ConstantInputWarning); MTEB then reports a NaN main score.
      warnings.push(
        `all ${n} gold scores are equal (${gold[0]}): Pearson and Spearman correlations are undefined, so every score and main_score are null`,
      );
    }
    for (const fn of SIMILARITY_FUNCTIONS) {
      const predicted = Array.from({ length: n }, (_, i) => similarity(fn, vectors[i]!, vectors[n + i]!));
      scores[`pearson_${fn}`] = pearson(gold, predicted);
      scores[`spearman_${fn}`] = spearman(gold, predicted);
      if (!constantGold && predicted.every((p) => p === predicted[0])) {
        warnings.push(
          `the model gives every pair the same ${fn} score (${predicted[0]}): its correlations are undefined (null)`,
        );
      }
    }
    return finish(this, scores, start, {
      warnings,
      diagnostics: { distinct_gold_scores: new Set(gold).size },
      logger: options.logger,
    });
  }
}

/** Where warnings go when the caller gives no logger: stderr, as Python's warnings module does. */
export const defaultWarningLogger: WarningLogger = (message) => console.warn(`warning: ${message}`);

/** Builds the result object common to every evaluator. */
export function finish(
  evaluator: Evaluator,
  scores: Record<string, number>,
  startMs: number,
  report: { warnings?: string[]; diagnostics?: Record<string, number>; logger?: WarningLogger } = {},
): EvaluationResult {
  const mainScore = scores[evaluator.mainScoreName];
  if (mainScore === undefined)
    throw new Error(`${evaluator.name}: main score ${evaluator.mainScoreName} missing`);
  const warnings = report.warnings ?? [];
  const log = report.logger ?? defaultWarningLogger;
  for (const w of warnings) log(`${evaluator.name}: ${w}`);
  return {
    task: evaluator.name,
    split: evaluator.split,
    mainScoreName: evaluator.mainScoreName,
    mainScore,
    scores,
    evaluationTime: (performance.now() - startMs) / 1000,
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(report.diagnostics ? { diagnostics: report.diagnostics } : {}),
  };
}
