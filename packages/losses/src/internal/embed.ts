import type { tf } from '@contrastive/tensor-gpu';
import type { EmbeddingModel, LossBatch, LossContext } from '../types.js';
import { deriveSeed } from './rng.js';

export interface EmbedCallOptions {
  training: boolean;
  seed?: number;
  dropoutRate?: number;
  prompt?: string;
}

/**
 * Options of the `k`-th embedding call of a step, on text column `column`. Each call gets its own dropout seed:
 * with one seed for every column, identical texts (SimCSE's anchor = positive) would get identical dropout
 * masks. The column's prompt rides along when the model adds prompts itself (`ctx.prompts`).
 */
export function embedCallOptions(ctx: LossContext, k: number, column = k): EmbedCallOptions {
  const out: EmbedCallOptions = { training: ctx.training };
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

/** Labels as one number per row. */
export function scalarLabels(batch: LossBatch, lossName: string): number[] {
  const labels = batch.labels;
  if (!labels) throw new Error(`${lossName}: the batch has no label column`);
  if (labels.length !== batch.size)
    throw new Error(`${lossName}: ${labels.length} labels for ${batch.size} rows`);
  return labels.map((l, i) => {
    if (typeof l !== 'number' || Number.isNaN(l))
      throw new Error(`${lossName}: label of row ${i} must be a number, got ${JSON.stringify(l)}`);
    return l;
  });
}

/** Labels as a list of `width` numbers per row (a plain number is a list of one). */
export function listLabels(batch: LossBatch, lossName: string, width: number, what: string): number[][] {
  const labels = batch.labels;
  if (!labels) throw new Error(`${lossName}: the batch has no label column`);
  if (labels.length !== batch.size)
    throw new Error(`${lossName}: ${labels.length} labels for ${batch.size} rows`);
  return labels.map((l, i) => {
    const row = typeof l === 'number' ? [l] : l;
    if (
      !Array.isArray(row) ||
      row.length !== width ||
      row.some((v) => typeof v !== 'number' || Number.isNaN(v))
    ) {
      throw new Error(
        `${lossName}: label of row ${i} must be a list of ${width} numbers (${what}), got ${JSON.stringify(l)}`,
      );
    }
    return row;
  });
}
