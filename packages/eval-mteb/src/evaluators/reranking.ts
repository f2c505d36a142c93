import type { RerankingSample } from '../data.js';
import { embedAll } from '../internal/embed.js';
import { averagePrecision, ndcgScore } from '../internal/pair_metrics.js';
import { cosine } from '../internal/similarity.js';
import type { Embedder, EvaluateOptions, EvaluationResult, Evaluator } from '../types.js';
import { type TaskNaming, finish } from './sts.js';

export interface RerankingOptions extends TaskNaming {
  /** Cut-off of MRR and nDCG (default 10). */
  atK?: number;
}

/**
 * sentence-transformers' RerankingEvaluator: each query ranks its positives + negatives by cosine; mean
 * average precision (scikit-learn's), MRR@k and nDCG@k (scikit-learn's ndcg_score) over the queries that
 * have at least one positive and one negative. Keys `map`, `mrr@10`, `ndcg@10`; main score `map`. Equal
 * scores keep the input order (positives first) for MRR.
 */
export class RerankingEvaluator implements Evaluator {
  readonly name: string;
  readonly split: string;
  readonly mainScoreName = 'map';
  private readonly atK: number;

  constructor(
    readonly samples: RerankingSample[],
    options: RerankingOptions = {},
  ) {
    this.name = options.name ?? 'reranking';
    this.split = options.split ?? 'test';
    this.atK = options.atK ?? 10;
  }

  async evaluate(model: Embedder, options: EvaluateOptions = {}): Promise<EvaluationResult> {
    const start = performance.now();
    const usable = this.samples.filter((s) => s.positive.length > 0 && s.negative.length > 0);
    if (usable.length === 0) throw new Error(`${this.name}: no query has both a positive and a negative`);
    const texts = usable.flatMap((s) => [s.query, ...s.positive, ...s.negative]);
    const vectors = await embedAll(model, texts, options);
    let offset = 0;
    let mapSum = 0;
    let mrrSum = 0;
    let ndcgSum = 0;
    for (const s of usable) {
      const q = vectors[offset]!;
      const docs = [...s.positive, ...s.negative].map((_, i) => vectors[offset + 1 + i]!);
      offset += 1 + docs.length;
      const relevant = docs.map((_, i) => (i < s.positive.length ? 1 : 0));
      const predicted = docs.map((d) => cosine(q, d));
      const order = predicted.map((_, i) => i).sort((a, b) => predicted[b]! - predicted[a]!);
      const firstHit = order.slice(0, this.atK).findIndex((i) => relevant[i] === 1);
      mrrSum += firstHit < 0 ? 0 : 1 / (firstHit + 1);
      mapSum += averagePrecision(predicted, relevant);
      ndcgSum += ndcgScore(relevant, predicted, this.atK);
    }
    return finish(
      this,
      {
        map: mapSum / usable.length,
        [`mrr@${this.atK}`]: mrrSum / usable.length,
        [`ndcg@${this.atK}`]: ndcgSum / usable.length,
      },
      start,
    );
  }
}
