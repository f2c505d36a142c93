import { type NamedVariable, tf } from '@contrastive/tensor-gpu';
import type { EmbeddingModel, LossBatch, LossContext, LossGradients } from '../types.js';
import { columnTexts, embedCallOptions } from './embed.js';
import { accumulateGradients, tapeGradients, trainable } from './gradients.js';

/**
 * GradCache (Gao et al. 2021), as sentence-transformers' Cached* losses:
 * 1. embed every column in mini-batches with no tape (embeddings only, activations freed at once);
 * 2. compute the full-batch loss and d(loss)/d(embeddings) with the embeddings as leaf tensors;
 * 3. for each mini-batch, re-run the forward under the tape with the same dropout seed and backpropagate the
 *    cached embedding gradient (the gradient of Σ emb ⊙ cachedGrad), summing parameter gradients.
 * Peak memory is one mini-batch's activations plus the gradients, whatever the batch size.
 */
export function gradCache(
  model: EmbeddingModel,
  batch: LossBatch,
  ctx: LossContext,
  miniBatchSize: number,
  lossName: string,
  lossFromEmbeddings: (embeddings: tf.Tensor2D[]) => tf.Scalar,
): LossGradients {
  const columns = columnTexts(batch, lossName);
  const chunks: Array<[number, number]> = [];
  for (let s = 0; s < batch.size; s += miniBatchSize)
    chunks.push([s, Math.min(s + miniBatchSize, batch.size)]);
  // The replay must draw the same dropout masks as the first pass, so a seed is fixed even when none is given.
  const seeded: LossContext = { ...ctx, seed: ctx.seed ?? Math.floor(Math.random() * 0x7fffffff) };
  const callOptions = (column: number, chunk: number) =>
    embedCallOptions(seeded, column * chunks.length + chunk, column);

  const embeddings = columns.map((texts, c) =>
    tf.tidy(() => {
      const parts = chunks.map(([s, e], j) => model.embedTensor(texts.slice(s, e), callOptions(c, j)));
      return parts.length === 1 ? parts[0]! : (tf.concat(parts, 0) as tf.Tensor2D);
    }),
  );
  let lossValue: number;
  let embeddingGrads: tf.Tensor[];
  try {
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) =>
      lossFromEmbeddings(xs as tf.Tensor2D[]),
    )(embeddings);
    lossValue = value.dataSync()[0]!;
    value.dispose();
    embeddingGrads = grads;
  } finally {
    for (const e of embeddings) e.dispose();
  }

  const params: NamedVariable[] = trainable(model.namedVariables());
  const acc = new Map<string, tf.Tensor>();
  try {
    columns.forEach((texts, c) => {
      chunks.forEach(([s, e], j) => {
        const cached = tf.slice(embeddingGrads[c]!, [s, 0], [e - s, -1]);
        try {
          const { grads } = tapeGradients(params, () =>
            tf.sum(tf.mul(model.embedTensor(texts.slice(s, e), callOptions(c, j)), cached)),
          );
          accumulateGradients(acc, grads);
        } finally {
          cached.dispose();
        }
      });
    });
  } catch (err) {
    for (const g of acc.values()) g.dispose();
    throw err;
  } finally {
    for (const g of embeddingGrads) g.dispose();
  }
  return { loss: lossValue, grads: acc };
}
