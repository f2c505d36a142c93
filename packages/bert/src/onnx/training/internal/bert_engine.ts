import { mixSeed } from '@contrastive/core';
import { dropoutMask, readFloat32, tf } from '@contrastive/tensor-gpu';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { BertModel } from '../../../model.js';
import type { EncodedBatch } from '../../../tokenizer.js';
import { encodeModel } from '../../proto.js';
import { type OnnxRuntime, loadOnnxRuntime } from '../../runtime.js';
import { type TrainingGraphs, buildTrainingGraphs } from './graphs.js';

export interface OnnxBertTrainerOptions {
  /** onnxruntime intra-op threads. Default 2. */
  threads?: number;
}

export interface TrainingForwardOptions {
  training?: boolean;
  /** Seed of this pass's dropout masks; when absent the model's dropout counter advances (as BertModel.forward). */
  seed?: number;
  dropoutRate?: number;
}

/**
 * The encoder's weights (tfjs layout) for one step. `values(name)` is read right before each use: on wasm it is
 * a view on tfjs's heap (no copy; a view is only valid until the next tfjs op), elsewhere a copy taken once.
 */
export interface WeightSnapshot {
  values(name: string): Float32Array;
  shape(name: string): readonly number[];
}

/** What a forward pass keeps for its backward pass. */
export interface TrainingActivations {
  /** Last hidden state `[B, S, H]`, zeros at padding. */
  readonly hidden: Float32Array;
  readonly batchSize: number;
  readonly length: number;
  /** @internal */ readonly feeds: Record<string, Tensor>;
  /** @internal */ readonly packed: PackedBatch;
}

interface PackedBatch {
  tokens: number;
  /** Packed token t sits at flat padded position tokenIndex[t]. */
  tokenIndex: Int32Array;
  ids: Int32Array;
  positions: Int32Array;
  typeIds: Int32Array | undefined;
}

const EMBEDDINGS = {
  word: 'embeddings.word_embeddings.weight',
  position: 'embeddings.position_embeddings.weight',
  type: 'embeddings.token_type_embeddings.weight',
};
/** As BertModel: the additive attention mask of padding keys. */
const MASK_NEGATIVE = -1e9;

/**
 * BERT's training forward and backward passes on onnxruntime-node (native, multi-threaded CPU), for the
 * weights of a tfjs `BertModel`: the model stays the owner of the weights and the optimizer keeps running on
 * tfjs; this engine only turns a batch and the gradient of its last hidden state into weight gradients.
 * Padding costs nothing in the dense layers (tokens are packed), activations live outside the wasm heap, and
 * results match `BertModel.forward` and tfjs's gradients (tests).
 */
export class OnnxBertTrainer {
  private readonly sessions = new Map<
    boolean,
    Promise<{ graphs: TrainingGraphs; forward: InferenceSession; backward: InferenceSession }>
  >();

  private constructor(
    private readonly ort: OnnxRuntime,
    readonly bert: BertModel,
    readonly threads: number,
  ) {}

  static async create(bert: BertModel, options: OnnxBertTrainerOptions = {}): Promise<OnnxBertTrainer> {
    const threads = options.threads ?? 2;
    if (!Number.isInteger(threads) || threads < 1)
      throw new Error(`OnnxBertTrainer: threads must be a positive integer, got ${threads}`);
    const engine = new OnnxBertTrainer(await loadOnnxRuntime(), bert, threads);
    // Both variants now, so a graph onnxruntime rejects fails here (where the trainer can fall back to tfjs).
    await Promise.all([engine.sessionsFor(false), engine.sessionsFor(true)]);
    return engine;
  }

  /** Sessions with and without dropout masks, built on first use. */
  private sessionsFor(dropout: boolean) {
    let s = this.sessions.get(dropout);
    if (!s) {
      s = (async () => {
        const graphs = buildTrainingGraphs(this.bert.config, { dropout });
        const opts: InferenceSession.SessionOptions = {
          intraOpNumThreads: this.threads,
          interOpNumThreads: 1,
          executionMode: 'sequential',
          graphOptimizationLevel: 'all',
          // Shapes change every batch: the arena would keep the largest batch's activations for good (~+200 MB
          // RSS over 40 MiniLM steps); plain allocations cost no measurable time here.
          enableCpuMemArena: false,
        };
        const [forward, backward] = await Promise.all([
          this.ort.InferenceSession.create(encodeModel(graphs.forward), opts),
          this.ort.InferenceSession.create(encodeModel(graphs.backward), opts),
        ]);
        return { graphs, forward, backward };
      })();
      s.catch(() => this.sessions.delete(dropout));
      this.sessions.set(dropout, s);
    }
    return s;
  }

  /**
   * The model's current weights for one step: views on the wasm heap (no copy), or one copy per step on other
   * tfjs backends. The weights must not change until the step's last backward pass.
   */
  snapshotWeights(): WeightSnapshot {
    const vars = new Map(this.bert.namedVariables().map((v) => [v.name, v.variable] as const));
    const variable = (name: string) => {
      const v = vars.get(name);
      if (!v) throw new Error(`OnnxBertTrainer: the model has no weight "${name}"`);
      return v;
    };
    const shape = (name: string) => variable(name).shape;
    if (tf.getBackend() === 'wasm') return { values: (name) => readFloat32(variable(name)), shape };
    const copies = new Map<string, Float32Array>();
    return {
      values: (name) => {
        let c = copies.get(name);
        if (!c) {
          c = readFloat32(variable(name));
          copies.set(name, c);
        }
        return c;
      },
      shape,
    };
  }

  /** onnxruntime tensors of the weights a graph takes, read now (after every await of the caller). */
  private weightFeeds(names: string[], weights: WeightSnapshot, into: Record<string, Tensor>): void {
    for (const name of names)
      into[name] = new this.ort.Tensor('float32', weights.values(name), [...weights.shape(name)]);
  }

  /** The forward pass of one tokenized batch; keeps what `backward` needs. */
  async forward(
    batch: EncodedBatch,
    weights: WeightSnapshot,
    options: TrainingForwardOptions = {},
  ): Promise<TrainingActivations> {
    const c = this.bert.config;
    const { batchSize: b, length: s } = batch;
    if (s > c.max_position_embeddings) {
      throw new Error(
        `OnnxBertTrainer: sequence length ${s} exceeds max_position_embeddings ${c.max_position_embeddings}`,
      );
    }
    const training = options.training ?? false;
    const hiddenRate = training ? (options.dropoutRate ?? c.hidden_dropout_prob) : 0;
    const attnRate = training ? (options.dropoutRate ?? c.attention_probs_dropout_prob) : 0;
    const dropout = hiddenRate > 0 || attnRate > 0;
    let base = 0;
    if (training) {
      if (options.seed !== undefined) base = options.seed;
      else {
        base = this.bert.rngState;
        this.bert.rngState = base + 1;
      }
    }
    const { graphs, forward } = await this.sessionsFor(dropout);
    const h = c.hidden_size;
    const packed = pack(batch);
    const tok = packed.tokens;
    const emb = this.embeddingSum(packed, weights);

    const padMap = new BigInt64Array(b * s);
    packed.tokenIndex.forEach((p, t) => {
      padMap[p] = BigInt(t);
    });
    const maskAdd = new Float32Array(b * s).fill(MASK_NEGATIVE);
    const queryMask = new Float32Array(b * s);
    for (const p of packed.tokenIndex) {
      maskAdd[p] = 0;
      queryMask[p] = 1;
    }
    const T = this.ort.Tensor;
    const feeds: Record<string, Tensor> = {
      emb: new T('float32', emb, [tok, h]),
      pad_map: new T('int64', padMap, [b, s]),
      token_index: new T(
        'int64',
        BigInt64Array.from(packed.tokenIndex, (v) => BigInt(v)),
        [tok],
      ),
      mask_add: new T('float32', maskAdd, [b, 1, 1, s]),
      query_mask: new T('float32', queryMask, [b, 1, s, 1]),
    };
    if (dropout) {
      const heads = c.num_attention_heads;
      graphs.dropoutInputs.forEach((name, site) => {
        const attn = name.endsWith(':attn');
        const dims = attn ? [b, heads, s, s] : [tok, h];
        const rate = attn ? attnRate : hiddenRate;
        feeds[name] = new T(
          'float32',
          dropoutMask(
            dims.reduce((x, y) => x * y, 1),
            rate,
            mixSeed(base, site),
          ),
          dims,
        );
      });
    }
    const fetches = [graphs.hiddenOutput, ...new Set(graphs.saved.map((v) => v.output))];
    const { query_mask: _backwardOnly, ...runFeeds } = feeds;
    this.weightFeeds(graphs.forwardWeights, weights, runFeeds);
    const out = await forward.run(runFeeds, fetches);
    const hiddenPacked = out[graphs.hiddenOutput]!.data as Float32Array;
    const hidden = new Float32Array(b * s * h);
    packed.tokenIndex.forEach((p, t) => {
      hidden.set(hiddenPacked.subarray(t * h, (t + 1) * h), p * h);
    });
    // What the backward graph takes: index maps, masks and the saved activations (not emb / mask_add).
    const { emb: _e, mask_add: _m, ...kept } = feeds;
    for (const { output, input } of graphs.saved) kept[input] = out[output]!;
    return { hidden, batchSize: b, length: s, feeds: kept, packed };
  }

  /**
   * The backward pass: `dHidden [B, S, H]` (the gradient of the last hidden state; padding ignored) → weight
   * gradients, added into `into` (name → values in tfjs layout; created zero-filled when missing).
   */
  async backward(
    activations: TrainingActivations,
    dHidden: Float32Array,
    weights: WeightSnapshot,
    into: Map<string, Float32Array>,
  ): Promise<void> {
    const c = this.bert.config;
    const h = c.hidden_size;
    const { packed, batchSize: b, length: s } = activations;
    if (dHidden.length !== b * s * h)
      throw new Error(
        `OnnxBertTrainer.backward: dHidden has ${dHidden.length} values, expected ${b * s * h}`,
      );
    const dropout = 'drop:emb' in activations.feeds;
    const { graphs, backward } = await this.sessionsFor(dropout);
    const dPacked = new Float32Array(packed.tokens * h);
    packed.tokenIndex.forEach((p, t) => {
      dPacked.set(dHidden.subarray(p * h, (p + 1) * h), t * h);
    });
    const feeds: Record<string, Tensor> = {
      ...activations.feeds,
      d_hidden: new this.ort.Tensor('float32', dPacked, [packed.tokens, h]),
    };
    this.weightFeeds(graphs.backwardWeights, weights, feeds);
    const out = await backward.run(feeds, [...graphs.gradients.map((g) => g.output), 'd_emb']);
    for (const { weight, output } of graphs.gradients)
      addInto(into, weight, out[output]!.data as Float32Array);
    this.scatterEmbeddingGradient(packed, out.d_emb!.data as Float32Array, weights, into);
  }

  /** word[id] + position[p] + type[t] for every packed token (the lookup tfjs's `gather` does). */
  private embeddingSum(packed: PackedBatch, weights: WeightSnapshot): Float32Array {
    const h = this.bert.config.hidden_size;
    const word = weights.values(EMBEDDINGS.word);
    const pos = weights.values(EMBEDDINGS.position);
    const type = weights.values(EMBEDDINGS.type);
    const out = new Float32Array(packed.tokens * h);
    for (let t = 0; t < packed.tokens; t++) {
      const w = packed.ids[t]! * h;
      const p = packed.positions[t]! * h;
      const y = (packed.typeIds?.[t] ?? 0) * h;
      const o = t * h;
      for (let j = 0; j < h; j++) out[o + j] = word[w + j]! + type[y + j]! + pos[p + j]!;
    }
    return out;
  }

  /** The gradient of the lookup: each token's row added into its word, position and type rows. */
  private scatterEmbeddingGradient(
    packed: PackedBatch,
    dEmb: Float32Array,
    weights: WeightSnapshot,
    into: Map<string, Float32Array>,
  ): void {
    const h = this.bert.config.hidden_size;
    const word = zeroLike(into, EMBEDDINGS.word, weights);
    const pos = zeroLike(into, EMBEDDINGS.position, weights);
    const type = zeroLike(into, EMBEDDINGS.type, weights);
    for (let t = 0; t < packed.tokens; t++) {
      const o = t * h;
      const w = packed.ids[t]! * h;
      const p = packed.positions[t]! * h;
      const y = (packed.typeIds?.[t] ?? 0) * h;
      for (let j = 0; j < h; j++) {
        const g = dEmb[o + j]!;
        word[w + j]! += g;
        pos[p + j]! += g;
        type[y + j]! += g;
      }
    }
  }

  /** Frees the native sessions. */
  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) {
      const { forward, backward } = await s;
      await forward.release();
      await backward.release();
    }
  }
}

function zeroLike(into: Map<string, Float32Array>, name: string, weights: WeightSnapshot): Float32Array {
  let g = into.get(name);
  if (!g) {
    g = new Float32Array(weights.shape(name).reduce((a, d) => a * d, 1));
    into.set(name, g);
  }
  return g;
}

function addInto(into: Map<string, Float32Array>, name: string, values: Float32Array): void {
  const prev = into.get(name);
  if (!prev) {
    // onnxruntime's output buffers are ours to keep.
    into.set(name, values);
    return;
  }
  for (let i = 0; i < values.length; i++) prev[i] = prev[i]! + values[i]!;
}

/** Packs the real tokens of a right-padded batch (row-major order). */
function pack(batch: EncodedBatch): PackedBatch {
  const { batchSize: b, length: s, attentionMask, inputIds, tokenTypeIds } = batch;
  let tokens = 0;
  for (let i = 0; i < b * s; i++) if (attentionMask[i]) tokens++;
  const tokenIndex = new Int32Array(tokens);
  const ids = new Int32Array(tokens);
  const positions = new Int32Array(tokens);
  const anyType = tokenTypeIds?.some((v) => v !== 0) ?? false;
  const typeIds = anyType ? new Int32Array(tokens) : undefined;
  let t = 0;
  for (let i = 0; i < b * s; i++) {
    if (!attentionMask[i]) continue;
    tokenIndex[t] = i;
    ids[t] = inputIds[i]!;
    positions[t] = i % s;
    if (typeIds) typeIds[t] = tokenTypeIds[i]!;
    t++;
  }
  return { tokens, tokenIndex, ids, positions, typeIds };
}
