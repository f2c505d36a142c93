import type { Label } from '../logistic_regression.js';

export interface ClassificationScores {
  accuracy: number;
  /** Macro F1 over the labels seen in truth or predictions (scikit-learn's average='macro'). */
  f1: number;
  /** F1 per label weighted by its support in the truth (average='weighted'). */
  f1Weighted: number;
}

/** scikit-learn's accuracy_score and f1_score (macro / weighted, zero_division → 0). */
export function classificationScores(truth: Label[], predicted: Label[]): ClassificationScores {
  if (truth.length !== predicted.length) {
    throw new Error(`classificationScores: ${truth.length} true labels but ${predicted.length} predictions`);
  }
  if (truth.length === 0) throw new Error('classificationScores: no examples');
  const key = (l: Label) => `${typeof l}:${l}`;
  const stats = new Map<string, { tp: number; fp: number; fn: number; support: number }>();
  const get = (l: Label) => {
    const k = key(l);
    let s = stats.get(k);
    if (!s) {
      s = { tp: 0, fp: 0, fn: 0, support: 0 };
      stats.set(k, s);
    }
    return s;
  };
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = get(truth[i]!);
    const p = get(predicted[i]!);
    t.support++;
    if (key(truth[i]!) === key(predicted[i]!)) {
      correct++;
      t.tp++;
    } else {
      t.fn++;
      p.fp++;
    }
  }
  let macro = 0;
  let weighted = 0;
  for (const s of stats.values()) {
    // F1 = 2tp / (2tp + fp + fn); 0 when the label never occurs in either (cannot happen here) or tp = 0.
    const denominator = 2 * s.tp + s.fp + s.fn;
    const f1 = denominator === 0 ? 0 : (2 * s.tp) / denominator;
    macro += f1;
    weighted += f1 * s.support;
  }
  return { accuracy: correct / truth.length, f1: macro / stats.size, f1Weighted: weighted / truth.length };
}
