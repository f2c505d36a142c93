import type { RetrievalData } from '../data.js';
import { embedAll } from '../internal/embed.js';
import { queryMetricsAtK } from '../internal/retrieval_metrics.js';
import { normalized } from '../internal/similarity.js';
import { TopK, searchBlock } from '../internal/top_k.js';
import type { Embedder, EvaluateOptions, EvaluationResult, Evaluator } from '../types.js';
import { type TaskNaming, finish } from './sts.js';

export interface RetrievalOptions extends TaskNaming {
  /** Cut-offs of every metric (default 1, 3, 5, 10, 100). */
  kValues?: number[];
  /** `cosine` (default) or `dot`. */
  scoreFunction?: 'cosine' | 'dot';
  /** Prepended to every query / document before embedding (e.g. `query: ` for E5 models). */
  queryPrompt?: string;
  documentPrompt?: string;
  /** Documents embedded and searched at a time (MTEB's corpus_chunk_size, default 50000). */
  corpusChunkSize?: number;
  /** Never return a document whose id equals the query id (default true, as MTEB / BEIR). */
  ignoreIdenticalIds?: boolean;
}

/**
 * MTEB's retrieval evaluation: exact cosine / dot search over the corpus in chunks (a top-k heap per query,
 * never a queries × documents matrix), then pytrec_eval's nDCG@k, MAP@k, recall@k, P@k and MTEB's MRR@k,
 * averaged over the queries that have relevance judgements. Equal scores rank by document id descending,
 * as trec_eval sorts a run. Keys `ndcg_at_10`, `map_at_10`, `recall_at_10`, `precision_at_10`,
 * `mrr_at_10`, …; main score `ndcg_at_10`.
 */
export class RetrievalEvaluator implements Evaluator {
  readonly name: string;
  readonly split: string;
  readonly mainScoreName: string;
  private readonly kValues: number[];

  constructor(
    readonly data: RetrievalData,
    readonly options: RetrievalOptions = {},
  ) {
    this.name = options.name ?? 'retrieval';
    this.split = options.split ?? 'test';
    this.kValues = [...(options.kValues ?? [1, 3, 5, 10, 100])].sort((a, b) => a - b);
    for (const k of this.kValues) {
      if (!Number.isInteger(k) || k < 1)
        throw new Error(`RetrievalEvaluator: k values must be positive integers, got ${k}`);
    }
    if (this.kValues.length === 0) throw new Error('RetrievalEvaluator: no k values');
    this.mainScoreName = `ndcg_at_${this.kValues.includes(10) ? 10 : this.kValues[this.kValues.length - 1]}`;
    if (data.corpus.size === 0) throw new Error('RetrievalEvaluator: empty corpus');
    if (data.queries.size === 0) throw new Error('RetrievalEvaluator: no queries');
  }

  /** Ranked document ids per query id (best first, at most max(k) of them). */
  async search(model: Embedder, options: EvaluateOptions = {}): Promise<Map<string, string[]>> {
    const cosine = (this.options.scoreFunction ?? 'cosine') === 'cosine';
    const prepare = (v: Float64Array) => (cosine ? normalized(v) : v);
    const queryIds = [...this.data.queries.keys()];
    const queryPrompt = this.options.queryPrompt ?? '';
    const queryVectors = (
      await embedAll(
        model,
        queryIds.map((id) => queryPrompt + this.data.queries.get(id)!),
        options,
      )
    ).map(prepare);
    const topK = this.kValues[this.kValues.length - 1]!;
    const heaps = queryIds.map(() => new TopK(topK));
    const documentIds = [...this.data.corpus.keys()];
    const chunkSize = this.options.corpusChunkSize ?? 50_000;
    const documentPrompt = this.options.documentPrompt ?? '';
    for (let startDoc = 0; startDoc < documentIds.length; startDoc += chunkSize) {
      const chunkIds = documentIds.slice(startDoc, startDoc + chunkSize);
      const chunkVectors = (
        await embedAll(
          model,
          chunkIds.map((id) => documentPrompt + this.data.corpus.get(id)!),
          options,
        )
      ).map(prepare);
      searchBlock(queryIds, queryVectors, chunkIds, chunkVectors, heaps, {
        k: topK,
        ignoreIdenticalIds: this.options.ignoreIdenticalIds ?? true,
      });
    }
    return new Map(queryIds.map((id, q) => [id, heaps[q]!.sorted().map((h) => h.id)]));
  }

  async evaluate(model: Embedder, options: EvaluateOptions = {}): Promise<EvaluationResult> {
    const start = performance.now();
    const rankings = await this.search(model, options);
    const { diagnostics, warnings } = this.checkQrels();
    return finish(this, retrievalScores(rankings, this.data.qrels, this.kValues), start, {
      warnings,
      diagnostics,
      logger: options.logger,
    });
  }

  /**
   * Qrels that cannot count as pytrec_eval counts them: judgements naming a document the corpus lacks (still
   * relevant, never retrievable, so recall and nDCG drop) and queries that are not in the query set (left out
   * of the mean, as pytrec_eval leaves out queries without a run).
   */
  checkQrels(): { diagnostics: Record<string, number>; warnings: string[] } {
    let missingDocuments = 0;
    let relevantMissing = 0;
    const missingExamples: string[] = [];
    const unknownQueries: string[] = [];
    for (const [qid, judged] of this.data.qrels) {
      if (!this.data.queries.has(qid)) {
        unknownQueries.push(qid);
        continue;
      }
      for (const [did, grade] of judged) {
        if (this.data.corpus.has(did)) continue;
        missingDocuments++;
        if (grade > 0) relevantMissing++;
        if (missingExamples.length < 3) missingExamples.push(`${qid} → ${did}`);
      }
    }
    const warnings: string[] = [];
    const more = (shown: number, total: number) => (total > shown ? ', ...' : '');
    if (missingDocuments > 0) {
      warnings.push(
        `${missingDocuments} relevance judgement${missingDocuments === 1 ? '' : 's'} (${relevantMissing} relevant) name a document missing from the corpus (${missingExamples.join(', ')}${more(missingExamples.length, missingDocuments)}): they count as relevant but can never be retrieved, which lowers recall and nDCG`,
      );
    }
    if (unknownQueries.length > 0) {
      warnings.push(
        `${unknownQueries.length} quer${unknownQueries.length === 1 ? 'y' : 'ies'} of the qrels ${unknownQueries.length === 1 ? 'is' : 'are'} not in the query set (${unknownQueries.slice(0, 3).join(', ')}${more(3, unknownQueries.length)}) and ${unknownQueries.length === 1 ? 'is' : 'are'} not evaluated`,
      );
    }
    return {
      diagnostics: {
        qrels_missing_documents: missingDocuments,
        qrels_unknown_queries: unknownQueries.length,
        evaluated_queries: [...this.data.qrels.keys()].filter((q) => this.data.queries.has(q)).length,
      },
      warnings,
    };
  }
}

/** Mean metrics over the queries that have both a ranking and judgements (pytrec_eval's set). */
export function retrievalScores(
  rankings: ReadonlyMap<string, readonly string[]>,
  qrels: ReadonlyMap<string, ReadonlyMap<string, number>>,
  kValues: readonly number[],
): Record<string, number> {
  const scores: Record<string, number> = {};
  let evaluated = 0;
  for (const k of kValues)
    for (const m of ['ndcg', 'map', 'recall', 'precision', 'mrr']) scores[`${m}_at_${k}`] = 0;
  for (const [qid, ranking] of rankings) {
    const judged = qrels.get(qid);
    if (!judged) continue;
    evaluated++;
    for (const k of kValues) {
      const m = queryMetricsAtK(ranking, judged, k);
      scores[`ndcg_at_${k}`]! += m.ndcg;
      scores[`map_at_${k}`]! += m.map;
      scores[`recall_at_${k}`]! += m.recall;
      scores[`precision_at_${k}`]! += m.precision;
      scores[`mrr_at_${k}`]! += m.mrr;
    }
  }
  if (evaluated === 0) throw new Error('retrieval: no query has relevance judgements');
  for (const key of Object.keys(scores)) scores[key]! /= evaluated;
  return scores;
}
