import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { resolvePrompt } from '@contrastive/core';
import {
  type EmbeddingRows,
  type PoolingConfig,
  type SimilarityFunction,
  embeddingSimilarity,
  pairwiseEmbeddingSimilarity,
} from '@contrastive/pooling';
import {
  type EngineChoice,
  type NamedVariable,
  type TrainingEngineHandle,
  type TrainingEngineRequest,
  ensureBackend,
  readFloat32,
  resolveEngine,
  resolveTrainingEngine,
  tf,
  writeSafetensors,
} from '@contrastive/tensor-gpu';
import {
  type BertConfig,
  bertConfigToJson,
  checkModelFits,
  isDecoderConfig,
  readBertConfig,
} from './config.js';
import { BertLMHeadModel, type DecoderOptions } from './decoder/bert_lm_head_model.js';
import { type ModelSourceOptions, resolveModelDir } from './hub_loader.js';
import { BertModel } from './model.js';
import { checkModelFolderLinks, readEncoderWeights } from './model_folder.js';
import { type DenseLayer, DenseModule } from './modules/dense.js';
import { type HeadModule, applyModules } from './modules/module.js';
import { TRANSFORMER_TYPE, isTransformerEntry, moduleTypeOf, readModules } from './modules/module_list.js';
import { NormalizeModule } from './modules/normalize.js';
import { PoolingModule, defaultPooling } from './modules/pooling.js';
import { OnnxEncoderSession, type OnnxSessionOptions } from './onnx/encoder_session.js';
import { exportOnnx } from './onnx/export.js';
import { OnnxSessionCache, bertWeightViews } from './onnx/session_cache.js';
import { type LinearHead, OnnxTrainingEngine } from './onnx/training/engine.js';
import { type EncodedBatch, SentenceTokenizer } from './tokenizer.js';
import type { EmbedTensorOptions, EncodeOptions, SaveOptions, SentenceTransformersConfig } from './types.js';

export interface SentenceEncoderOptions extends ModelSourceOptions {
  maxSeqLength?: number;
  /** Forces L2 normalization of outputs on (adds a Normalize module) or off (removes it). */
  normalize?: boolean;
  /** Matryoshka: keep the first N dimensions of each embedding (wins over the saved `truncate_dim`). */
  truncateDim?: number;
}

/** What `createTrainingEngine` returns: a transformer whose passes run outside tfjs's tape. */
export type EncoderTrainingEngine = TrainingEngineHandle<ReturnType<OnnxTrainingEngine['beginStep']>>;

const ST_VERSION = '5.1.0';

/** Sorted encode: batches per window whose texts are ordered by token count (see `encode`). */
const ENCODE_SORT_WINDOW_BATCHES = 64;

function readJsonIfExists<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** One tokenized batch embedded by whichever backend runs the transformer. */
interface BatchEmbedder {
  embedBatch(batch: EncodedBatch, exclude: number): Promise<Float32Array>;
  /** Batches it runs at once (its sessions); `encode` keeps that many more in flight. Default 1. */
  readonly parallelism?: number;
}

/**
 * A sentence-transformers model: the Transformer (BERT) followed by the ordered head modules of `modules.json`
 * (Pooling, Dense, Normalize, or any registered module), loaded from and saved to sentence-transformers' folder
 * layout. The transformer runs on a backend (tfjs, or onnxruntime-node for encoding and training); the head
 * modules run after it whichever backend produced the token embeddings. Fits the evaluators' `embed(texts)`, the
 * losses' `embedTensor(texts, { training })` and the trainer's `TrainableEncoder`.
 */
export class SentenceEncoder {
  readonly bert: BertModel;
  readonly tokenizer: SentenceTokenizer;
  /** The modules after the Transformer, in modules.json order. */
  readonly modules: HeadModule[];
  maxSeqLength: number;
  doLowerCase: boolean;
  stConfig: SentenceTransformersConfig;
  /** Where the model was loaded from (copied files such as vocab.txt come from here on save). */
  readonly sourceDir: string | undefined;
  /**
   * Engine `encode`/`embed` use when a call does not name one. `auto`: an onnxruntime-node snapshot of the
   * current weights where onnxruntime loads (rebuilt when the weights or modules change; `release()` frees it),
   * tfjs otherwise and on tfjs-node(-gpu) backends.
   */
  encodeEngine: EngineChoice = 'auto';
  /**
   * Options of the encode snapshot on onnxruntime (threads — default the machine's cores, at most 8 —, workers,
   * device, op set, padding removal); a change rebuilds the snapshot. `workers` not given: one session until a
   * call embeds `AUTO_WORKERS_MIN_TEXTS` texts, then `'auto'` (`autoWorkers`: two sessions for a small model on
   * the CPU).
   */
  onnxOptions: OnnxSessionOptions = {};

  constructor(init: {
    bert: BertModel;
    tokenizer: SentenceTokenizer;
    modules: HeadModule[];
    maxSeqLength: number;
    doLowerCase?: boolean;
    stConfig?: Partial<SentenceTransformersConfig>;
    sourceDir?: string;
  }) {
    this.bert = init.bert;
    this.tokenizer = init.tokenizer;
    this.modules = init.modules;
    this.maxSeqLength = Math.min(init.maxSeqLength, init.bert.config.max_position_embeddings);
    this.doLowerCase = init.doLowerCase ?? false;
    this.stConfig = {
      prompts: {},
      default_prompt_name: null,
      similarity_fn_name: 'cosine',
      ...init.stConfig,
    };
    this.sourceDir = init.sourceDir;
    this.dimension; // validates the module chain's widths
  }

  /**
   * Matryoshka: `encode`/`embed` keep the first `truncateDim` dimensions (sentence-transformers'
   * `truncate_dim`); saved in config_sentence_transformers.json. Undefined: the full `dimension`.
   */
  get truncateDim(): number | undefined {
    return this.stConfig.truncate_dim ?? undefined;
  }

  set truncateDim(dim: number | undefined) {
    if (dim !== undefined) checkTruncateDim(dim, this.dimension, 'truncate_dim');
    this.stConfig.truncate_dim = dim ?? null;
  }

  /** Width of what `encode` returns: `truncateDim` when set, else `dimension`. */
  get embeddingDimension(): number {
    return this.truncateDim ?? this.dimension;
  }

  /**
   * Adds named prompts (config_sentence_transformers.json's `prompts`, what `encode({ promptName })` uses),
   * replacing those of the same name; `defaultPromptName` (one of the prompts) is prepended when a call names none.
   */
  addPrompts(prompts: Record<string, string>, defaultPromptName?: string | null): void {
    const merged = { ...this.stConfig.prompts, ...prompts };
    if (defaultPromptName != null && !Object.hasOwn(merged, defaultPromptName))
      throw new Error(
        `default prompt "${defaultPromptName}" is not one of the prompts (${Object.keys(merged).join(', ')})`,
      );
    this.stConfig.prompts = merged;
    if (defaultPromptName !== undefined) this.stConfig.default_prompt_name = defaultPromptName;
  }

  /** Loads a local sentence-transformers folder or a hub id (`org/name`). Refuses pickled `.bin` weights. */
  static async load(pathOrId: string, options: SentenceEncoderOptions = {}): Promise<SentenceEncoder> {
    await ensureBackend();
    const dir = await resolveModelDir(pathOrId, options);
    checkModelFolderLinks(dir);
    const modulesFile = join(dir, 'modules.json');
    const entries = readModules(dir);
    const transformerEntry = entries ? entries.find(isTransformerEntry) : { path: '', idx: 0 };
    if (!transformerEntry) throw new Error(`${modulesFile}: no Transformer module`);
    if (entries && !isTransformerEntry(entries[0]!))
      throw new Error(`${modulesFile}: the first module must be the Transformer (${TRANSFORMER_TYPE})`);
    const tdir = join(dir, transformerEntry.path);
    const config = readBertConfig(join(tdir, 'config.json'));
    // The onnxruntime graphs are the encoder's (no causal mask, no cross-attention): a decoder is not an encoder.
    if (isDecoderConfig(config))
      throw new Error(
        `${join(tdir, 'config.json')}: is_decoder is true (a decoder such as BertLMHeadModel), not a sentence encoder`,
      );
    checkModelFits(config, join(tdir, 'config.json'), tf.getBackend());
    const bert = BertModel.fromTensors(config, readEncoderWeights(tdir), join(tdir, 'model.safetensors'));
    const modules: HeadModule[] = [];
    try {
      const tokenizer = SentenceTokenizer.fromDir(tdir);
      const sb = readJsonIfExists<{ max_seq_length?: number; do_lower_case?: boolean }>(
        join(tdir, 'sentence_bert_config.json'),
      );
      const tc = tokenizer.files.tokenizerConfig as { model_max_length?: number };
      const maxSeqLength =
        sb?.max_seq_length ?? Math.min(tc.model_max_length ?? 512, config.max_position_embeddings);
      let dimension = config.hidden_size;
      if (entries) {
        for (const entry of entries.slice(1)) {
          if (isTransformerEntry(entry)) throw new Error(`${modulesFile}: a second Transformer module`);
          const m = moduleTypeOf(entry, modulesFile).load(join(dir, entry.path), {
            inputDimension: dimension,
            modulesFile,
          });
          modules.push(m);
          dimension = m.outputDimension(dimension);
        }
      } else modules.push(defaultPooling(config.hidden_size)); // a plain Hugging Face BERT: mean pooling
      const builtIn = (m: HeadModule) =>
        m instanceof PoolingModule || m instanceof DenseModule || m instanceof NormalizeModule;
      if (!modules.some((m) => m instanceof PoolingModule) && modules.every(builtIn))
        throw new Error(`${modulesFile}: no Pooling module`);
      const st = readJsonIfExists<Partial<SentenceTransformersConfig>>(
        join(dir, 'config_sentence_transformers.json'),
      );
      const enc = new SentenceEncoder({
        bert,
        tokenizer,
        modules,
        maxSeqLength: options.maxSeqLength ?? maxSeqLength,
        doLowerCase: sb?.do_lower_case ?? false,
        stConfig: {
          prompts: st?.prompts ?? {},
          default_prompt_name: st?.default_prompt_name ?? null,
          similarity_fn_name: st?.similarity_fn_name ?? 'cosine',
          ...(st?.truncate_dim != null ? { truncate_dim: st.truncate_dim } : {}),
        },
        sourceDir: dir,
      });
      if (options.normalize !== undefined) enc.normalizeOutput = options.normalize;
      if (st?.truncate_dim != null)
        checkTruncateDim(
          st.truncate_dim,
          enc.dimension,
          `${join(dir, 'config_sentence_transformers.json')}: truncate_dim`,
        );
      if (options.truncateDim !== undefined) enc.truncateDim = options.truncateDim;
      return enc;
    } catch (e) {
      bert.dispose();
      for (const m of modules) m.dispose();
      throw e;
    }
  }

  /** A new encoder with random weights (`contrastive init`). */
  static random(init: {
    config: BertConfig;
    tokenizer: SentenceTokenizer;
    pooling?: PoolingConfig['modes'][number];
    normalize?: boolean;
    maxSeqLength?: number;
    seed?: number;
    sourceDir?: string;
  }): SentenceEncoder {
    const modules: HeadModule[] = [
      new PoolingModule({
        dimension: init.config.hidden_size,
        modes: [init.pooling ?? 'mean'],
        includePrompt: true,
      }),
    ];
    if (init.normalize) modules.push(new NormalizeModule());
    checkModelFits(init.config, 'config', tf.getBackend());
    return new SentenceEncoder({
      bert: BertModel.random(init.config, init.seed ?? 42),
      tokenizer: init.tokenizer,
      modules,
      maxSeqLength: init.maxSeqLength ?? Math.min(256, init.config.max_position_embeddings),
      sourceDir: init.sourceDir,
    });
  }

  /** Output dimension (the last module's output width). */
  get dimension(): number {
    return this.modules.reduce((d, m) => m.outputDimension(d), this.bert.config.hidden_size);
  }

  /** The Pooling module's configuration. */
  get pooling(): PoolingConfig {
    const p = this.modules.find((m): m is PoolingModule => m instanceof PoolingModule);
    if (!p) throw new Error('this model has no Pooling module');
    return p.config;
  }

  set pooling(config: PoolingConfig) {
    const i = this.modules.findIndex((m) => m instanceof PoolingModule);
    if (i < 0) this.modules.unshift(new PoolingModule(config));
    else this.modules[i] = new PoolingModule(config);
  }

  /** The Dense modules' layers, in order. */
  get dense(): DenseLayer[] {
    return this.modules.filter((m): m is DenseModule => m instanceof DenseModule).map((m) => m.layer);
  }

  /** Whether the model ends in a Normalize module; setting it adds or removes that module. */
  get normalizeOutput(): boolean {
    return this.modules.some((m) => m instanceof NormalizeModule);
  }

  set normalizeOutput(on: boolean) {
    if (on === this.normalizeOutput) return;
    if (on) this.modules.push(new NormalizeModule());
    else
      this.modules.splice(
        0,
        this.modules.length,
        ...this.modules.filter((m) => !(m instanceof NormalizeModule)),
      );
  }

  /** Adds a head module at the end (e.g. a Dense layer before training), before a final Normalize, which stays last. */
  addModule(module: HeadModule): void {
    const last = this.modules[this.modules.length - 1];
    const at =
      last instanceof NormalizeModule && !(module instanceof NormalizeModule)
        ? this.modules.length - 1
        : this.modules.length;
    const before = this.modules
      .slice(0, at)
      .reduce((d, m) => m.outputDimension(d), this.bert.config.hidden_size);
    module.outputDimension(before);
    this.modules.splice(at, 0, module);
  }

  /** Whether prompts' tokens are left out of the pooling (include_prompt false), as sentence-transformers' prompt_length. */
  get excludesPromptFromPooling(): boolean {
    return this.modules.some((m) => m instanceof PoolingModule && !m.config.includePrompt);
  }

  /** config_sentence_transformers.json's `similarity_fn_name` (cosine when unset); `similarity()` scores with it. */
  get similarityFunction(): SimilarityFunction {
    return this.stConfig.similarity_fn_name ?? 'cosine';
  }

  /** Sets the function `similarity()` uses; `save()` writes it (sentence-transformers' `model.similarity_fn_name = …`). */
  set similarityFunction(fn: SimilarityFunction) {
    this.stConfig.similarity_fn_name = fn;
  }

  /**
   * All-pairs scores of two lists of embeddings (e.g. from `encode`) with the model's similarity function:
   * `a.length` rows of `b.length` (sentence-transformers' `model.similarity`; euclidean and manhattan are negated
   * distances, so higher is more similar everywhere).
   */
  similarity(a: EmbeddingRows, b: EmbeddingRows): number[][] {
    return embeddingSimilarity(this.similarityFunction, a, b);
  }

  /** `a[i]` against `b[i]` with the model's similarity function (sentence-transformers' `similarity_pairwise`). */
  similarityPairwise(a: EmbeddingRows, b: EmbeddingRows): number[] {
    return pairwiseEmbeddingSimilarity(this.similarityFunction, a, b);
  }

  /**
   * Trainable parameters: the transformer's (Hugging Face names) and each head module's, prefixed
   * `<k>_<Module>.` where k counts modules of that kind (`0_Dense.linear.weight`).
   */
  namedVariables(): NamedVariable[] {
    const out = this.bert.namedVariables();
    const seen = new Map<string, number>();
    for (const m of this.modules) {
      const k = seen.get(m.folderName) ?? 0;
      seen.set(m.folderName, k + 1);
      for (const v of m.namedVariables())
        out.push({ name: `${k}_${m.folderName}.${v.name}`, variable: v.variable });
    }
    return out;
  }

  /** The prompt `encode` prepends (sentence-transformers' rules, resolved by @contrastive/core). */
  resolvePrompt(prompt?: string, promptName?: string): string | undefined {
    return resolvePrompt(this.stConfig, { prompt, promptName });
  }

  /**
   * Sentence embeddings `[N, dim]` of one batch on tfjs, inside the caller's gradient tape when training.
   * Synchronous, so losses can call it under `tf.variableGrads`.
   */
  embedTensor(texts: string[], options: EmbedTensorOptions = {}): tf.Tensor2D {
    if (texts.length === 0) throw new Error('embedTensor: empty batch');
    const { batch, exclude } = this.tokenizeForEmbedding(texts, options.prompt);
    return this.embedTokenized(batch, exclude, options);
  }

  /** The transformer on tfjs and the head modules over one tokenized batch (under the caller's tape). */
  private embedTokenized(
    batch: EncodedBatch,
    exclude: number,
    options: EmbedTensorOptions = {},
  ): tf.Tensor2D {
    return tf.tidy(() => {
      const ids = tf.tensor2d(batch.inputIds, [batch.batchSize, batch.length], 'int32');
      const mask = tf.tensor2d(batch.attentionMask, [batch.batchSize, batch.length], 'int32');
      const hidden = this.bert.forward(
        { inputIds: ids, attentionMask: mask },
        { training: options.training ?? false, seed: options.seed, dropoutRate: options.dropoutRate },
      );
      return this.embedFromTokens(hidden, mask, exclude);
    });
  }

  /**
   * The head modules on the transformer's token embeddings `[B, L, hidden]`; `excludeLeadingTokens` leaves [CLS]
   * and a prompt out of the pooling (include_prompt false).
   */
  embedFromTokens(hidden: tf.Tensor3D, mask: tf.Tensor2D, excludeLeadingTokens = 0): tf.Tensor2D {
    return tf.tidy(() => applyModules(this.modules, hidden, mask, excludeLeadingTokens));
  }

  /**
   * The head as a linear pooling when it is one (a Pooling module with one of mean, cls, mean_sqrt_len, then
   * at most a Normalize): what a fused training step runs inside onnxruntime. Undefined for any other head.
   */
  linearHead(): LinearHead | undefined {
    const [pooling, ...rest] = this.modules;
    if (!(pooling instanceof PoolingModule) || pooling.config.modes.length !== 1) return undefined;
    if (rest.length > 1 || (rest.length === 1 && !(rest[0] instanceof NormalizeModule))) return undefined;
    const mode = pooling.config.modes[0]!;
    if (mode !== 'mean' && mode !== 'cls' && mode !== 'mean_sqrt_len') return undefined;
    return {
      normalize: rest.length === 1,
      // As @contrastive/pooling's pool(): the mask without the excluded leading positions (not for cls), the
      // sum divided by max(count, 1e-9) (mean) or its square root (mean_sqrt_len).
      poolingWeights: (batch, exclude) => {
        const { batchSize: b, length: len, attentionMask } = batch;
        const w = new Float32Array(b * len);
        for (let r = 0; r < b; r++) {
          if (mode === 'cls') {
            w[r * len] = 1;
            continue;
          }
          let count = 0;
          for (let p = Math.min(exclude, len); p < len; p++) count += attentionMask[r * len + p] ? 1 : 0;
          const denom = Math.max(count, 1e-9);
          const weight = mode === 'mean' ? 1 / denom : 1 / Math.sqrt(denom);
          for (let p = Math.min(exclude, len); p < len; p++)
            if (attentionMask[r * len + p]) w[r * len + p] = weight;
        }
        return w;
      },
    };
  }

  /**
   * One batch tokenized as the model embeds it (prompt prepended, truncated, padded), and how many leading
   * tokens pooling leaves out: [CLS] + the prompt's when include_prompt is false (as sentence-transformers), else 0.
   */
  tokenizeForEmbedding(texts: string[], prompt?: string): { batch: EncodedBatch; exclude: number } {
    const batch = this.tokenizer.pad(texts.map((t) => this.textIds(t, prompt)));
    return { batch, exclude: this.promptTokensExcluded(prompt) };
  }

  /** `[CLS] prompt text [SEP]` as the model embeds it, cut at `maxSeqLength`. */
  private textIds(text: string, prompt: string | undefined): number[] {
    return this.tokenizer.encodeIds(prompt ? prompt + text : text, this.maxSeqLength);
  }

  /** Leading tokens the pooling leaves out: [CLS] and the prompt's, when the model excludes its prompt. */
  private promptTokensExcluded(prompt: string | undefined): number {
    return prompt && this.excludesPromptFromPooling ? this.tokenizer.tokenIds(prompt).length + 1 : 0;
  }

  private readonly onnxSession = new OnnxSessionCache();
  private onnxUnavailable = false;

  /** What an ONNX snapshot depends on: every weight tensor (a new one after each update) and the modules. */
  private snapshotKey(): unknown[] {
    return [
      this.tokenizer,
      this.maxSeqLength,
      JSON.stringify(this.onnxSession.snapshotOptions(this.onnxOptions)),
      ...this.modules,
      ...this.modules.map((m) => JSON.stringify(m instanceof PoolingModule ? m.config : m.describe())),
      ...this.namedVariables().map((v) => v.variable.dataId),
    ];
  }

  /**
   * Resolves `engine` for encoding now (building the ONNX snapshot when it is chosen), makes the outcome this
   * encoder's `encodeEngine`, and reports it in one line (the CLI's stderr line). Returns what was chosen.
   */
  async selectEncodeEngine(
    engine: EngineChoice,
    options: {
      report?: (line: string) => void;
      purpose?: 'encode' | 'eval';
      /**
       * The calls that follow embed many texts (a data set): the snapshot is built as for a call of
       * `AUTO_WORKERS_MIN_TEXTS` texts.
       */
      bulk?: boolean;
    } = {},
  ): Promise<'onnx' | 'tfjs'> {
    await ensureBackend();
    if (options.bulk) this.onnxSession.markBulk();
    this.encodeEngine = engine;
    const chosen =
      (await this.batchEmbedder(engine, options)) instanceof OnnxEncoderSession ? 'onnx' : 'tfjs';
    this.encodeEngine = chosen;
    return chosen;
  }

  /** The backend that embeds a tokenized batch for `encode`: an ONNX snapshot, or tfjs. */
  private async batchEmbedder(
    engine: EngineChoice,
    options: { report?: (line: string) => void; purpose?: 'encode' | 'eval' } = {},
  ): Promise<BatchEmbedder> {
    const tfjs: BatchEmbedder = {
      embedBatch: async (batch, exclude) => {
        const emb = this.embedTokenized(batch, exclude);
        const data = new Float32Array(readFloat32(emb));
        emb.dispose();
        return data;
      },
    };
    const requested = engine === 'auto' ? this.encodeEngine : engine;
    if (requested === 'auto' && this.onnxUnavailable) return tfjs;
    const key = this.snapshotKey();
    const cached = requested !== 'tfjs' ? this.onnxSession.get(key) : undefined;
    if (cached) return cached;
    const resolved = await resolveEngine({
      purpose: options.purpose ?? 'encode',
      requested,
      report: options.report,
      threads: this.onnxOptions.threads,
      device: this.onnxOptions.device,
      describe: (s: OnnxEncoderSession) => s.reportNote,
      createOnnx: (threads) =>
        this.onnxSession.build(key, () =>
          OnnxEncoderSession.create(
            { config: this.bert.config, weights: bertWeightViews(this.bert), head: this.modules },
            { ...this.onnxSession.snapshotOptions(this.onnxOptions), threads },
          ),
        ),
    });
    if (resolved.kind === 'onnx') return resolved.engine;
    if (resolved.reason !== undefined) this.onnxUnavailable = true; // onnxruntime-node missing here
    return tfjs;
  }

  /** Frees the ONNX snapshot `encode` keeps (the model itself stays usable; the next encode rebuilds it). */
  async release(): Promise<void> {
    await this.onnxSession.release();
  }

  /**
   * Embeddings in input order, the one encode loop of every backend: texts sorted by length (as
   * sentence-transformers does, so batches pad little), prompts, batching, progress, normalization. Runs on
   * onnxruntime-node where it loads (see `encodeEngine`), else tfjs.
   */
  async encode(texts: string[], options: EncodeOptions = {}): Promise<Float32Array[]> {
    await ensureBackend();
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`encode: batchSize must be a positive integer, got ${batchSize}`);
    const prompt = this.resolvePrompt(options.prompt, options.promptName);
    const engine = options.engine ?? 'auto';
    this.onnxSession.noteCall(texts.length, engine === 'auto' ? this.encodeEngine : engine);
    const embedder = await this.batchEmbedder(engine);
    const sort = options.sortByLength ?? true;
    const order = texts.map((_, i) => i);
    if (sort) order.sort((a, b) => texts[b]!.length - texts[a]!.length || a - b);
    const out: Float32Array[] = new Array(texts.length);
    const dim = this.dimension;
    const keep = options.truncateDim ?? this.truncateDim ?? dim;
    if (options.truncateDim !== undefined) checkTruncateDim(keep, dim, 'encode: truncateDim');
    // As sentence-transformers: truncate, then normalize (a Normalize module's unit vectors are no longer unit).
    const renormalize = options.normalize === true && (!this.normalizeOutput || keep < dim);
    const exclude = this.promptTokensExcluded(prompt);
    let done = 0;
    // Texts are tokenized a window of batches at a time. Sorted, each window's texts are ordered again by their
    // token counts (characters only approximate them): a batch's sequences then have nearly one length, so
    // attention (which runs on the padded layout) pads little. Same embeddings; memory stays one window's ids.
    const window = sort ? batchSize * ENCODE_SORT_WINDOW_BATCHES : batchSize;
    // With several sessions (`workers`), batches are queued ahead of them: `parallelism` stay in flight while this
    // thread pads the next one, so that no session waits on it. One session: each batch is awaited in turn.
    const parallelism = embedder.parallelism ?? 1;
    const ahead = parallelism > 1 ? parallelism : 0;
    const inFlight: Promise<void>[] = [];
    for (let w = 0; w < order.length; w += window) {
      const idx = order.slice(w, w + window);
      const ids = idx.map((i) => this.textIds(texts[i]!, prompt));
      const local = idx.map((_, k) => k);
      if (sort) local.sort((a, b) => ids[b]!.length - ids[a]!.length || a - b);
      for (let s = 0; s < local.length; s += batchSize) {
        const rows = local.slice(s, s + batchSize);
        const embedded = embedder
          .embedBatch(this.tokenizer.pad(rows.map((k) => ids[k]!)), exclude)
          .then((data) => {
            rows.forEach((k, r) => {
              const v = data.slice(r * dim, r * dim + keep);
              out[idx[k]!] = renormalize ? normalizeVector(v) : v;
            });
            done += rows.length;
            options.progress?.(done, order.length);
          });
        // Awaited below; marked handled now so that a failure while an earlier batch is awaited is not unhandled.
        embedded.catch(() => undefined);
        inFlight.push(embedded);
        if (inFlight.length > ahead) await inFlight.shift();
      }
    }
    await Promise.all(inFlight);
    return out;
  }

  /**
   * `encode` for search queries: with the model's `query` prompt when it has one and neither `prompt` nor
   * `promptName` is given (sentence-transformers' `encode_query`).
   */
  async encodeQuery(texts: string[], options: EncodeOptions = {}): Promise<Float32Array[]> {
    return this.encode(texts, this.withTaskPrompt(options, ['query']));
  }

  /**
   * `encode` for the searched passages: with the first of the model's `document`, `passage` and `corpus` prompts
   * it has, unless a prompt is given (sentence-transformers' `encode_document`).
   */
  async encodeDocument(texts: string[], options: EncodeOptions = {}): Promise<Float32Array[]> {
    return this.encode(texts, this.withTaskPrompt(options, ['document', 'passage', 'corpus']));
  }

  private withTaskPrompt(options: EncodeOptions, names: string[]): EncodeOptions {
    if (options.prompt !== undefined || options.promptName !== undefined) return options;
    const name = names.find((n) => this.stConfig.prompts?.[n] !== undefined);
    return name ? { ...options, promptName: name } : options;
  }

  /** `embed(texts) → number[][]`: the shape evaluators accept. */
  async embed(texts: string[], options: EncodeOptions = {}): Promise<number[][]> {
    return (await this.encode(texts, options)).map((v) => Array.from(v));
  }

  /**
   * The engine that runs the transformer's training passes outside tfjs's tape, as the engine resolver picks it
   * (`auto`: onnxruntime-node where it loads); undefined means tfjs's tape trains the model.
   */
  async createTrainingEngine(
    options: TrainingEngineRequest = {},
  ): Promise<EncoderTrainingEngine | undefined> {
    return resolveTrainingEngine(options, (threads, device) =>
      OnnxTrainingEngine.create(this, { threads, device }),
    );
  }

  /**
   * TSDAE's decoder over this encoder (what `DenoisingAutoEncoderLoss` asks for): a Hugging Face
   * `BertLMHeadModel` with cross-attention to the sentence embedding, tied to this transformer by default. It
   * runs on tfjs whichever engine trains the encoder, and is never part of `save`.
   */
  createDecoder(options: DecoderOptions = {}): BertLMHeadModel {
    return BertLMHeadModel.fromEncoder(this, options);
  }

  /**
   * Bytes of activations tfjs keeps for one training batch of `texts` texts (~32 tokens each), for the wasm
   * heap warning. Measured on the MiniLM shape: ~300 saved floats per token, layer and hidden unit.
   */
  trainingActivationBytes(texts: number): number {
    const c = this.bert.config;
    return texts * 32 * c.hidden_size * c.num_hidden_layers * 300 * 4;
  }

  /** What the model card says of the architecture. */
  summary(): { maxSeqLength: number; dimension: number; similarityFunction: string; architecture: string } {
    const c = this.bert.config;
    return {
      maxSeqLength: this.maxSeqLength,
      dimension: this.dimension,
      similarityFunction: this.similarityFunction,
      architecture: [
        `BERT (${c.num_hidden_layers} layers, hidden ${c.hidden_size}, ${c.num_attention_heads} heads)`,
        ...this.modules.map((m) => m.describe()),
      ].join(' → '),
    };
  }

  /**
   * Writes the sentence-transformers layout: modules.json, config.json, model.safetensors, tokenizer files,
   * sentence_bert_config.json, config_sentence_transformers.json and each head module's folder
   * (`1_Pooling/`, `2_Dense/`, `3_Normalize/`, …). Files are written to a temp folder first, then renamed into
   * `dir` one by one (each replace is atomic); other files already in `dir` (checkpoints, logs) are kept.
   */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    const target = resolve(dir);
    const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
    mkdirSync(tmp, { recursive: true });
    try {
      const moduleDirs = await this.writeFiles(tmp, options);
      if (!existsSync(target)) {
        mkdirSync(dirname(target), { recursive: true });
        renameSync(tmp, target);
        return;
      }
      for (const name of readdirSync(tmp)) {
        const dst = join(target, name);
        if (existsSync(dst) && statSync(dst).isDirectory()) rmSync(dst, { recursive: true, force: true });
        renameSync(join(tmp, name), dst);
      }
      // Module folders that are no longer part of the model must not linger (modules.json no longer names them).
      for (const name of readdirSync(target)) {
        if (
          /^\d+_[A-Za-z]\w*$/.test(name) &&
          !moduleDirs.has(name) &&
          statSync(join(target, name)).isDirectory()
        )
          rmSync(join(target, name), { recursive: true, force: true });
      }
      rmSync(tmp, { recursive: true, force: true });
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  private async writeFiles(dir: string, options: SaveOptions): Promise<Set<string>> {
    const json = (p: string, v: unknown) => writeFileSync(join(dir, p), `${JSON.stringify(v, null, 2)}\n`);
    const modules: Array<{ idx: number; name: string; path: string; type: string }> = [
      { idx: 0, name: '0', path: '', type: TRANSFORMER_TYPE },
    ];
    json('config.json', bertConfigToJson(this.bert.config));
    writeSafetensors(join(dir, 'model.safetensors'), await this.bert.exportWeights(), { format: 'pt' });
    json('tokenizer.json', this.tokenizer.files.tokenizerJson);
    // The model's limit as the tokenizer's own, so clients that truncate by the tokenizer (transformers.js) cut there.
    json('tokenizer_config.json', {
      ...this.tokenizer.files.tokenizerConfig,
      model_max_length: this.maxSeqLength,
    });
    for (const f of ['special_tokens_map.json', 'vocab.txt']) {
      // Contents only: a copy would keep the source's mode (read-only in a shared or cache folder).
      if (this.sourceDir && existsSync(join(this.sourceDir, f)))
        writeFileSync(join(dir, f), readFileSync(join(this.sourceDir, f)));
    }
    json('sentence_bert_config.json', { max_seq_length: this.maxSeqLength, do_lower_case: this.doLowerCase });
    json('config_sentence_transformers.json', {
      __version__: { sentence_transformers: ST_VERSION, transformers: '4.56.0', pytorch: '2.8.0' },
      model_type: 'SentenceTransformer',
      prompts: this.stConfig.prompts,
      default_prompt_name: this.stConfig.default_prompt_name,
      similarity_fn_name: this.stConfig.similarity_fn_name,
      ...(this.stConfig.truncate_dim != null ? { truncate_dim: this.stConfig.truncate_dim } : {}),
    });
    const written = new Set<string>();
    for (const m of this.modules) {
      const idx = modules.length;
      const path = `${idx}_${m.folderName}`;
      mkdirSync(join(dir, path), { recursive: true });
      await m.save(join(dir, path));
      modules.push({ idx, name: String(idx), path, type: m.type });
      written.add(path);
    }
    json('modules.json', modules);
    if (options.modelCard) writeFileSync(join(dir, 'README.md'), options.modelCard);
    if (options.onnx) await exportOnnx(this, dir, options.onnx === true ? {} : options.onnx);
    return written;
  }

  /**
   * Replaces this model's weights with those saved in a sentence-transformers folder of the same shape
   * (a checkpoint of this model): the transformer's and every head module's that has weights.
   */
  loadWeightsFrom(dir: string): void {
    const modulesFile = join(dir, 'modules.json');
    const entries = (readModules(dir) ?? []).filter((e) => !isTransformerEntry(e));
    if (entries.length !== this.modules.length) {
      throw new Error(
        `${modulesFile}: ${entries.length} modules after the Transformer, the model has ${this.modules.length}`,
      );
    }
    entries.forEach((e, i) => {
      const m = this.modules[i]!;
      if (moduleTypeOf(e, modulesFile) !== moduleTypeOf({ ...e, type: m.type }, modulesFile))
        throw new Error(`${modulesFile}: module ${e.idx} is ${e.type}, the model's is ${m.type}`);
    });
    this.bert.loadWeights(readEncoderWeights(dir), join(dir, 'model.safetensors'));
    entries.forEach((e, i) => this.modules[i]!.loadWeights?.(join(dir, e.path)));
  }

  /** Frees the weights (and the ONNX snapshot, if any). */
  dispose(): void {
    void this.release();
    this.bert.dispose();
    for (const m of this.modules) m.dispose();
  }
}

function checkTruncateDim(dim: number, full: number, what: string): void {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`${what} must be a positive integer, got ${dim}`);
  if (dim > full) throw new Error(`${what} ${dim} is larger than the model's embedding dimension ${full}`);
}

function normalizeVector(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.max(Math.sqrt(s), 1e-12);
  return v.map((x) => x / n);
}
