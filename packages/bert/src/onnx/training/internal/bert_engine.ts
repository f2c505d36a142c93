import { mixSeed } from '@contrastive/core';
import {
  DropoutMaskBuffer,
  type EngineDevice,
  dropoutMask,
  dropoutSeedAfter,
  readFloat32,
  tf,
} from '@contrastive/tensor-gpu';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { BertModel } from '../../../model.js';
import type { EncodedBatch } from '../../../tokenizer.js';
import { rowsByLength, selectRows } from '../../internal/batch_rows.js';
import { toInt64 } from '../../internal/int64.js';
import { type ModelMessage, encodeModel } from '../../proto.js';
import { type OnnxRuntime, createSession, loadOnnxRuntime } from '../../runtime.js';
import {
  EMBEDDINGS,
  type FusedLoss,
  type FusedTrainingGraph,
  TOKEN_INPUTS,
  type TrainingGraphs,
  buildFusedTrainingGraph,
  buildTrainingGraphs,
  groupInput,
} from './graphs.js';

export interface OnnxBertTrainerOptions {
  /** onnxruntime intra-op threads. Default 2. */
  threads?: number;
  /** Where the graphs run (`OnnxSessionOptions.device`). Default `cpu`. */
  device?: EngineDevice;
  /**
   * At most this many attention groups per batch (default: `attentionGroupCount`'s choice; 1: attention pads
   * every row of a batch to its longest). Without dropout the results agree to float rounding; dropout masks
   * are drawn in the groups' layout, so with dropout a different count draws different masks.
   */
  maxAttentionGroups?: number;
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
  /** @internal The pass this batch was part of (several batches can share one pass: `forwardParts`). */
  readonly pass: TrainingPass;
  /** @internal This batch's place in the pass. */
  readonly part: number;
}

/** @internal One onnxruntime forward pass over one or more batches, packed together. */
export interface TrainingPass {
  readonly feeds: Record<string, Tensor>;
  readonly packed: PackedBatch;
  /** Per batch: its own padded layout `[B_i, S_i]` (its tokens are in `groups`). */
  readonly parts: Array<{ batchSize: number; length: number }>;
  /** The attention groups the batches' rows were split into (see `AttentionGroup`), in packed-token order. */
  readonly groups: AttentionGroup[];
  readonly dropout: boolean;
}

/**
 * Rows of one batch that attention handles together, padded to their own longest row: a batch's rows are
 * sorted by length and cut into groups (`attentionGroupCount`), so attention (whose work grows with the
 * square of the padded length) pads each row only to the longest of its group. The dense layers see packed
 * tokens either way.
 */
export interface AttentionGroup {
  /** The batch (part) these rows belong to. */
  readonly part: number;
  /** Row i of the group is row `rows[i]` of its batch. */
  readonly rows: Int32Array;
  /** The group's first packed token. */
  readonly tokenOffset: number;
  /** The group's tokens, positions in the group's own `[batchSize, length]` layout. */
  readonly packed: PackedBatch;
  readonly batchSize: number;
  readonly length: number;
}

/**
 * A fused step's linear pooling as a `[rows, tokens]` matrix (row-major): row r's weight of each packed token,
 * built from the pass's attention groups (`rows`: the batches' rows, batch after batch; `tokens`: the pass's
 * packed tokens).
 */
export type FusedPooling = (groups: AttentionGroup[], rows: number, tokens: number) => Float32Array;

/** What `passInputs` prepares for one pass. */
interface PassInputs {
  feeds: Record<string, Tensor>;
  packed: PackedBatch;
  parts: TrainingPass['parts'];
  groups: AttentionGroup[];
  dropout: boolean;
  bases: number[];
  hiddenRate: number;
  attnRate: number;
}

export interface PackedBatch {
  tokens: number;
  /** Packed token t sits at flat padded position tokenIndex[t]. */
  tokenIndex: Int32Array;
  ids: Int32Array;
  positions: Int32Array;
  typeIds: Int32Array | undefined;
}

/** The embedding gradient of a backward pass, as rows to add (see `scatterEmbeddingRows`). */
export interface EmbeddingGradientRows {
  packed: PackedBatch;
  /** `[tokens, H]`: each packed token's row, added into its word, position and type rows. */
  dEmb: Float32Array;
}

export { EMBEDDINGS };
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
  /** The fused step's dropout masks (one run's at a time; `maskBufferBusy` while a run reads them). */
  private readonly maskBuffer = new DropoutMaskBuffer();
  private maskBufferBusy = false;
  /** Fused-step sessions by dropout, attention groups and loss. */
  private readonly fused = new Map<
    string,
    Promise<{ graph: FusedTrainingGraph; session: InferenceSession }>
  >();
  /** Sessions by dropout and number of attention groups (`true:2`). */
  private readonly sessions = new Map<
    string,
    Promise<{ graphs: TrainingGraphs; forward: InferenceSession; backward: InferenceSession }>
  >();

  private constructor(
    private readonly ort: OnnxRuntime,
    readonly bert: BertModel,
    readonly threads: number,
    private readonly maxAttentionGroups: number,
    readonly device: EngineDevice,
  ) {}

  static async create(bert: BertModel, options: OnnxBertTrainerOptions = {}): Promise<OnnxBertTrainer> {
    const threads = options.threads ?? 2;
    if (!Number.isInteger(threads) || threads < 1)
      throw new Error(`OnnxBertTrainer: threads must be a positive integer, got ${threads}`);
    const maxGroups = options.maxAttentionGroups ?? Number.POSITIVE_INFINITY;
    if (!(maxGroups >= 1) || (Number.isFinite(maxGroups) && !Number.isInteger(maxGroups)))
      throw new Error(`OnnxBertTrainer: maxAttentionGroups must be a positive integer, got ${maxGroups}`);
    const engine = new OnnxBertTrainer(
      await loadOnnxRuntime(),
      bert,
      threads,
      maxGroups,
      options.device ?? 'cpu',
    );
    // Both variants now, so a graph onnxruntime rejects fails here (where the trainer can fall back to tfjs).
    await Promise.all([engine.sessionsFor(false), engine.sessionsFor(true)]);
    return engine;
  }

  /** On a GPU the graphs use standard operators only (no com.microsoft kernels, which WebGPU lacks). */
  private get onGpu(): boolean {
    return this.device !== 'cpu';
  }

  private createSession(model: ModelMessage): Promise<InferenceSession> {
    // onnxruntime's arena on (its default): over 40 MiniLM steps of varied shapes (fused step, attention
    // groups) it was faster than plain allocations and ended with less RSS in our profile runs (the arena
    // reuses its blocks; freed allocations went back through malloc and page faults).
    return createSession(this.ort, encodeModel(model), this.threads, this.device, {
      enableCpuMemArena: true,
    });
  }

  /** Sessions with and without dropout masks, per number of batches in a pass, built on first use. */
  private sessionsFor(dropout: boolean, groups = 1) {
    const key = `${dropout}:${groups}`;
    let s = this.sessions.get(key);
    if (!s) {
      s = (async () => {
        const graphs = buildTrainingGraphs(this.bert.config, { dropout, groups, standardOps: this.onGpu });
        const [forward, backward] = await Promise.all([
          this.createSession(graphs.forward),
          this.createSession(graphs.backward),
        ]);
        return { graphs, forward, backward };
      })();
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
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
    const [a] = await this.forwardParts([batch], weights, options, [options.seed]);
    return a!;
  }

  /**
   * The forward passes of several batches as one onnxruntime pass (the dense layers see all their tokens at
   * once; one weight-gradient output for all of them in `backwardParts`). Each batch keeps its own padding,
   * positions and dropout masks (drawn from its own seed as in a pass of its own), so each result is what
   * `forward` gives for it alone: each batch is its own attention group, at its own padded length.
   */
  async forwardParts(
    batches: EncodedBatch[],
    weights: WeightSnapshot,
    options: TrainingForwardOptions = {},
    seeds: Array<number | undefined> = [],
  ): Promise<TrainingActivations[]> {
    const h = this.bert.config.hidden_size;
    const pass = this.passInputs(batches, options, seeds);
    const { graphs, forward } = await this.sessionsFor(pass.dropout, pass.groups.length);
    const { feeds, packed, parts, groups, dropout } = pass;
    this.maskFeeds(pass, graphs.dropoutInputs);
    const fetches = [graphs.hiddenOutput, ...new Set(graphs.saved.map((v) => v.output))];
    const runFeeds = Object.fromEntries(Object.entries(feeds).filter(([k]) => !k.startsWith('query_mask@')));
    this.weightFeeds(graphs.forwardWeights, weights, runFeeds);
    const out = await forward.run(runFeeds, fetches);
    const hiddenPacked = out[graphs.hiddenOutput]!.data as Float32Array;
    // What the backward graph takes: index maps, masks and the saved activations (not the tokens / mask_add).
    const forwardOnly = new Set<string>(Object.values(TOKEN_INPUTS));
    const kept = Object.fromEntries(
      Object.entries(feeds).filter(([k]) => !forwardOnly.has(k) && !k.startsWith('mask_add@')),
    );
    for (const { output, input } of graphs.saved) kept[input] = out[output]!;
    const result: TrainingPass = { feeds: kept, packed, parts, groups, dropout };
    // Each batch's hidden state in its own padded layout.
    const hiddens = batches.map((x) => new Float32Array(x.batchSize * x.length * h));
    for (const g of groups)
      forEachGroupToken(g, parts[g.part]!.length, (t, at) => {
        const from = (g.tokenOffset + t) * h;
        hiddens[g.part]!.set(hiddenPacked.subarray(from, from + h), at * h);
      });
    return batches.map((x, i) => ({
      hidden: hiddens[i]!,
      batchSize: x.batchSize,
      length: x.length,
      pass: result,
      part: i,
    }));
  }

  /**
   * A whole training step of a fused loss in one onnxruntime run (`buildFusedTrainingGraph`): the batches'
   * forward pass, the pooling (`pool [R, T]`: each row's weights over the packed tokens, rows in batch order),
   * the loss and the backward pass. Weight gradients are added into `into`, the embedding gradient appended to
   * `embeddingRows`; returns the loss.
   */
  async fusedStep(
    batches: EncodedBatch[],
    weights: WeightSnapshot,
    options: TrainingForwardOptions,
    seeds: Array<number | undefined>,
    head: { pool: FusedPooling; anchors: number },
    loss: FusedLoss,
    into: Map<string, Float32Array>,
    embeddingRows: EmbeddingGradientRows[],
  ): Promise<number> {
    const pass = this.passInputs(batches, options, seeds);
    const graph = await this.fusedSession(pass.dropout, pass.groups.length, loss);
    // The masks live only for this run: drawn into the engine's mask buffer unless another step's run is using it.
    const buffer = this.maskBufferBusy ? undefined : this.maskBuffer;
    this.maskFeeds(pass, graph.graph.dropoutInputs, buffer);
    const { feeds, packed, parts, groups } = pass;
    const rows = parts.reduce((n, p) => n + p.batchSize, 0);
    const T = this.ort.Tensor;
    feeds.pool = new T('float32', head.pool(groups, rows, packed.tokens), [rows, packed.tokens]);
    feeds.split_rows = new T(
      'int64',
      BigInt64Array.from([BigInt(head.anchors), BigInt(rows - head.anchors)]),
      [2],
    );
    feeds.inv_anchors = new T('float32', Float32Array.of(1 / head.anchors), []);
    this.weightFeeds(graph.graph.weights, weights, feeds);
    if (buffer) this.maskBufferBusy = true;
    let out: InferenceSession.ReturnType;
    try {
      out = await graph.session.run(feeds, [
        graph.graph.lossOutput,
        ...graph.graph.gradients.map((g) => g.output),
        'd_emb',
      ]);
    } finally {
      if (buffer) this.maskBufferBusy = false;
    }
    for (const { weight, output } of graph.graph.gradients)
      addInto(into, weight, out[output]!.data as Float32Array);
    embeddingRows.push({ packed, dEmb: out.d_emb!.data as Float32Array });
    return (out[graph.graph.lossOutput]!.data as Float32Array)[0]!;
  }

  /** Token inputs and index maps of the batches of one pass (dropout masks: `maskFeeds`). */
  private passInputs(
    batches: EncodedBatch[],
    options: TrainingForwardOptions,
    seeds: Array<number | undefined>,
  ): PassInputs {
    const c = this.bert.config;
    if (batches.length === 0) throw new Error('OnnxBertTrainer: a pass needs at least one batch');
    const s = Math.max(...batches.map((x) => x.length));
    if (s > c.max_position_embeddings) {
      throw new Error(
        `OnnxBertTrainer: sequence length ${s} exceeds max_position_embeddings ${c.max_position_embeddings}`,
      );
    }
    const training = options.training ?? false;
    const hiddenRate = training ? (options.dropoutRate ?? c.hidden_dropout_prob) : 0;
    const attnRate = training ? (options.dropoutRate ?? c.attention_probs_dropout_prob) : 0;
    const dropout = hiddenRate > 0 || attnRate > 0;
    const bases = batches.map((_, i) => {
      if (!training) return 0;
      const seed = seeds[i];
      if (seed !== undefined) return seed;
      const base = this.bert.rngState;
      this.bert.rngState = base + 1;
      return base;
    });
    const parts = batches.map((x) => ({ batchSize: x.batchSize, length: x.length }));
    const groups: AttentionGroup[] = [];
    let offset = 0;
    batches.forEach((batch, part) => {
      for (const rows of attentionGroupRows(batch, this.maxAttentionGroups)) {
        const sub = rows.length === batch.batchSize ? batch : selectRows(batch, rows);
        const p = pack(sub);
        groups.push({
          part,
          rows,
          tokenOffset: offset,
          packed: p,
          batchSize: sub.batchSize,
          length: sub.length,
        });
        offset += p.tokens;
      }
    });
    const packed = concatPacked(groups.map((g) => g.packed));
    const T = this.ort.Tensor;
    const tokens = (values: Int32Array | undefined) =>
      new T('int64', values ? toInt64(values) : new BigInt64Array(packed.tokens), [packed.tokens]);
    const feeds: Record<string, Tensor> = {
      [TOKEN_INPUTS.ids]: tokens(packed.ids),
      [TOKEN_INPUTS.positions]: tokens(packed.positions),
      [TOKEN_INPUTS.types]: tokens(packed.typeIds),
    };
    // Attention group k in its own padded layout; pad_map points into all the packed tokens.
    groups.forEach(({ tokenOffset, packed: p, batchSize: bk, length: sk }, k) => {
      const padMap = new BigInt64Array(bk * sk);
      const maskAdd = new Float32Array(bk * sk).fill(MASK_NEGATIVE);
      const queryMask = new Float32Array(bk * sk);
      p.tokenIndex.forEach((pos, t) => {
        padMap[pos] = BigInt(tokenOffset + t);
        maskAdd[pos] = 0;
        queryMask[pos] = 1;
      });
      feeds[groupInput('pad_map', k)] = new T('int64', padMap, [bk, sk]);
      feeds[groupInput('token_index', k)] = new T('int64', toInt64(p.tokenIndex), [p.tokens]);
      feeds[groupInput('mask_add', k)] = new T('float32', maskAdd, [bk, 1, sk]);
      feeds[groupInput('query_mask', k)] = new T('float32', queryMask, [bk, sk, 1]);
    });
    return { feeds, packed, parts, groups, dropout, bases, hiddenRate, attnRate };
  }

  /**
   * The dropout masks of a pass, each batch's from its own seed (as in a pass of its own): per site, one stream
   * of draws per batch, continued across the batch's attention groups in order. With `buffer`, drawn into it as
   * views (no array and no copy per mask), valid until its next use; else into arrays of their own (a pass whose
   * feeds outlive the call: `forwardParts` keeps them for the backward run).
   */
  private maskFeeds(pass: PassInputs, dropoutInputs: string[], buffer?: DropoutMaskBuffer): void {
    if (!pass.dropout) return;
    const { feeds, groups, packed, bases } = pass;
    const h = this.bert.config.hidden_size;
    const heads = this.bert.config.num_attention_heads;
    const tok = packed.tokens;
    const T = this.ort.Tensor;
    const attnSize = ({ batchSize: bk, length: sk }: AttentionGroup) => bk * heads * sk * sk;
    if (buffer) {
      const perAttnSite = groups.reduce((n, g) => n + attnSize(g), 0);
      buffer.reserve(
        dropoutInputs.reduce((n, name) => n + (name.endsWith(':attn') ? perAttnSite : tok * h), 0),
      );
    }
    let used = 0;
    /** `n` values at the next place: a view on `buffer`, or an array (`into`, else its own). */
    const draw = (n: number, rate: number, seed: number, into?: { array: Float32Array; offset: number }) => {
      if (!buffer) return dropoutMask(n, rate, seed, into);
      const view = buffer.draw(used, n, rate, seed);
      used += n;
      return view;
    };
    dropoutInputs.forEach((name, site) => {
      // Draws used so far by each batch's stream at this site.
      const drawn = new Map<number, number>();
      const next = (part: number, n: number) => {
        const before = drawn.get(part) ?? 0;
        drawn.set(part, before + n);
        return dropoutSeedAfter(mixSeed(bases[part]!, site), before);
      };
      if (name.endsWith(':attn')) {
        groups.forEach((g, k) => {
          const n = attnSize(g);
          const mask = draw(n, pass.attnRate, next(g.part, n));
          feeds[groupInput(name, k)] = new T('float32', mask, [heads, g.batchSize, g.length, g.length]);
        });
        return;
      }
      // Groups' tokens are consecutive in packed order: each group's part of the mask follows the previous one.
      const start = used;
      const own = buffer ? undefined : new Float32Array(tok * h);
      for (const { part, tokenOffset, packed: p } of groups) {
        const n = p.tokens * h;
        draw(n, pass.hiddenRate, next(part, n), own && { array: own, offset: tokenOffset * h });
      }
      feeds[name] = new T('float32', own ?? buffer!.view(start, tok * h), [tok, h]);
    });
  }

  /** The fused-step session of one variant (dropout, batches per pass, loss), built on first use. */
  private fusedSession(dropout: boolean, groups: number, loss: FusedLoss) {
    const key = `${dropout}:${groups}:${loss.normalize}:${loss.scale}`;
    let s = this.fused.get(key);
    if (!s) {
      s = (async () => {
        const graph = buildFusedTrainingGraph(this.bert.config, {
          dropout,
          groups,
          loss,
          standardOps: this.onGpu,
        });
        const session = await this.createSession(graph.model);
        return { graph, session };
      })();
      s.catch(() => this.fused.delete(key));
      this.fused.set(key, s);
    }
    return s;
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
    if (activations.pass.parts.length !== 1)
      throw new Error('OnnxBertTrainer.backward: this pass holds several batches; use backwardParts');
    await this.backwardParts(activations.pass, [dHidden], weights, into);
  }

  /**
   * The backward pass of a `forwardParts` pass: one `dHidden` per batch (`[B_i, S_i, H]`; undefined: no
   * gradient), weight gradients added into `into` as `backward`.
   */
  async backwardParts(
    pass: TrainingPass,
    dHiddens: Array<Float32Array | undefined>,
    weights: WeightSnapshot,
    into: Map<string, Float32Array>,
    /** Given: the embedding gradient is appended here as rows instead of added into `into`. */
    embeddingRows?: EmbeddingGradientRows[],
  ): Promise<void> {
    const h = this.bert.config.hidden_size;
    const { packed, parts, groups } = pass;
    if (dHiddens.length !== parts.length)
      throw new Error(
        `OnnxBertTrainer.backwardParts: ${dHiddens.length} gradients for a pass of ${parts.length} batches`,
      );
    parts.forEach(({ batchSize, length }, i) => {
      const d = dHiddens[i];
      if (d && d.length !== batchSize * length * h)
        throw new Error(
          `OnnxBertTrainer.backward: dHidden has ${d.length} values, expected ${batchSize * length * h}`,
        );
    });
    const { graphs, backward } = await this.sessionsFor(pass.dropout, groups.length);
    const dPacked = new Float32Array(packed.tokens * h);
    for (const g of groups) {
      const d = dHiddens[g.part];
      if (!d) continue;
      forEachGroupToken(g, parts[g.part]!.length, (t, at) => {
        dPacked.set(d.subarray(at * h, (at + 1) * h), (g.tokenOffset + t) * h);
      });
    }
    const feeds: Record<string, Tensor> = {
      ...pass.feeds,
      d_hidden: new this.ort.Tensor('float32', dPacked, [packed.tokens, h]),
    };
    this.weightFeeds(graphs.backwardWeights, weights, feeds);
    const out = await backward.run(feeds, [...graphs.gradients.map((g) => g.output), 'd_emb']);
    for (const { weight, output } of graphs.gradients)
      addInto(into, weight, out[output]!.data as Float32Array);
    const dEmb = out.d_emb!.data as Float32Array;
    if (embeddingRows) embeddingRows.push({ packed, dEmb });
    else
      scatterEmbeddingRows([{ packed, dEmb }], h, {
        word: zeroLike(into, EMBEDDINGS.word, weights),
        position: zeroLike(into, EMBEDDINGS.position, weights),
        type: zeroLike(into, EMBEDDINGS.type, weights),
      });
  }

  /** Frees the native sessions. */
  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    const fused = [...this.fused.values()];
    this.sessions.clear();
    this.fused.clear();
    for (const s of all) {
      const { forward, backward } = await s;
      await forward.release();
      await backward.release();
    }
    for (const s of fused) await (await s).session.release();
  }
}

/** The gradient of the lookup: each token's row added into its word, position and type rows. */
export function scatterEmbeddingRows(
  rows: EmbeddingGradientRows[],
  h: number,
  into: { word: Float32Array; position: Float32Array; type: Float32Array },
): void {
  const { word, position: pos, type } = into;
  for (const { packed, dEmb } of rows)
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

/**
 * The indices of the set flags, ascending. A counting loop: `Int32Array.from(flags.keys()).filter(…)` walks an
 * iterator over the whole vocabulary and took 5–15 ms per training step.
 */
export function flaggedRows(flags: Uint8Array): Int32Array {
  let n = 0;
  for (let r = 0; r < flags.length; r++) n += flags[r]!;
  const rows = new Int32Array(n);
  for (let r = 0, i = 0; r < flags.length; r++) if (flags[r]) rows[i++] = r;
  return rows;
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

/** The packed tokens of several batches, one batch after the other (ids, positions, token types). */
function concatPacked(own: PackedBatch[]): PackedBatch {
  if (own.length === 1) return own[0]!;
  const tokens = own.reduce((n, p) => n + p.tokens, 0);
  const cat = (pick: (p: PackedBatch) => Int32Array | undefined) => {
    const out = new Int32Array(tokens);
    let o = 0;
    for (const p of own) {
      const v = pick(p);
      if (v) out.set(v, o);
      o += p.tokens;
    }
    return out;
  };
  return {
    tokens,
    tokenIndex: cat((p) => p.tokenIndex),
    ids: cat((p) => p.ids),
    positions: cat((p) => p.positions),
    typeIds: own.some((p) => p.typeIds !== undefined) ? cat((p) => p.typeIds) : undefined,
  };
}

/**
 * Attention groups per batch: ⌊rows / 8⌋ (one up to 15 rows), twice that when the batch is padded beyond 64
 * tokens, at most 8. More groups pad less (attention's work grows with the square of the padded length) but
 * each adds nodes to the graph: on short pairs (SNLI, ~40 tokens) 8 groups did no better than 4 here, on
 * passages up to 256 tokens 8 did better than 4 (`scripts/bench/attention_groups.ts`).
 * A function of the batch's size and padded length only, so a run meets few graph variants (one session per
 * number of groups in a pass).
 */
export function attentionGroupCount(batchSize: number, length: number): number {
  return Math.max(1, Math.min(8, Math.floor(batchSize / 8) * (length > 64 ? 2 : 1)));
}

/** A batch's rows as attention groups: sorted by real length (ties by row), cut into near-equal counts. */
function attentionGroupRows(batch: EncodedBatch, maxGroups: number): Int32Array[] {
  const b = batch.batchSize;
  const groups = Math.min(maxGroups, attentionGroupCount(b, batch.length));
  if (groups === 1) return [Int32Array.from({ length: b }, (_, i) => i)];
  const order = rowsByLength(batch, 'shortest-first').rows;
  return Array.from({ length: groups }, (_, k) =>
    order.slice(Math.floor((k * b) / groups), Math.floor(((k + 1) * b) / groups)),
  );
}

/** Each token of a group: its packed index in the group and its flat position in its batch's own layout. */
export function forEachGroupToken(
  g: AttentionGroup,
  batchLength: number,
  f: (t: number, at: number) => void,
): void {
  const { tokenIndex } = g.packed;
  for (let t = 0; t < tokenIndex.length; t++) {
    const pos = tokenIndex[t]!;
    const row = g.rows[Math.floor(pos / g.length)]!;
    f(t, row * batchLength + (pos % g.length));
  }
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
