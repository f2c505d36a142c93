import type { tf } from '@contrastive/tensor-gpu';
import { columnTexts } from '../internal/embed.js';
import { defineLoss, lossOption } from '../loss_definition.js';
import { positive } from '../options.js';
import type { EmbeddingModel, LossBatch, LossContext } from '../types.js';
import {
  MultipleNegativesRankingLoss,
  type MultipleNegativesRankingLossOptions,
  mnrlSharedOptions,
} from './mnrl.js';

/**
 * SimCSE (Gao et al., 2021). Unsupervised, on a single text column: every sentence is embedded twice, each
 * pass with its own dropout mask (two embedding calls of the step, so two derived seeds), and the second pass
 * is the positive of the first among the batch (MultipleNegativesRankingLoss, temperature 0.05 = scale 20).
 * Supervised, on (anchor, positive[, negative…]) such as NLI triplets: exactly MultipleNegativesRankingLoss
 * with scale 20 (hard negatives as extra candidates).
 */
export class SimCSELoss extends MultipleNegativesRankingLoss {
  override readonly name: string = 'SimCSELoss';
  override readonly columns = {
    minInputs: 1,
    label: 'none' as const,
    description: '(text) for unsupervised SimCSE, or (anchor, positive[, negative...]) for supervised',
  };

  constructor(options: MultipleNegativesRankingLossOptions = {}) {
    super({ scale: 20, ...options });
  }

  override forward(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): tf.Scalar {
    if (batch.columnNames.length !== 1) return super.forward(model, batch, ctx);
    // The single column duplicated: the data recipe of unsupervised SimCSE.
    const [name] = batch.columnNames as [string];
    const [texts] = columnTexts(batch, this.name) as [string[]];
    const twice: LossBatch = {
      ...batch,
      columnNames: [name, `${name} (second pass)`],
      columns: { [name]: texts, [`${name} (second pass)`]: texts },
    };
    const prompts = ctx.prompts ? [ctx.prompts[0], ctx.prompts[0]] : undefined;
    return super.forward(model, twice, { ...ctx, ...(prompts ? { prompts } : {}) });
  }
}

/** Registry entry: `simcse` / SimCSELoss. */
export const simcseDefinition = defineLoss({
  name: 'simcse',
  className: 'SimCSELoss',
  description:
    'unsupervised on (text): each sentence embedded twice, dropout the only noise; supervised on NLI triplets: MNRL',
  options: { scale: lossOption.number(20, positive), ...mnrlSharedOptions },
  create: (o) => new SimCSELoss(o),
});
