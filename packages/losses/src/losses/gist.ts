import { cosineSimilarity } from '@contrastive/pooling';
import { type NamedVariable, tf } from '@contrastive/tensor-gpu';
import { columnTexts, embedColumns } from '../internal/embed.js';
import { tapeGradients } from '../internal/gradients.js';
import { MASKED, diagonalCrossEntropy } from '../internal/ops.js';
import { defineLoss, lossOption } from '../loss_definition.js';
import { positive } from '../options.js';
import type { EmbeddingModel, Loss, LossBatch, LossContext, LossGradients } from '../types.js';

export interface GISTEmbedLossOptions {
  /** The guide model: scores in-batch candidates without gradients. */
  guide: EmbeddingModel;
  /** Default 0.01. */
  temperature?: number;
  /** How the guide's positive score becomes a threshold: `absolute` (s − margin) or `relative` (s·(1 − margin)). */
  marginStrategy?: 'absolute' | 'relative';
  /** Default 0. */
  margin?: number;
  /** Anchors compete with the batch's other anchors. Default true. */
  contrastAnchors?: boolean;
  /** Positives compete with the batch's other positives. Default true. */
  contrastPositives?: boolean;
}

interface GuideSimilarities {
  ap: number[][];
  aa: number[][];
  pp: number[][];
  an?: number[][];
}

/**
 * sentence-transformers' GISTEmbedLoss: in-batch negatives like MNRL over [anchor–positive, anchor–anchor,
 * positive–positive, anchor–negative] cosine similarities / temperature, except that every candidate the
 * guide model scores above the guide's own anchor–positive score is masked out (a likely false negative). The
 * true positive is never masked.
 */
export class GISTEmbedLoss implements Loss {
  readonly name = 'GISTEmbedLoss';
  readonly columns = {
    minInputs: 2,
    maxInputs: 3,
    label: 'none' as const,
    description: '(anchor, positive[, negative])',
  };
  readonly guide: EmbeddingModel;
  readonly temperature: number;
  readonly marginStrategy: 'absolute' | 'relative';
  readonly margin: number;
  readonly contrastAnchors: boolean;
  readonly contrastPositives: boolean;
  // The guide is deterministic (no dropout), so its scores are reused when a wrapper (MatryoshkaLoss) calls again.
  private readonly guideCache = new WeakMap<LossBatch, GuideSimilarities>();

  constructor(options: GISTEmbedLossOptions) {
    if (!options?.guide || typeof options.guide.embedTensor !== 'function') {
      throw new Error('GISTEmbedLoss: option guide must be an embedding model (an object with embedTensor)');
    }
    this.guide = options.guide;
    this.temperature = options.temperature ?? 0.01;
    this.marginStrategy = options.marginStrategy ?? 'absolute';
    this.margin = options.margin ?? 0;
    this.contrastAnchors = options.contrastAnchors ?? true;
    this.contrastPositives = options.contrastPositives ?? true;
    if (!(this.temperature > 0))
      throw new Error(`GISTEmbedLoss: temperature must be positive, got ${this.temperature}`);
  }

  /** The guide's cosine similarity matrices, as plain numbers (no gradient ever flows into the guide). */
  guideSimilarities(batch: LossBatch, ctx?: LossContext): GuideSimilarities {
    const cached = this.guideCache.get(batch);
    if (cached) return cached;
    // The guide reads the texts as the model does, prompts included (sentence-transformers decodes the inputs).
    const texts = columnTexts(batch, this.name).map((col, k) => {
      const prompt = ctx?.prompts?.[k];
      return prompt ? col.map((t) => prompt + t) : col;
    });
    const embeddings = tf.tidy(() => texts.map((t) => this.guide.embedTensor(t, { training: false })));
    const m = (x: tf.Tensor2D, y: tf.Tensor2D) => {
      const s = cosineSimilarity(x, y);
      const out = s.arraySync();
      s.dispose();
      return out;
    };
    const [a, p, n] = embeddings as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D | undefined];
    const sims: GuideSimilarities = { ap: m(a, p), aa: m(a, a), pp: m(p, p) };
    if (n) sims.an = m(a, n);
    for (const e of embeddings) e.dispose();
    this.guideCache.set(batch, sims);
    return sims;
  }

  private maskFor(guided: number[][], guidedPositive: number[], protectDiagonal: boolean): tf.Tensor2D {
    const rows = guided.length;
    const cols = guided[0]?.length ?? 0;
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const s = guidedPositive[i]!;
      const threshold = this.marginStrategy === 'absolute' ? s - this.margin : s * (1 - this.margin);
      for (let j = 0; j < cols; j++) {
        if (protectDiagonal && i === j) continue;
        if (guided[i]![j]! > threshold) data[i * cols + j] = MASKED;
      }
    }
    return tf.tensor2d(data, [rows, cols]);
  }

  /** The loss from the model's embeddings `[anchor, positive[, negative]]` and the guide's similarities. */
  lossFromEmbeddings(embeddings: tf.Tensor2D[], guide: GuideSimilarities): tf.Scalar {
    return tf.tidy(() => {
      const [a, p, n] = embeddings as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D | undefined];
      const guidedPositive = guide.ap.map((row, i) => row[i]!);
      const scores: tf.Tensor2D[] = [
        tf.add(cosineSimilarity(a, p), this.maskFor(guide.ap, guidedPositive, true)),
      ];
      if (this.contrastAnchors)
        scores.push(tf.add(cosineSimilarity(a, a), this.maskFor(guide.aa, guidedPositive, false)));
      if (this.contrastPositives)
        scores.push(tf.add(cosineSimilarity(p, p), this.maskFor(guide.pp, guidedPositive, false)));
      if (n && guide.an)
        scores.push(tf.add(cosineSimilarity(a, n), this.maskFor(guide.an, guidedPositive, false)));
      return diagonalCrossEntropy(tf.div(tf.concat(scores, 1), this.temperature) as tf.Tensor2D);
    });
  }

  forward(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): tf.Scalar {
    const guide = this.guideSimilarities(batch, ctx);
    return tf.tidy(() => this.lossFromEmbeddings(embedColumns(model, batch, ctx, this.name), guide));
  }

  /** Runs the guide before the gradient tape starts, so none of its activations are kept for backprop. */
  computeGradients(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): LossGradients {
    const guide = this.guideSimilarities(batch, ctx);
    const params: NamedVariable[] = model.namedVariables();
    return tapeGradients(params, () =>
      this.lossFromEmbeddings(embedColumns(model, batch, ctx, this.name), guide),
    );
  }
}

/** Registry entry: `gist` / GISTEmbedLoss. */
export const gistDefinition = defineLoss({
  name: 'gist',
  className: 'GISTEmbedLoss',
  description:
    'MNRL whose guide model masks likely false negatives (anchor, positive[, negative]); guide=<model>',
  options: {
    guide: lossOption.custom((r, name) => {
      const guide = r.raw(name);
      if (!guide || typeof (guide as EmbeddingModel).embedTensor !== 'function') {
        throw new Error(`${r.loss}: option ${name} is required and must be a loaded embedding model`);
      }
      return guide as EmbeddingModel;
    }, 'required'),
    temperature: lossOption.number(0.01, positive),
    marginStrategy: lossOption.choice('absolute', ['absolute', 'relative'] as const),
    margin: lossOption.number(0),
    contrastAnchors: lossOption.boolean(true),
    contrastPositives: lossOption.boolean(true),
  },
  create: (o) => new GISTEmbedLoss(o),
});
