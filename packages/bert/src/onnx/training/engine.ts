import {
  type EngineDevice,
  type NamedVariable,
  markNonzeroRows,
  readFloat32,
  scatterAddRows,
  squaredNorm,
  tf,
} from '@contrastive/tensor-gpu';
import type { BertModel } from '../../model.js';
import type { EncodedBatch } from '../../tokenizer.js';
import type { EmbedTensorOptions } from '../../types.js';
import {
  EMBEDDINGS,
  type EmbeddingGradientRows,
  type FusedPooling,
  OnnxBertTrainer,
  type TrainingActivations,
  type TrainingPass,
  type WeightSnapshot,
  flaggedRows,
  forEachGroupToken,
  scatterEmbeddingRows,
} from './internal/bert_engine.js';

export interface OnnxTrainingEngineOptions {
  /** onnxruntime intra-op threads. Default 2. */
  threads?: number;
  /** Where the forward and backward graphs run (`OnnxSessionOptions.device`). Default `cpu`. */
  device?: EngineDevice;
  /**
   * At most this many attention groups per batch: rows of similar length whose attention is padded only to
   * their own longest row (default: chosen by batch size and padded length; 1: one group per batch). Without
   * dropout the results agree to float rounding; with dropout a different count draws different masks.
   */
  maxAttentionGroups?: number;
}

/**
 * What the training engine needs from a model on the transformer (SentenceEncoder and CrossEncoder fit it): the
 * transformer, how a batch is tokenized (texts for a sentence encoder, pairs for a cross-encoder), and the head
 * on tfjs (the modules after the transformer; the classification head) — the head's output is what the loss sees.
 */
export interface TrainableTransformerEncoder {
  readonly bert: BertModel;
  /** Width of the head's output (the embedding dimension; the number of labels). */
  readonly dimension: number;
  /** Texts as the model embeds them (`embed` calls). */
  tokenizeForEmbedding?(texts: string[], prompt?: string): { batch: EncodedBatch; exclude: number };
  /** Pairs `[CLS] a [SEP] b [SEP]` with token types (`score` calls). */
  tokenizePairs?(pairs: Array<[string, string]>): EncodedBatch;
  /** The head on the last hidden state; `options` carry dropout (training, seed) for heads that have it. */
  embedFromTokens(
    hidden: tf.Tensor3D,
    mask: tf.Tensor2D,
    excludeLeadingTokens?: number,
    options?: EmbedTensorOptions,
  ): tf.Tensor2D;
  namedVariables(): NamedVariable[];
  /**
   * Optional: the head as a linear pooling (optionally followed by Normalize), which a fused step runs inside
   * onnxruntime: each row's weights over its positions (`[B, S]`, zero at padding). Undefined for other heads.
   */
  linearHead?(): LinearHead | undefined;
}

/** A head that is a weighted sum of token embeddings per row (mean, cls, mean_sqrt_len pooling) [+ Normalize]. */
export interface LinearHead {
  poolingWeights(batch: EncodedBatch, excludeLeadingTokens: number): Float32Array;
  normalize: boolean;
}

/** The losses a fused step computes itself (`@contrastive/losses`' FusedLossForm). */
export interface FusedLossForm {
  kind: 'mnrl';
  scale: number;
}

/**
 * Trains a SentenceEncoder's transformer on onnxruntime-node instead of tfjs: the forward and backward passes
 * of BERT run natively on every core with padding removed, the modules after it (Pooling, Dense, Normalize),
 * the loss and the optimizer stay on tfjs. Same weights, same gradients (tests compare them with tfjs's).
 *
 * Use it through the trainer (`trainEngine: 'onnx'`, the default where onnxruntime-node loads) or with
 * `computeLossAndGradientsExternal(loss, encoder, engine.beginStep(), batch, ctx)` from @contrastive/losses.
 */
export class OnnxTrainingEngine {
  private constructor(
    readonly encoder: TrainableTransformerEncoder,
    private readonly bert: OnnxBertTrainer,
  ) {}

  static async create(
    encoder: TrainableTransformerEncoder,
    options: OnnxTrainingEngineOptions = {},
  ): Promise<OnnxTrainingEngine> {
    return new OnnxTrainingEngine(encoder, await OnnxBertTrainer.create(encoder.bert, options));
  }

  get threads(): number {
    return this.bert.threads;
  }

  /**
   * One step: snapshots the current weights; then `embed` per loss call, `backward` per call, `gradients()`.
   * Fits @contrastive/losses' `ExternalTrainingStep`.
   */
  beginStep(): OnnxTrainingStep {
    return new OnnxTrainingStep(this.encoder, this.bert, this.bert.snapshotWeights());
  }

  async release(): Promise<void> {
    await this.bert.release();
  }
}

interface Call {
  activations: TrainingActivations;
  hidden: tf.Tensor3D;
  mask: tf.Tensor2D;
  exclude: number;
  /** The head's options, seed fixed, so its backward replays the same dropout. */
  options: EmbedTensorOptions;
}

export class OnnxTrainingStep {
  private readonly calls: Call[] = [];
  private readonly bertGrads = new Map<string, Float32Array>();
  /** The embedding table's gradient rows, scattered once into fresh tensors by `gradients()`. */
  private readonly embeddingRows: EmbeddingGradientRows[] = [];
  private readonly headGrads = new Map<string, tf.Tensor>();

  /** Trainable parameters after the transformer (Dense layers). */
  private readonly headVariables: NamedVariable[];

  constructor(
    private readonly encoder: TrainableTransformerEncoder,
    private readonly bert: OnnxBertTrainer,
    private readonly weights: WeightSnapshot,
  ) {
    const bertNames = new Set(encoder.bert.namedVariables().map((v) => v.name));
    this.headVariables = encoder
      .namedVariables()
      .filter((v) => !bertNames.has(v.name) && v.variable.trainable);
  }

  get dimension(): number {
    return this.encoder.dimension;
  }

  async embed(texts: string[], options: EmbedTensorOptions = {}): Promise<tf.Tensor2D> {
    const [e] = await this.embedAll([{ texts, options }]);
    return e!;
  }

  /**
   * Several `embed` calls as one forward pass of the transformer (training mode and dropout rate from the
   * first call; each call keeps its own seed and prompt), then the head per call.
   */
  async embedAll(calls: Array<{ texts: string[]; options: EmbedTensorOptions }>): Promise<tf.Tensor2D[]> {
    const tokenized = this.tokenizeCalls(calls);
    return this.run(
      tokenized.map((t) => t.batch),
      tokenized.map((t) => t.exclude),
      calls.map((c) => c.options),
      this.drawSeeds(calls.map((c) => c.options)),
    );
  }

  /** Each call's texts as the model embeds them (with the call's prompt). */
  private tokenizeCalls(
    calls: Array<{ texts: string[]; options: EmbedTensorOptions }>,
  ): Array<{ batch: EncodedBatch; exclude: number }> {
    const tokenize = this.encoder.tokenizeForEmbedding?.bind(this.encoder);
    if (!tokenize) throw new Error('embed: this model embeds no single texts (a cross-encoder scores pairs)');
    return calls.map(({ texts, options }) => {
      if (texts.length === 0) throw new Error('embed: empty batch');
      return tokenize(texts, options.prompt);
    });
  }

  /**
   * One dropout seed per call (the transformer's and the head's), fixed now so backward replays it: the call's
   * own, else the next of the model's stream; undefined outside training.
   */
  private drawSeeds(options: EmbedTensorOptions[]): Array<number | undefined> {
    const bert = this.encoder.bert;
    return options.map((o) => {
      if (!o.training || o.seed !== undefined) return o.seed;
      const seed = bert.rngState;
      bert.rngState = seed + 1;
      return seed;
    });
  }

  /** The forward pass of one `scoreTensor` call of a cross-encoder: logits `[N, numLabels]`. */
  async score(pairs: Array<[string, string]>, options: EmbedTensorOptions = {}): Promise<tf.Tensor2D> {
    if (pairs.length === 0) throw new Error('score: empty batch');
    const tokenize = this.encoder.tokenizePairs?.bind(this.encoder);
    if (!tokenize) throw new Error('score: this model scores no pairs (it is not a cross-encoder)');
    const [e] = await this.run([tokenize(pairs)], [0], [options], this.drawSeeds([options]));
    return e!;
  }

  private async run(
    batches: EncodedBatch[],
    excludes: number[],
    options: EmbedTensorOptions[],
    seeds: Array<number | undefined>,
  ): Promise<tf.Tensor2D[]> {
    const enc = this.encoder;
    const first = options[0]!;
    const activations = await this.bert.forwardParts(
      batches,
      this.weights,
      { training: first.training, dropoutRate: first.dropoutRate },
      seeds,
    );
    const h = enc.bert.config.hidden_size;
    return activations.map((a, i) => {
      const batch = batches[i]!;
      const hidden = tf.tensor3d(a.hidden, [batch.batchSize, batch.length, h]);
      const mask = tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.length], 'int32');
      const headOptions = { ...options[i], seed: seeds[i] };
      this.calls.push({ activations: a, hidden, mask, exclude: excludes[i]!, options: headOptions });
      return enc.embedFromTokens(hidden, mask, excludes[i], headOptions);
    });
  }

  async backward(index: number, dEmbeddings: tf.Tensor2D): Promise<void> {
    const call = this.calls[index];
    if (!call) throw new Error(`OnnxTrainingStep.backward: no embed call ${index}`);
    const { pass } = call.activations;
    const dHidden = this.headBackward(call, dEmbeddings);
    if (pass.parts.length === 1) {
      await this.bert.backwardParts(pass, [dHidden], this.weights, this.bertGrads, this.embeddingRows);
      return;
    }
    // A call of a shared pass on its own: the other calls of the pass contribute nothing here.
    const dHiddens = pass.parts.map((_, i) => (i === call.activations.part ? dHidden : undefined));
    await this.bert.backwardParts(pass, dHiddens, this.weights, this.bertGrads, this.embeddingRows);
  }

  /**
   * A whole step of a fused loss inside onnxruntime (forward, pooling, loss, backward in one run): the loss, or
   * undefined when the head is not a linear pooling (then the caller takes `embedAll`/`backwardAll`).
   */
  async trainFused(
    form: FusedLossForm,
    calls: Array<{ texts: string[]; options: EmbedTensorOptions }>,
  ): Promise<number | undefined> {
    const head = this.encoder.linearHead?.();
    if (
      !head ||
      !this.encoder.tokenizeForEmbedding ||
      form.kind !== 'mnrl' ||
      calls.length < 2 ||
      this.headVariables.length > 0
    )
      return undefined;
    const tokenized = this.tokenizeCalls(calls);
    const batches = tokenized.map((t) => t.batch);
    const weightsPerBatch = tokenized.map((t) => head.poolingWeights(t.batch, t.exclude));
    // Pooling row of each call's first row (calls' rows one call after the other).
    const rowOffsets = batches.map((_, k) => batches.slice(0, k).reduce((n, b) => n + b.batchSize, 0));
    // Packed token t of attention group g: the pooling weight of its position in its call's own layout.
    const pool: FusedPooling = (groups, rows, tokens) => {
      const out = new Float32Array(rows * tokens);
      for (const g of groups) {
        const { length } = batches[g.part]!;
        const w = weightsPerBatch[g.part]!;
        forEachGroupToken(g, length, (t, at) => {
          out[(rowOffsets[g.part]! + Math.floor(at / length)) * tokens + g.tokenOffset + t] = w[at]!;
        });
      }
      return out;
    };
    const first = calls[0]!.options;
    return this.bert.fusedStep(
      batches,
      this.weights,
      { training: first.training, dropoutRate: first.dropoutRate },
      this.drawSeeds(calls.map((c) => c.options)),
      { pool, anchors: batches[0]!.batchSize },
      { scale: form.scale, normalize: head.normalize },
      this.bertGrads,
      this.embeddingRows,
    );
  }

  /** The backward passes of all calls at once: one transformer backward pass per forward pass. */
  async backwardAll(dEmbeddings: Array<tf.Tensor2D | null>): Promise<void> {
    if (dEmbeddings.length !== this.calls.length)
      throw new Error(
        `OnnxTrainingStep.backwardAll: ${dEmbeddings.length} gradients for ${this.calls.length} calls`,
      );
    const byPass = new Map<TrainingPass, Array<Float32Array | undefined>>();
    this.calls.forEach((call, i) => {
      const { pass, part } = call.activations;
      let d = byPass.get(pass);
      if (!d) {
        d = pass.parts.map(() => undefined);
        byPass.set(pass, d);
      }
      const g = dEmbeddings[i];
      if (g) d[part] = this.headBackward(call, g);
    });
    for (const [pass, dHiddens] of byPass) {
      if (dHiddens.every((d) => d === undefined)) continue;
      await this.bert.backwardParts(pass, dHiddens, this.weights, this.bertGrads, this.embeddingRows);
    }
  }

  /**
   * The head (Pooling, Dense, Normalize) differentiated by tfjs: returns the gradient of the call's last hidden
   * state and adds its Dense weights' gradients.
   */
  private headBackward(call: Call, dEmbeddings: tf.Tensor2D): Float32Array {
    const enc = this.encoder;
    const head = this.headVariables;
    const { value, grads } = tf
      .engine()
      .gradients(
        () => enc.embedFromTokens(call.hidden, call.mask, call.exclude, call.options),
        [call.hidden, ...head.map((v) => v.variable)],
        dEmbeddings,
        true,
      );
    value.dispose();
    const dHidden = grads[0] ? (grads[0].dataSync() as Float32Array) : new Float32Array(call.hidden.size);
    grads[0]?.dispose();
    head.forEach((v, i) => {
      const g = grads[i + 1];
      if (!g) return;
      const prev = this.headGrads.get(v.name);
      this.headGrads.set(v.name, prev ? tf.add(prev, g) : g);
      if (prev) {
        prev.dispose();
        g.dispose();
      }
    });
    return dHidden;
  }

  /** Summed gradients by parameter name (tfjs tensors shaped as the variables); the caller owns them. */
  gradients(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    const vars = this.encoder.bert.namedVariables();
    for (const { name, variable } of vars) {
      const g = this.bertGrads.get(name);
      if (!g) continue;
      const t = tf.tensor(g, variable.shape, 'float32');
      // Its Σ g² now, while the copy is still in cache: clipping's global norm then reads no gradient again.
      squaredNorm(t);
      out.set(name, t);
    }
    this.bertGrads.clear();
    if (this.embeddingRows.length > 0) {
      const shapes = new Map(vars.map((v) => [v.name, v.variable.shape] as const));
      const names = [EMBEDDINGS.word, EMBEDDINGS.position, EMBEDDINGS.type] as const;
      const h = this.encoder.bert.config.hidden_size;
      // On wasm straight into new heap tensors (`fill` zeroes them there, no host copy of the 30k-row table), by the
      // wasm SIMD scatter where it is available; else a host loop into views on the heap, or into host arrays that
      // become tensors below.
      const heap = tf.getBackend() === 'wasm';
      const tensors = heap ? names.map((n) => tf.fill(shapes.get(n)!, 0)) : [];
      const simd =
        heap &&
        this.embeddingRows.every(({ packed, dEmb }) =>
          [packed.ids, packed.positions, packed.typeIds ?? new Int32Array(packed.tokens)].every((ids, i) =>
            scatterAddRows(tensors[i]!, dEmb.subarray(0, packed.tokens * h), ids.subarray(0, packed.tokens)),
          ),
        );
      const views = heap ? [] : names.map((n) => new Float32Array(shapes.get(n)!.reduce((a, d) => a * d, 1)));
      if (!simd) {
        const into = heap ? tensors.map((t) => readFloat32(t)) : views;
        scatterEmbeddingRows(this.embeddingRows, h, { word: into[0]!, position: into[1]!, type: into[2]! });
      }
      // The few vocabulary rows the step used: clipping's norm and AdamW read those, not the 30k-row table.
      const wordRows = new Uint8Array(shapes.get(EMBEDDINGS.word)![0]!);
      for (const { packed } of this.embeddingRows) for (const id of packed.ids) wordRows[id] = 1;
      names.forEach((n, i) => {
        const g = heap ? tensors[i]! : tf.tensor(views[i]!, shapes.get(n)!, 'float32');
        const prev = out.get(n);
        if (!prev && n === EMBEDDINGS.word) markNonzeroRows(g, flaggedRows(wordRows));
        out.set(n, prev ? tf.add(prev, g) : g);
        if (prev) {
          prev.dispose();
          g.dispose();
        }
      });
      this.embeddingRows.length = 0;
    }
    for (const [name, g] of this.headGrads) out.set(name, g);
    this.headGrads.clear();
    return out;
  }

  dispose(): void {
    for (const c of this.calls) tf.dispose([c.hidden, c.mask]);
    this.calls.length = 0;
    this.bertGrads.clear();
    this.embeddingRows.length = 0;
    tf.dispose([...this.headGrads.values()]);
    this.headGrads.clear();
  }
}
