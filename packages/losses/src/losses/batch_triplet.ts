import { cosineSimilarity } from '@contrastive/pooling';
import { tf } from '@contrastive/tensor-gpu';
import { EmbeddingLoss } from '../embedding_loss.js';
import { scalarLabels } from '../internal/embed.js';
import { defineLoss, lossOption } from '../loss_definition.js';
import { nonNegative } from '../options.js';
import type { ColumnRequirement, LossBatch } from '../types.js';

/** sentence-transformers' `BatchHardTripletLossDistanceFunction`: `euclidean` (its `eucledian_distance`) or `cosine`. */
export type BatchDistanceMetric = 'euclidean' | 'cosine';

export interface BatchTripletLossOptions {
  /** Default euclidean, as sentence-transformers. */
  distance?: BatchDistanceMetric;
  /** Default 5, as sentence-transformers. */
  margin?: number;
}

const TEXT_LABEL: ColumnRequirement = {
  minInputs: 1,
  maxInputs: 1,
  label: 'class',
  description: '(text) with an integer class label per row',
};

/**
 * All-pairs distances `[N, N]` as sentence-transformers computes them: `1 − cos` for cosine; for euclidean
 * ‖a‖² − 2a·b + ‖b‖², negatives clamped to 0, and the square root taken only where the value is not 0 (so the
 * diagonal has a zero gradient, not NaN).
 */
export function batchDistances(metric: BatchDistanceMetric, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    if (metric === 'cosine') return tf.sub(1, cosineSimilarity(x, x)) as tf.Tensor2D;
    const dot = tf.matMul(x, x, false, true);
    const sq = tf.sum(tf.square(x), 1);
    const d = tf.relu(tf.add(tf.sub(tf.expandDims(sq, 0), tf.mul(dot, 2)), tf.expandDims(sq, 1)));
    // The mask is a constant (read on the host: tfjs has no gradient for comparisons).
    const zero = tf.tensor2d(
      Float32Array.from(d.dataSync(), (v) => (v === 0 ? 1 : 0)),
      d.shape as [number, number],
    );
    return tf.mul(tf.sub(1, zero), tf.sqrt(tf.add(d, tf.mul(zero, 1e-16)))) as tf.Tensor2D;
  });
}

abstract class BatchTripletLoss extends EmbeddingLoss {
  readonly columns = TEXT_LABEL;
  readonly distance: BatchDistanceMetric;
  readonly margin: number;

  constructor(options: BatchTripletLossOptions = {}) {
    super();
    this.distance = options.distance ?? 'euclidean';
    this.margin = options.margin ?? 5;
    if (this.distance !== 'euclidean' && this.distance !== 'cosine')
      throw new Error(`distance must be euclidean or cosine, got ${String(this.distance)}`);
    if (!(this.margin >= 0)) throw new Error(`margin must be ≥ 0, got ${this.margin}`);
  }

  lossFromEmbeddings(embeddings: tf.Tensor2D[], batch: LossBatch): tf.Scalar {
    const labels = scalarLabels(batch, this.name);
    labels.forEach((l, i) => {
      if (!Number.isInteger(l))
        throw new Error(`${this.name}: label of row ${i} must be an integer class id, got ${l}`);
    });
    return tf.tidy(() => this.fromDistances(batchDistances(this.distance, embeddings[0]!), labels));
  }

  protected abstract fromDistances(d: tf.Tensor2D, labels: number[]): tf.Scalar;
}

/** A constant `[n, n]` 0/1 matrix. */
function matrix(n: number, f: (i: number, j: number) => boolean): tf.Tensor2D {
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (f(i, j)) data[i * n + j] = 1;
  return tf.tensor2d(data, [n, n]);
}

/**
 * sentence-transformers' BatchHardTripletLoss: for every anchor, its farthest positive (same label, another
 * row) and its closest negative (another label); mean over anchors of relu(d(a, p⁺) − d(a, n⁻) + margin).
 * An anchor without a positive counts d(a, p⁺) = 0; without a negative, d(a, n⁻) = its largest distance.
 */
export class BatchHardTripletLoss extends BatchTripletLoss {
  readonly name = 'BatchHardTripletLoss';

  protected fromDistances(d: tf.Tensor2D, labels: number[]): tf.Scalar {
    const n = labels.length;
    const positive = matrix(n, (i, j) => i !== j && labels[i] === labels[j]);
    const negative = matrix(n, (i, j) => labels[i] !== labels[j]);
    const hardestPositive = tf.max(tf.mul(positive, d), 1);
    const rowMax = tf.max(d, 1, true);
    const hardestNegative = tf.min(tf.add(d, tf.mul(rowMax, tf.sub(1, negative))), 1);
    return tf.mean(tf.relu(tf.add(tf.sub(hardestPositive, hardestNegative), this.margin))) as tf.Scalar;
  }
}

/**
 * sentence-transformers' BatchAllTripletLoss: every valid triplet (a, p, n) — a ≠ p same label, n another
 * label — contributes relu(d(a, p) − d(a, n) + margin); the sum is divided by the number of triplets whose
 * loss is positive (> 1e-16).
 */
export class BatchAllTripletLoss extends BatchTripletLoss {
  readonly name = 'BatchAllTripletLoss';

  protected fromDistances(d: tf.Tensor2D, labels: number[]): tf.Scalar {
    const n = labels.length;
    const valid = new Float32Array(n * n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++)
        for (let k = 0; k < n; k++)
          if (i !== j && i !== k && j !== k && labels[i] === labels[j] && labels[i] !== labels[k])
            valid[(i * n + j) * n + k] = 1;
    const all = tf.add(tf.sub(tf.expandDims(d, 2), tf.expandDims(d, 1)), this.margin);
    const losses = tf.relu(tf.mul(tf.tensor3d(valid, [n, n, n]), all));
    let count = 0;
    for (const v of losses.dataSync()) if (v > 1e-16) count++;
    return tf.div(tf.sum(losses), count + 1e-16) as tf.Scalar;
  }
}

/**
 * sentence-transformers' BatchSemiHardTripletLoss (FaceNet's semi-hard mining, as TensorFlow Addons): for
 * every positive pair (a, p), the negative is the closest one farther from a than p; when there is none, the
 * farthest negative of a. Loss = Σ relu(d(a, p) − d(a, n) + margin) over positive pairs / their number.
 */
export class BatchSemiHardTripletLoss extends BatchTripletLoss {
  readonly name = 'BatchSemiHardTripletLoss';

  protected fromDistances(d: tf.Tensor2D, labels: number[]): tf.Scalar {
    const n = labels.length;
    // The choice of negative is data-dependent and carries no gradient itself (a selection, as PyTorch's
    // masked min/max): pick it on the host, then differentiate through the chosen distances.
    const dist = d.arraySync() as number[][];
    const pairs: Array<[number, number, number]> = [];
    for (let a = 0; a < n; a++) {
      const negatives = labels.flatMap((l, k) => (l !== labels[a] ? [k] : []));
      for (let p = 0; p < n; p++) {
        if (p === a || labels[p] !== labels[a]) continue;
        const dap = dist[a]![p]!;
        let chosen = -1;
        for (const k of negatives)
          if (dist[a]![k]! > dap && (chosen < 0 || dist[a]![k]! < dist[a]![chosen]!)) chosen = k;
        if (chosen < 0)
          for (const k of negatives) if (chosen < 0 || dist[a]![k]! > dist[a]![chosen]!) chosen = k;
        // No negative at all: sentence-transformers' masked maximum falls back to the row's minimum.
        if (chosen < 0) chosen = dist[a]!.indexOf(Math.min(...dist[a]!));
        pairs.push([a, p, chosen]);
      }
    }
    if (pairs.length === 0) return tf.mul(tf.sum(d), 0) as tf.Scalar; // no positive pair: PyTorch gives 0/0
    const flat = tf.reshape(d, [-1]);
    const at = (idx: number[]) => tf.gather(flat, tf.tensor1d(idx, 'int32'));
    const dap = at(pairs.map(([a, p]) => a * n + p));
    const dan = at(pairs.map(([a, , k]) => a * n + k));
    return tf.div(tf.sum(tf.relu(tf.add(tf.sub(dap, dan), this.margin))), pairs.length) as tf.Scalar;
  }
}

const BATCH_DISTANCES: readonly BatchDistanceMetric[] = ['euclidean', 'cosine'];
const batchTripletOptions = {
  distance: lossOption.choice<BatchDistanceMetric>('euclidean', BATCH_DISTANCES),
  margin: lossOption.number(5, nonNegative),
};

/** Registry entry: `batch-hard-triplet` / BatchHardTripletLoss. */
export const batchHardTripletDefinition = defineLoss({
  name: 'batch-hard-triplet',
  className: 'BatchHardTripletLoss',
  description: "each anchor's farthest positive against its closest negative (text, label)",
  options: batchTripletOptions,
  create: (o) => new BatchHardTripletLoss(o),
});

/** Registry entry: `batch-all-triplet` / BatchAllTripletLoss. */
export const batchAllTripletDefinition = defineLoss({
  name: 'batch-all-triplet',
  className: 'BatchAllTripletLoss',
  description: 'every valid triplet of the batch, averaged over the active ones (text, label)',
  options: batchTripletOptions,
  create: (o) => new BatchAllTripletLoss(o),
});

/** Registry entry: `batch-semi-hard-triplet` / BatchSemiHardTripletLoss. */
export const batchSemiHardTripletDefinition = defineLoss({
  name: 'batch-semi-hard-triplet',
  className: 'BatchSemiHardTripletLoss',
  description: 'semi-hard negatives: the closest one farther than the positive (text, label)',
  options: batchTripletOptions,
  create: (o) => new BatchSemiHardTripletLoss(o),
});
