import { type SimilarityFunction, similarity } from '@contrastive/pooling';
import { type NamedVariable, tf } from '@contrastive/tensor-gpu';
import { columnTexts, embedCallOptions } from '../internal/embed.js';
import { diagonalCrossEntropy } from '../internal/ops.js';
import { defineLoss, lossOption } from '../loss_definition.js';
import { positive } from '../options.js';
import type { EmbeddingModel, Loss, LossBatch, LossContext } from '../types.js';

export interface ContrastiveTensionLossOptions {
  /** Initial value of the learnable logit scale (sentence-transformers: `logit_scale = log(scale)`). Default 20. */
  scale?: number;
  /** Default cosine. */
  similarity?: SimilarityFunction;
  /** Name of the loss-owned scale parameter (distinct per loss instance when several are trained together). */
  parameterName?: string;
}

/**
 * sentence-transformers' ContrastiveTensionLossInBatchNegatives on a single text column: scores =
 * sim(A, B) · exp(logit_scale), loss = (CE(scores, diag) + CE(scoresᵀ, diag)) / 2, with a learnable
 * `logit_scale` (a loss-owned parameter, initialized to log 20, optimized and checkpointed with the model).
 *
 * Mapping to one model: in sentence-transformers, A comes from `model1`, an independent deep copy of the
 * encoder made when the loss is built (trained, then thrown away), and B from the model that is saved. Our
 * losses see one `EmbeddingModel` and the seam has no way to copy it, so here A and B are two passes of the
 * same model with different dropout seeds. The objective is the same; what is lost is the second set of
 * weights (the "tension" between two diverging encoders), so this is closer to SimCSE with a symmetric loss and
 * a learned temperature than to the paper's two-tower setup. Documented in the losses README.
 */
export class ContrastiveTensionLoss implements Loss {
  readonly name = 'ContrastiveTensionLossInBatchNegatives';
  readonly columns = {
    minInputs: 1,
    maxInputs: 1,
    label: 'none' as const,
    description: '(text): single sentences, no labels',
  };
  readonly similarity: SimilarityFunction;
  readonly logitScale: tf.Variable;
  private readonly parameterName: string;

  constructor(options: ContrastiveTensionLossOptions = {}) {
    const scale = options.scale ?? 20;
    if (!(scale > 0)) throw new Error(`${this.name}: scale must be positive, got ${scale}`);
    this.similarity = options.similarity ?? 'cosine';
    this.parameterName = options.parameterName ?? 'contrastive_tension.logit_scale';
    this.logitScale = tf.variable(tf.scalar(Math.log(scale)), true);
  }

  /** The current scale, exp(logit_scale). */
  get scale(): number {
    return Math.exp(this.logitScale.dataSync()[0]!);
  }

  namedVariables(): NamedVariable[] {
    return [{ name: this.parameterName, variable: this.logitScale }];
  }

  forward(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): tf.Scalar {
    const [texts] = columnTexts(batch, this.name) as [string[]];
    return tf.tidy(() => {
      const a = model.embedTensor(texts, embedCallOptions(ctx, 0, 0));
      const b = model.embedTensor(texts, embedCallOptions(ctx, 1, 0));
      const scores = tf.mul(similarity(this.similarity, a, b), tf.exp(this.logitScale)) as tf.Tensor2D;
      const forward = diagonalCrossEntropy(scores);
      const backward = diagonalCrossEntropy(tf.transpose(scores));
      return tf.div(tf.add(forward, backward), 2) as tf.Scalar;
    });
  }

  dispose(): void {
    this.logitScale.dispose();
  }
}

/** Registry entry: `ct` / ContrastiveTensionLossInBatchNegatives. */
export const contrastiveTensionDefinition = defineLoss({
  name: 'ct',
  className: 'ContrastiveTensionLossInBatchNegatives',
  description: 'Contrastive Tension, in-batch negatives, learnable scale; one model for both sides (text)',
  options: { scale: lossOption.number(20, positive), similarity: lossOption.similarity('cosine') },
  create: (o) => new ContrastiveTensionLoss(o),
});
