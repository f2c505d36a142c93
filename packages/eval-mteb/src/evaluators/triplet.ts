import type { TripletData } from '../data.js';
import { embedAll } from '../internal/embed.js';
import { SIMILARITY_FUNCTIONS, similarity } from '../internal/similarity.js';
import type { Embedder, EvaluateOptions, EvaluationResult, Evaluator } from '../types.js';
import { type TaskNaming, finish } from './sts.js';

/**
 * sentence-transformers' TripletEvaluator: the share of triplets where the anchor is strictly more similar
 * to the positive than to the negative (for Manhattan / Euclidean: strictly closer), per similarity
 * function. Keys `cosine_accuracy`, `dot_accuracy`, `manhattan_accuracy`, `euclidean_accuracy`;
 * main score `cosine_accuracy`.
 */
export class TripletEvaluator implements Evaluator {
  readonly name: string;
  readonly split: string;
  readonly mainScoreName = 'cosine_accuracy';

  constructor(
    readonly data: TripletData,
    naming: TaskNaming = {},
  ) {
    const n = data.anchors.length;
    if (data.positives.length !== n || data.negatives.length !== n) {
      throw new Error(
        `TripletEvaluator: ${n} anchors, ${data.positives.length} positives, ${data.negatives.length} negatives`,
      );
    }
    if (n === 0) throw new Error('TripletEvaluator: no triplets');
    this.name = naming.name ?? 'triplet';
    this.split = naming.split ?? 'test';
  }

  async evaluate(model: Embedder, options: EvaluateOptions = {}): Promise<EvaluationResult> {
    const start = performance.now();
    const { anchors, positives, negatives } = this.data;
    const n = anchors.length;
    const v = await embedAll(model, [...anchors, ...positives, ...negatives], options);
    const scores: Record<string, number> = {};
    for (const fn of SIMILARITY_FUNCTIONS) {
      let correct = 0;
      for (let i = 0; i < n; i++) {
        if (similarity(fn, v[i]!, v[n + i]!) > similarity(fn, v[i]!, v[2 * n + i]!)) correct++;
      }
      scores[`${fn}_accuracy`] = correct / n;
    }
    return finish(this, scores, start);
  }
}
