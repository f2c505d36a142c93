import type { tf } from '@contrastive/tensor-gpu';
import { deriveSeed } from './internal/rng.js';
import type { EmbedCallOptions, EmbeddingModel, LossBatch, LossContext } from './types.js';

// Public so that a loss written as a plain object (a plugin's) embeds exactly as the built-in losses do: its own
// dropout seed per call and the column's prompt, without subclassing EmbeddingLoss.

/**
 * Options of the `k`-th embedding call of a step, on text column `column`. Each call gets its own dropout seed:
 * with one seed for every column, identical texts (SimCSE's anchor = positive) would get identical dropout
 * masks. The column's prompt rides along when the model adds prompts itself (`ctx.prompts`).
 */
export function embedCallOptions(
  ctx: LossContext,
  k: number,
  column = k,
): EmbedCallOptions & { training: boolean } {
  const out: EmbedCallOptions & { training: boolean } = { training: ctx.training };
  if (ctx.seed !== undefined) out.seed = deriveSeed(ctx.seed, k);
  if (ctx.dropoutRate !== undefined) out.dropoutRate = ctx.dropoutRate;
  const prompt = ctx.prompts?.[column];
  if (prompt) out.prompt = prompt;
  return out;
}

/** The texts of each text column, in order; a clear error when the batch is malformed. */
export function columnTexts(batch: LossBatch, lossName: string): string[][] {
  return batch.columnNames.map((name) => {
    const texts = batch.columns[name];
    if (!texts) throw new Error(`${lossName}: batch has no column "${name}"`);
    if (texts.length !== batch.size) {
      throw new Error(`${lossName}: column "${name}" has ${texts.length} rows, the batch has ${batch.size}`);
    }
    return texts;
  });
}

/** One model call per text column, as sentence-transformers does (each column pads on its own). */
export function embedColumns(
  model: EmbeddingModel,
  batch: LossBatch,
  ctx: LossContext,
  lossName: string,
): tf.Tensor2D[] {
  return columnTexts(batch, lossName).map((texts, k) => model.embedTensor(texts, embedCallOptions(ctx, k)));
}
