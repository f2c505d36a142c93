import { tf } from '@contrastive/tensor-gpu';
import { columnTexts, embedCallOptions, listLabels } from '../internal/embed.js';
import { defineLoss, lossOption } from '../loss_definition.js';
import type { EmbeddingModel, LossBatch, LossContext } from '../types.js';
import {
  CrossEncoderLoss,
  LOGIT_ACTIVATIONS,
  type LogitActivation,
  activate,
  singleLogit,
} from './cross_encoder.js';

/** The logit a padded document gets: its softmax weight is 0 and its target is 0, so it adds nothing. */
const PAD_LOGIT = -1e16;

/**
 * sentence-transformers' cross-encoder `ListNetLoss` (Cao et al. 2007): per query, the cross entropy between
 * the softmax of the labels and the softmax of the documents' scores, −Σⱼ softmax(y)ⱼ · log softmax(s)ⱼ, averaged
 * over the queries. Rows are `(query, doc_1, …, doc_n)` with a list of n relevance labels (binary or graded);
 * an empty document is padding (not scored, left out of both distributions), so queries may have fewer than n
 * documents. One `scoreTensor` call per batch; `activation` (identity by default) is applied to the logits.
 */
export class ListNetLoss extends CrossEncoderLoss {
  readonly name = 'ListNetLoss';
  readonly columns = {
    minInputs: 2,
    label: 'list' as const,
    acceptsScalarLabel: true,
    description:
      '(query, doc_1[, doc_2...]) with one relevance label per document; an empty document is padding',
  };
  readonly activation: LogitActivation;

  constructor(options: { activation?: LogitActivation } = {}) {
    super();
    this.activation = options.activation ?? 'identity';
  }

  forward(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): tf.Scalar {
    const [queries, ...docs] = columnTexts(batch, this.name) as [string[], ...string[][]];
    const n = docs.length;
    const labels = listLabels(batch, this.name, n, 'one relevance label per document');
    const pairs: Array<[string, string]> = [];
    // Where each (row, document) cell reads its logit from: a scored pair, or the padding slot after them.
    const cells: number[] = [];
    const targets: number[] = [];
    for (let i = 0; i < batch.size; i++) {
      const valid: number[] = [];
      for (let j = 0; j < n; j++) if (docs[j]![i] !== '') valid.push(j);
      if (valid.length === 0) throw new Error(`${this.name}: row ${i} has no document (all are empty)`);
      const max = Math.max(...valid.map((j) => labels[i]![j]!));
      const z = valid.reduce((s, j) => s + Math.exp(labels[i]![j]! - max), 0);
      for (let j = 0; j < n; j++) {
        if (docs[j]![i] === '') {
          cells.push(-1);
          targets.push(0);
        } else {
          cells.push(pairs.length);
          pairs.push([queries[i]!, docs[j]![i]!]);
          targets.push(Math.exp(labels[i]![j]! - max) / z);
        }
      }
    }
    const pad = pairs.length;
    const { prompt: _none, ...options } = embedCallOptions(ctx, 0);
    return tf.tidy(() => {
      const logits = singleLogit(
        activate(this.activation, this.scorer(model).scoreTensor(pairs, options)),
        this.name,
      );
      const withPad = tf.concat([logits, tf.tensor1d([PAD_LOGIT])]);
      const matrix = tf.reshape(
        tf.gather(
          withPad,
          tf.tensor1d(
            cells.map((c) => (c < 0 ? pad : c)),
            'int32',
          ),
        ),
        [batch.size, n],
      );
      const logProbs = tf.logSoftmax(matrix);
      const perRow = tf.neg(tf.sum(tf.mul(tf.tensor2d(targets, [batch.size, n]), logProbs), 1));
      return tf.mean(perRow) as tf.Scalar;
    });
  }
}

/** Registry entry: `listnet` / ListNetLoss (cross-encoder reranker, listwise). */
export const listNetDefinition = defineLoss({
  name: 'listnet',
  className: 'ListNetLoss',
  description:
    "cross-encoder reranker, listwise: cross entropy between softmax(labels) and softmax(scores) of each query's documents (query, doc_1…doc_n, labels)",
  options: { activation: lossOption.choice<LogitActivation>('identity', LOGIT_ACTIVATIONS) },
  create: (o) => new ListNetLoss(o),
});
