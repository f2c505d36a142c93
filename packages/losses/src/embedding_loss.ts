import { tf } from '@contrastive/tensor-gpu';
import { embedColumns } from './internal/embed.js';
import type { ColumnRequirement, EmbeddingModel, Loss, LossBatch, LossContext } from './types.js';

/**
 * Base class for losses that embed every text column once (one model call per column, in order) and
 * compute a scalar from the embeddings — sentence-transformers' `compute_loss_from_embeddings`. Subclasses
 * implement `lossFromEmbeddings`; CachedMultipleNegativesRankingLoss and MatryoshkaLoss reuse it on cached
 * or truncated embeddings.
 */
export abstract class EmbeddingLoss implements Loss {
  abstract readonly name: string;
  abstract readonly columns: ColumnRequirement;

  forward(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): tf.Scalar {
    return tf.tidy(() => this.lossFromEmbeddings(embedColumns(model, batch, ctx, this.name), batch));
  }

  /** The loss from one `[size, dim]` embedding tensor per text column. */
  abstract lossFromEmbeddings(embeddings: tf.Tensor2D[], batch: LossBatch): tf.Scalar;
}
