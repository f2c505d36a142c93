/**
 * Retrieval metrics exactly as pytrec_eval (trec_eval) computes them, which is what MTEB reports, plus
 * MTEB's own MRR@k. A run is a ranked list of document ids for one query (best first); qrels map document
 * id → graded relevance, where a grade ≥ 1 is relevant (trec_eval's relevance_level 1).
 */

export type Qrels = ReadonlyMap<string, number>;

export interface QueryMetrics {
  ndcg: number;
  map: number;
  recall: number;
  precision: number;
  mrr: number;
}

/** All five metrics at cut-off `k` for one query. */
export function queryMetricsAtK(ranking: readonly string[], qrels: Qrels, k: number): QueryMetrics {
  return {
    ndcg: ndcgAtK(ranking, qrels, k),
    map: averagePrecisionAtK(ranking, qrels, k),
    recall: recallAtK(ranking, qrels, k),
    precision: precisionAtK(ranking, qrels, k),
    mrr: reciprocalRankAtK(ranking, qrels, k),
  };
}

function relevantCount(qrels: Qrels): number {
  let n = 0;
  for (const r of qrels.values()) if (r >= 1) n++;
  return n;
}

/**
 * trec_eval ndcg_cut.k: gain = the judged grade itself (linear, not 2^grade − 1), discount log2(rank + 1);
 * the ideal ranking orders every judged document of positive grade, cut at k. 0 when nothing is relevant.
 */
export function ndcgAtK(ranking: readonly string[], qrels: Qrels, k: number): number {
  let dcg = 0;
  const top = Math.min(k, ranking.length);
  for (let i = 0; i < top; i++) {
    const gain = qrels.get(ranking[i]!) ?? 0;
    if (gain > 0) dcg += gain / Math.log2(i + 2);
  }
  const ideal = [...qrels.values()].filter((g) => g > 0).sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < Math.min(k, ideal.length); i++) idcg += ideal[i]! / Math.log2(i + 2);
  return idcg > 0 ? dcg / idcg : 0;
}

/** trec_eval map_cut.k: sum of precision at each relevant hit within k, over ALL relevant documents. */
export function averagePrecisionAtK(ranking: readonly string[], qrels: Qrels, k: number): number {
  const numRelevant = relevantCount(qrels);
  if (numRelevant === 0) return 0;
  let hits = 0;
  let sum = 0;
  const top = Math.min(k, ranking.length);
  for (let i = 0; i < top; i++) {
    if ((qrels.get(ranking[i]!) ?? 0) >= 1) {
      hits++;
      sum += hits / (i + 1);
    }
  }
  return sum / numRelevant;
}

/** trec_eval recall.k: relevant documents in the top k over all relevant documents. */
export function recallAtK(ranking: readonly string[], qrels: Qrels, k: number): number {
  const numRelevant = relevantCount(qrels);
  if (numRelevant === 0) return 0;
  return relevantInTop(ranking, qrels, k) / numRelevant;
}

/** trec_eval P.k: relevant documents in the top k over k (even when fewer than k were retrieved). */
export function precisionAtK(ranking: readonly string[], qrels: Qrels, k: number): number {
  return relevantInTop(ranking, qrels, k) / k;
}

/** MTEB's MRR@k: 1 / rank of the first relevant document within the top k, else 0. */
export function reciprocalRankAtK(ranking: readonly string[], qrels: Qrels, k: number): number {
  const top = Math.min(k, ranking.length);
  for (let i = 0; i < top; i++) if ((qrels.get(ranking[i]!) ?? 0) >= 1) return 1 / (i + 1);
  return 0;
}

function relevantInTop(ranking: readonly string[], qrels: Qrels, k: number): number {
  let hits = 0;
  const top = Math.min(k, ranking.length);
  for (let i = 0; i < top; i++) if ((qrels.get(ranking[i]!) ?? 0) >= 1) hits++;
  return hits;
}
