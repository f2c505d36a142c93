import { gradCache } from '../internal/gradcache.js';
import { defineLoss, lossOption } from '../loss_definition.js';
import { positive, positiveInteger } from '../options.js';
import type { EmbeddingModel, LossBatch, LossContext, LossGradients } from '../types.js';
import {
  MultipleNegativesRankingLoss,
  type MultipleNegativesRankingLossOptions,
  mnrlSharedOptions,
} from './mnrl.js';

export interface CachedMultipleNegativesRankingLossOptions extends MultipleNegativesRankingLossOptions {
  /** Texts per forward/backward pass; bounds memory, not the number of in-batch negatives. Default 32. */
  miniBatchSize?: number;
}

/**
 * sentence-transformers' CachedMultipleNegativesRankingLoss: the same loss and gradients as
 * MultipleNegativesRankingLoss, computed with GradCache so a large batch (many in-batch negatives) needs the
 * memory of one mini-batch. `forward` (for evaluation) is the plain, uncached loss.
 */
export class CachedMultipleNegativesRankingLoss extends MultipleNegativesRankingLoss {
  override readonly name: string = 'CachedMultipleNegativesRankingLoss';
  readonly miniBatchSize: number;

  constructor(options: CachedMultipleNegativesRankingLossOptions = {}) {
    super(options);
    this.miniBatchSize = options.miniBatchSize ?? 32;
    if (!Number.isInteger(this.miniBatchSize) || this.miniBatchSize < 1) {
      throw new Error(`${this.name}: miniBatchSize must be a positive integer, got ${options.miniBatchSize}`);
    }
  }

  computeGradients(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): LossGradients {
    return gradCache(model, batch, ctx, this.miniBatchSize, this.name, (embeddings) =>
      this.lossFromEmbeddings(embeddings, batch),
    );
  }
}

/** Registry entry: `cached-mnrl` / CachedMultipleNegativesRankingLoss. */
export const cachedMnrlDefinition = defineLoss({
  name: 'cached-mnrl',
  className: 'CachedMultipleNegativesRankingLoss',
  description:
    'MNRL with GradCache: large batches in mini-batches of constant memory (anchor, positive[, negative...])',
  options: {
    scale: lossOption.number(20, positive),
    miniBatchSize: lossOption.number(32, positiveInteger),
    ...mnrlSharedOptions,
  },
  create: (o) => new CachedMultipleNegativesRankingLoss(o),
});
