/** The threshold searches and ranking metrics of sentence-transformers' evaluators and scikit-learn. */

/** Sorts rows by score, descending when higher means more similar; stable, as Python's sorted(). */
function sortRows(scores: readonly number[], labels: readonly number[], higherIsMoreSimilar: boolean) {
  const rows = scores.map((score, i) => ({ score, label: labels[i]! }));
  return rows.sort((a, b) => (higherIsMoreSimilar ? b.score - a.score : a.score - b.score));
}

function checkBinary(scores: readonly number[], labels: readonly number[]): void {
  if (scores.length !== labels.length) throw new Error(`${scores.length} scores but ${labels.length} labels`);
  labels.forEach((l, i) => {
    if (l !== 0 && l !== 1) throw new Error(`label ${i} is ${l}; binary labels must be 0 or 1`);
  });
}

/** sentence-transformers' find_best_acc_and_threshold. */
export function bestAccuracyAndThreshold(
  scores: readonly number[],
  labels: readonly number[],
  higherIsMoreSimilar: boolean,
): { accuracy: number; threshold: number } {
  checkBinary(scores, labels);
  const rows = sortRows(scores, labels, higherIsMoreSimilar);
  let maxAccuracy = 0;
  let threshold = -1;
  let positivesSoFar = 0;
  let remainingNegatives = labels.filter((l) => l === 0).length;
  for (let i = 0; i < rows.length - 1; i++) {
    if (rows[i]!.label === 1) positivesSoFar++;
    else remainingNegatives--;
    const accuracy = (positivesSoFar + remainingNegatives) / labels.length;
    if (accuracy > maxAccuracy) {
      maxAccuracy = accuracy;
      threshold = (rows[i]!.score + rows[i + 1]!.score) / 2;
    }
  }
  return { accuracy: maxAccuracy, threshold };
}

/** sentence-transformers' find_best_f1_and_threshold. */
export function bestF1AndThreshold(
  scores: readonly number[],
  labels: readonly number[],
  higherIsMoreSimilar: boolean,
): { f1: number; precision: number; recall: number; threshold: number } {
  checkBinary(scores, labels);
  const rows = sortRows(scores, labels, higherIsMoreSimilar);
  let best = { f1: 0, precision: 0, recall: 0, threshold: 0 };
  let extracted = 0;
  let correct = 0;
  const totalPositives = labels.reduce((a, b) => a + b, 0);
  for (let i = 0; i < rows.length - 1; i++) {
    extracted++;
    if (rows[i]!.label === 1) correct++;
    if (correct > 0) {
      const precision = correct / extracted;
      const recall = correct / totalPositives;
      const f1 = (2 * precision * recall) / (precision + recall);
      if (f1 > best.f1)
        best = { f1, precision, recall, threshold: (rows[i]!.score + rows[i + 1]!.score) / 2 };
    }
  }
  return best;
}

/**
 * scikit-learn's average_precision_score (higher score = more likely positive): Σ (R_n − R_{n−1}) P_n over
 * the distinct score thresholds, tied scores entering together.
 */
export function averagePrecision(scores: readonly number[], labels: readonly number[]): number {
  checkBinary(scores, labels);
  const totalPositives = labels.reduce((a, b) => a + b, 0);
  if (totalPositives === 0) return Number.NaN;
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let tp = 0;
  let fp = 0;
  let previousRecall = 0;
  let ap = 0;
  for (let i = 0; i < order.length; i++) {
    const idx = order[i]!;
    if (labels[idx] === 1) tp++;
    else fp++;
    const next = order[i + 1];
    if (next !== undefined && scores[next] === scores[idx]) continue;
    const recall = tp / totalPositives;
    ap += (recall - previousRecall) * (tp / (tp + fp));
    previousRecall = recall;
  }
  return ap;
}

/**
 * scikit-learn's ndcg_score for one query (linear gains = the true relevances, discount 1/log2(rank + 1),
 * cut at k), with its tie handling: documents of equal predicted score share the mean gain of their group.
 */
export function ndcgScore(relevance: readonly number[], predicted: readonly number[], k: number): number {
  const discount = (i: number) => (i < k ? 1 / Math.log2(i + 2) : 0);
  const order = predicted.map((_, i) => i).sort((a, b) => predicted[b]! - predicted[a]!);
  let dcg = 0;
  let position = 0;
  while (position < order.length) {
    let end = position;
    let gainSum = 0;
    while (end < order.length && predicted[order[end]!] === predicted[order[position]!]) {
      gainSum += relevance[order[end]!]!;
      end++;
    }
    let discountSum = 0;
    for (let i = position; i < end; i++) discountSum += discount(i);
    dcg += (gainSum / (end - position)) * discountSum;
    position = end;
  }
  const ideal = [...relevance].sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < ideal.length; i++) idcg += ideal[i]! * discount(i);
  return idcg === 0 ? 0 : dcg / idcg;
}
