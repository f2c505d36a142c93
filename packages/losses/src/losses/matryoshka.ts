import { mulberry32 } from '@contrastive/core';
import { type NamedVariable, tf } from '@contrastive/tensor-gpu';
import { gradCache } from '../internal/gradcache.js';
import { tapeGradients } from '../internal/gradients.js';
import { truncate } from '../internal/ops.js';
import { defineLoss, lossOption } from '../loss_definition.js';
import type { EmbeddingModel, Loss, LossBatch, LossContext, LossGradients, LossOptions } from '../types.js';
import { CachedMultipleNegativesRankingLoss } from './cached_mnrl.js';
import { GISTEmbedLoss } from './gist.js';
import { modelDimension } from './softmax.js';

export interface MatryoshkaLossOptions {
  /** Embedding sizes to train (each ≤ the model's). Default: {@link defaultMatryoshkaDims} of the model's size. */
  dims?: number[];
  /** One weight per dimension. Default 1 each. */
  weights?: number[];
  /** Train a random subset of this many dimensions per step; all when absent or ≤ 0 (sentence-transformers' n_dims_per_step). */
  nDimsPerStep?: number;
}

/** The model's size and its halvings while they stay ≥ 32 (768 → 768, 384, 192, 96, 48). */
export function defaultMatryoshkaDims(dimension: number): number[] {
  const dims = [dimension];
  for (let d = dimension / 2; Number.isInteger(d) && d >= 32; d /= 2) dims.push(d);
  return dims;
}

/**
 * Replays one model's embeddings: the first pass over the inner loss embeds (and keeps) every call's
 * output, later passes get the same tensors back by call order, each truncated to the current dimension — the
 * model runs once per batch, as sentence-transformers' ForwardDecorator.
 */
class TruncatingModel implements EmbeddingModel {
  private readonly cache: tf.Tensor2D[] = [];
  private calls = 0;
  private dim = 0;

  constructor(private readonly model: EmbeddingModel) {}

  startPass(dim: number): void {
    this.dim = dim;
    this.calls = 0;
  }

  embedTensor(texts: string[], options?: Parameters<EmbeddingModel['embedTensor']>[1]): tf.Tensor2D {
    const i = this.calls++;
    let full = this.cache[i];
    if (!full) {
      full = tf.keep(this.model.embedTensor(texts, options));
      this.cache[i] = full;
    } else if (full.shape[0] !== texts.length) {
      throw new Error(
        `MatryoshkaLoss: the inner loss embedded ${texts.length} texts in call ${i + 1}, ${full.shape[0]} the first time`,
      );
    }
    if (this.dim > full.shape[1]) {
      throw new Error(
        `MatryoshkaLoss: dimension ${this.dim} exceeds the model's embedding size ${full.shape[1]}`,
      );
    }
    return tf.slice(full, [0, 0], [-1, this.dim]);
  }

  namedVariables(): NamedVariable[] {
    return this.model.namedVariables();
  }

  dispose(): void {
    for (const t of this.cache) t.dispose();
    this.cache.length = 0;
  }
}

/**
 * sentence-transformers' MatryoshkaLoss: the inner loss computed on the first d dimensions of the embeddings
 * for every d in `dims`, weighted and summed, so truncated embeddings stay useful. Wraps any loss with
 * `forward`, and CachedMultipleNegativesRankingLoss (truncating its cached embeddings).
 */
export class MatryoshkaLoss implements Loss {
  readonly name = 'MatryoshkaLoss';
  readonly inner: Loss;
  private dims: number[] | undefined;
  private weights: number[] | undefined;
  readonly nDimsPerStep: number;

  constructor(inner: Loss, options: MatryoshkaLossOptions = {}) {
    this.inner = inner;
    this.nDimsPerStep = options.nDimsPerStep ?? 0;
    if (!inner.forward && !(inner instanceof CachedMultipleNegativesRankingLoss)) {
      throw new Error(`MatryoshkaLoss cannot wrap ${inner.name}: it has no forward()`);
    }
    if (options.dims) this.setDims(options.dims, options.weights);
    else if (options.weights) throw new Error('MatryoshkaLoss: weights given without dims');
  }

  get columns() {
    return this.inner.columns;
  }

  /** The dimensions trained, once known (given, or set from the model by `prepare`). */
  get matryoshkaDims(): number[] | undefined {
    return this.dims?.slice();
  }

  private setDims(dims: number[], weights?: number[]): void {
    if (dims.length === 0) throw new Error('MatryoshkaLoss: dims must not be empty');
    for (const d of dims)
      if (!Number.isInteger(d) || d < 1)
        throw new Error(`MatryoshkaLoss: dims must be positive integers, got ${d}`);
    const w = weights ?? dims.map(() => 1);
    if (w.length !== dims.length)
      throw new Error(`MatryoshkaLoss: ${w.length} weights for ${dims.length} dims`);
    this.dims = dims.slice();
    this.weights = w.slice();
  }

  prepare(model: EmbeddingModel): void {
    this.inner.prepare?.(model);
    if (!this.dims) this.setDims(defaultMatryoshkaDims(modelDimension(model)));
  }

  namedVariables(): NamedVariable[] {
    return this.inner.namedVariables?.() ?? [];
  }

  /** Indices of the dimensions used this step. */
  private selected(ctx: LossContext): number[] {
    const all = this.dims!.map((_, i) => i);
    if (this.nDimsPerStep <= 0 || this.nDimsPerStep >= all.length) return all;
    const rand = ctx.seed !== undefined ? mulberry32(ctx.seed ^ 0x3c6ef372) : Math.random;
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    return all.slice(0, this.nDimsPerStep).sort((a, b) => a - b);
  }

  forward(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): tf.Scalar {
    if (!this.dims) this.prepare(model);
    const forward = this.inner.forward?.bind(this.inner);
    if (!forward) throw new Error(`MatryoshkaLoss cannot wrap ${this.inner.name}: it has no forward()`);
    const replay = new TruncatingModel(model);
    try {
      return tf.tidy(() => {
        const terms = this.selected(ctx).map((i) => {
          replay.startPass(this.dims![i]!);
          return tf.mul(forward(replay, batch, ctx), this.weights![i]!);
        });
        return tf.addN(terms) as tf.Scalar;
      });
    } finally {
      replay.dispose();
    }
  }

  computeGradients(model: EmbeddingModel, batch: LossBatch, ctx: LossContext): LossGradients {
    this.prepare(model);
    const inner = this.inner;
    if (inner instanceof CachedMultipleNegativesRankingLoss) {
      const chosen = this.selected(ctx);
      return gradCache(model, batch, ctx, inner.miniBatchSize, this.name, (embeddings) =>
        tf.tidy(() => {
          const full = embeddings[0]!.shape[1];
          const terms = chosen.map((i) => {
            const dim = this.dims![i]!;
            if (dim > full)
              throw new Error(`MatryoshkaLoss: dimension ${dim} exceeds the model's embedding size ${full}`);
            return tf.mul(
              inner.lossFromEmbeddings(
                embeddings.map((e) => truncate(e, dim)),
                batch,
              ),
              this.weights![i]!,
            );
          });
          return tf.addN(terms) as tf.Scalar;
        }),
      );
    }
    return tapeGradients([...model.namedVariables(), ...this.namedVariables()], () =>
      this.forward(model, batch, ctx),
    );
  }
}

/** Registry entry: `matryoshka` / MatryoshkaLoss. */
export const matryoshkaDefinition = defineLoss({
  name: 'matryoshka',
  className: 'MatryoshkaLoss',
  description:
    'an inner loss summed over truncated embedding sizes; inner=<loss name>, inner.<option>=<value>',
  options: {
    inner: lossOption.custom((r, name) => {
      const spec = r.raw(name) ?? r.raw('loss');
      const options = { ...((r.raw('innerOptions') as LossOptions | undefined) ?? {}), ...r.prefixed(name) };
      if (typeof spec === 'string' || (spec && typeof spec === 'object' && 'columns' in spec)) {
        return { spec: spec as string | Loss, options };
      }
      throw new Error(
        `${r.loss}: option inner is required: a registered loss name (e.g. inner=mnrl) or a Loss`,
      );
    }, 'required'),
    dims: lossOption.numbers('matryoshkaDims'),
    weights: lossOption.numbers('matryoshkaWeights'),
    nDimsPerStep: lossOption.number(0),
  },
  create: ({ inner, ...o }, createLoss) =>
    new MatryoshkaLoss(
      typeof inner.spec === 'string' ? createLoss(inner.spec, inner.options) : inner.spec,
      o,
    ),
});
