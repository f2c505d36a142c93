import type { RerankingSample } from '../data.js';
import { classificationScores } from '../internal/classification_metrics.js';
import { queryMetricsAtK } from '../internal/retrieval_metrics.js';
import { pearson, spearman } from '../statistics.js';
import type { EvaluationResult } from '../types.js';

/**
 * Anything that scores sentence pairs: @contrastive/bert's CrossEncoder, or any function behind an HTTP API.
 * One number per pair (one label) or one row of label scores per pair.
 */
export interface PairScorer {
  predict(
    pairs: Array<[string, string]>,
  ): Promise<ArrayLike<number>[] | number[]> | ArrayLike<number>[] | number[];
}

/** What the cross-encoder evaluators implement (as `Evaluator`, with a `PairScorer` for a model). */
export interface CrossEncoderEvaluator {
  name: string;
  split: string;
  mainScoreName: string;
  evaluate(model: PairScorer): Promise<EvaluationResult>;
}

function result(
  ev: CrossEncoderEvaluator,
  scores: Record<string, number>,
  startMs: number,
): EvaluationResult {
  const mainScore = scores[ev.mainScoreName];
  if (mainScore === undefined) throw new Error(`${ev.name}: main score ${ev.mainScoreName} missing`);
  return {
    task: ev.name,
    split: ev.split,
    mainScoreName: ev.mainScoreName,
    mainScore,
    scores,
    evaluationTime: (performance.now() - startMs) / 1000,
  };
}

/** Rows of label scores (a plain number is a row of one). */
async function scoreRows(model: PairScorer, pairs: Array<[string, string]>): Promise<number[][]> {
  const out = await model.predict(pairs);
  if (out.length !== pairs.length)
    throw new Error(`predict returned ${out.length} scores for ${pairs.length} pairs`);
  return Array.from(out as ArrayLike<number | ArrayLike<number>>, (v) =>
    typeof v === 'number' ? [v] : Array.from(v),
  );
}

function checkPairs(name: string, s1: string[], s2: string[], labels: unknown[]): void {
  if (s2.length !== s1.length || labels.length !== s1.length)
    throw new Error(`${name}: ${s1.length} first sentences, ${s2.length} second, ${labels.length} labels`);
  if (s1.length === 0) throw new Error(`${name}: no pairs`);
}

/**
 * sentence-transformers' CrossEncoderClassificationEvaluator: the predicted class of each pair (argmax of the
 * label scores, or score > threshold for a one-label model) against the gold class. Keys `accuracy`, `f1`
 * (macro), `f1_weighted`; main score `accuracy`.
 */
export class CrossEncoderClassificationEvaluator implements CrossEncoderEvaluator {
  readonly name: string;
  readonly split: string;
  readonly mainScoreName = 'accuracy';

  constructor(
    readonly data: { sentences1: string[]; sentences2: string[]; labels: number[] },
    options: { name?: string; split?: string; threshold?: number } = {},
  ) {
    this.name = options.name ?? 'cross_encoder_classification';
    this.split = options.split ?? 'test';
    this.threshold = options.threshold ?? 0.5;
    checkPairs(this.name, data.sentences1, data.sentences2, data.labels);
  }

  /** For one-label models: the score above which a pair is class 1 (0.5 on sigmoid scores). */
  readonly threshold: number;

  async evaluate(model: PairScorer): Promise<EvaluationResult> {
    const start = performance.now();
    const rows = await scoreRows(
      model,
      this.data.sentences1.map((a, i) => [a, this.data.sentences2[i]!]),
    );
    const predicted = rows.map((r) =>
      r.length === 1 ? (r[0]! > this.threshold ? 1 : 0) : r.indexOf(Math.max(...r)),
    );
    const s = classificationScores(this.data.labels, predicted);
    return result(this, { accuracy: s.accuracy, f1: s.f1, f1_weighted: s.f1Weighted }, start);
  }
}

/**
 * sentence-transformers' CrossEncoderCorrelationEvaluator: Pearson and Spearman of the predicted score (one
 * label) against gold scores. Keys `pearson`, `spearman`; main score `spearman`.
 */
export class CrossEncoderCorrelationEvaluator implements CrossEncoderEvaluator {
  readonly name: string;
  readonly split: string;
  readonly mainScoreName = 'spearman';

  constructor(
    readonly data: { sentences1: string[]; sentences2: string[]; scores: number[] },
    options: { name?: string; split?: string } = {},
  ) {
    this.name = options.name ?? 'cross_encoder_correlation';
    this.split = options.split ?? 'test';
    checkPairs(this.name, data.sentences1, data.sentences2, data.scores);
    if (data.scores.length < 2) throw new Error(`${this.name}: needs at least 2 pairs`);
  }

  async evaluate(model: PairScorer): Promise<EvaluationResult> {
    const start = performance.now();
    const rows = await scoreRows(
      model,
      this.data.sentences1.map((a, i) => [a, this.data.sentences2[i]!]),
    );
    if (rows.some((r) => r.length !== 1))
      throw new Error(`${this.name}: needs one score per pair (a one-label cross-encoder)`);
    const predicted = rows.map((r) => r[0]!);
    return result(
      this,
      { pearson: pearson(this.data.scores, predicted), spearman: spearman(this.data.scores, predicted) },
      start,
    );
  }
}

/**
 * sentence-transformers' CrossEncoderRerankingEvaluator: each query's positives and negatives ranked by the
 * cross-encoder's score; mean `map`, `mrr@k` and `ndcg@k` (trec_eval's definitions) over queries with at least
 * one positive. Main score `ndcg@k` (k default 10).
 */
export class CrossEncoderRerankingEvaluator implements CrossEncoderEvaluator {
  readonly name: string;
  readonly split: string;
  readonly mainScoreName: string;
  readonly k: number;

  constructor(
    readonly samples: RerankingSample[],
    options: { name?: string; split?: string; k?: number } = {},
  ) {
    this.name = options.name ?? 'cross_encoder_reranking';
    this.split = options.split ?? 'test';
    this.k = options.k ?? 10;
    if (!Number.isInteger(this.k) || this.k < 1)
      throw new Error(`${this.name}: k must be a positive integer`);
    this.mainScoreName = `ndcg@${this.k}`;
    if (!samples.some((s) => s.positive.length > 0)) throw new Error(`${this.name}: no query has a positive`);
  }

  async evaluate(model: PairScorer): Promise<EvaluationResult> {
    const start = performance.now();
    const used = this.samples.filter((s) => s.positive.length > 0);
    const pairs: Array<[string, string]> = [];
    for (const s of used) for (const d of [...s.positive, ...s.negative]) pairs.push([s.query, d]);
    const rows = await scoreRows(model, pairs);
    if (rows.some((r) => r.length !== 1))
      throw new Error(`${this.name}: needs one score per pair (a one-label cross-encoder)`);
    let at = 0;
    const sum = { map: 0, mrr: 0, ndcg: 0 };
    for (const s of used) {
      const docs = [...s.positive, ...s.negative];
      const scored = docs.map((_, i) => ({ id: String(i), score: rows[at + i]![0]! }));
      at += docs.length;
      // Ties keep input order (a stable sort): positives first.
      const ranking = scored.sort((a, b) => b.score - a.score).map((d) => d.id);
      const qrels = new Map(s.positive.map((_, i) => [String(i), 1] as const));
      const m = queryMetricsAtK(ranking, qrels, this.k);
      const all = queryMetricsAtK(ranking, qrels, ranking.length);
      sum.map += all.map;
      sum.mrr += m.mrr;
      sum.ndcg += m.ndcg;
    }
    const n = used.length;
    return result(
      this,
      { map: sum.map / n, [`mrr@${this.k}`]: sum.mrr / n, [`ndcg@${this.k}`]: sum.ndcg / n },
      start,
    );
  }
}
