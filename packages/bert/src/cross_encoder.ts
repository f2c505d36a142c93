import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  type EngineChoice,
  type NamedVariable,
  type SafetensorsTensor,
  type TrainingEngineRequest,
  ensureBackend,
  readFloat32,
  resolveEngine,
  resolveTrainingEngine,
  tf,
  writeSafetensors,
} from '@contrastive/tensor-gpu';
import { type BertConfig, bertConfigToJson, checkModelFits, readBertConfig } from './config.js';
import { type ModelSourceOptions, resolveModelDir } from './hub_loader.js';
import { BertModel } from './model.js';
import { checkModelFolderLinks, readEncoderWeights } from './model_folder.js';
import { ClassificationHead, type HeadForwardOptions } from './modules/classification_head.js';
import { OnnxEncoderSession, type OnnxSessionOptions } from './onnx/encoder_session.js';
import { OnnxSessionCache, bertWeightViews } from './onnx/session_cache.js';
import { OnnxTrainingEngine } from './onnx/training/engine.js';
import type { EncoderTrainingEngine } from './sentence_encoder.js';
import { type EncodedBatch, SentenceTokenizer } from './tokenizer.js';
import { canonicalBertName } from './weights.js';

/** The activation `predict` applies to the logits (sentence-transformers' `activation_fn`). */
export type CrossEncoderActivation = 'sigmoid' | 'identity' | 'tanh' | 'relu';

const ACTIVATION_NAMES: Record<CrossEncoderActivation, string> = {
  sigmoid: 'torch.nn.modules.activation.Sigmoid',
  identity: 'torch.nn.modules.linear.Identity',
  tanh: 'torch.nn.modules.activation.Tanh',
  relu: 'torch.nn.modules.activation.ReLU',
};

const ST_VERSION = '5.1.0';
const ARCHITECTURE = 'BertForSequenceClassification';

export interface CrossEncoderLoadOptions extends ModelSourceOptions {
  /** Labels of a new head (a plain BERT checkpoint); must match a checkpoint's classifier when it has one. */
  numLabels?: number;
  /** Pair length in tokens, specials included (default: tokenizer_config's model_max_length, capped by the model). */
  maxLength?: number;
}

export interface PredictOptions {
  batchSize?: number;
  /** Applied to the logits; default the model's (sigmoid for one label, identity otherwise, as sentence-transformers). */
  activation?: CrossEncoderActivation;
  /** Softmax over the labels after the activation (several labels only). */
  applySoftmax?: boolean;
  progress?: (done: number, total: number) => void;
  /** What runs the transformer (default the model's `encodeEngine`: onnx where onnxruntime loads). */
  engine?: EngineChoice;
}

/** `predict`'s output: one score per pair for a one-label model, else one row of `numLabels` per pair. */
export type CrossEncoderScores = number[] | number[][];

export interface RankedDocument {
  corpusId: number;
  score: number;
  text?: string;
}

/** One tokenized batch scored by whichever backend runs the transformer. */
interface BatchScorer {
  logits(batch: EncodedBatch): Promise<Float32Array>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Labels from config.json: `num_labels`, else the size of `id2label`, else undefined. */
function configuredLabels(config: BertConfig, file: string): number | undefined {
  const n = config.extra.num_labels;
  if (n !== undefined) {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 100_000)
      throw new Error(`${file}: "num_labels" must be a positive integer, got ${JSON.stringify(n)}`);
    return n;
  }
  const id2label = config.extra.id2label;
  if (id2label !== undefined) {
    if (!isRecord(id2label)) throw new Error(`${file}: "id2label" must be an object`);
    return Object.keys(id2label).length || undefined;
  }
  return undefined;
}

function parseActivationName(name: unknown, file: string): CrossEncoderActivation | undefined {
  if (name === undefined || name === null) return undefined;
  const found = (Object.keys(ACTIVATION_NAMES) as CrossEncoderActivation[]).find(
    (k) => ACTIVATION_NAMES[k] === name || k === String(name).split('.').pop()?.toLowerCase(),
  );
  if (!found)
    throw new Error(
      `${file}: "sentence_transformers.activation_fn" ${JSON.stringify(name)} is not supported (${Object.values(ACTIVATION_NAMES).join(', ')})`,
    );
  return found;
}

function applyActivation(a: CrossEncoderActivation, x: number): number {
  switch (a) {
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'tanh':
      return Math.tanh(x);
    case 'relu':
      return Math.max(0, x);
    case 'identity':
      return x;
  }
}

/**
 * A cross-encoder: Hugging Face `BertForSequenceClassification` (`[CLS] a [SEP] b [SEP]` with token types,
 * longest-first truncation, `classifier(tanh(pooler(h_CLS)))`), built on the same transformer backends as the
 * sentence encoder — the transformer runs on tfjs or onnxruntime (inference and training), the
 * `ClassificationHead` runs after it. Loads and saves the Hugging Face layout sentence-transformers'
 * `CrossEncoder` reads (config.json with `sentence_transformers.activation_fn`, model.safetensors with `bert.`,
 * `bert.pooler.dense.` and `classifier.` weights, tokenizer files). Fits the losses' `PairScoringModel`
 * (`scoreTensor`) and the trainer's `TrainableEncoder`.
 */
export class CrossEncoder {
  readonly bert: BertModel;
  readonly tokenizer: SentenceTokenizer;
  readonly head: ClassificationHead;
  maxLength: number;
  /** `id2label` of config.json (index → name). */
  labels: string[];
  /** The default activation of `predict`. */
  activation: CrossEncoderActivation;
  readonly sourceDir: string | undefined;
  /** Head weights that the checkpoint lacked and were initialized (a new cross-encoder from a plain BERT). */
  readonly initializedWeights: string[];
  /** Engine `predict` uses when a call names none (`auto`: an onnxruntime snapshot where it loads). */
  encodeEngine: EngineChoice = 'auto';
  /**
   * Options of the scoring snapshot on onnxruntime (as `SentenceEncoder.onnxOptions`): `workers` not given, one
   * session until a call scores `AUTO_WORKERS_MIN_TEXTS` pairs, then `'auto'`.
   */
  onnxOptions: OnnxSessionOptions = {};
  private readonly onnxSession = new OnnxSessionCache();
  private onnxUnavailable = false;

  constructor(init: {
    bert: BertModel;
    tokenizer: SentenceTokenizer;
    head: ClassificationHead;
    maxLength: number;
    labels?: string[];
    activation?: CrossEncoderActivation;
    sourceDir?: string;
    initializedWeights?: string[];
  }) {
    if (init.bert.hasPooler())
      throw new Error(
        'CrossEncoder: the transformer must come without its pooler (the classification head owns it)',
      );
    this.bert = init.bert;
    this.tokenizer = init.tokenizer;
    this.head = init.head;
    this.head.outputDimension(init.bert.config.hidden_size);
    this.maxLength = Math.min(init.maxLength, init.bert.config.max_position_embeddings);
    const n = init.head.numLabels;
    this.labels = init.labels ?? Array.from({ length: n }, (_, i) => `LABEL_${i}`);
    if (this.labels.length !== n)
      throw new Error(`CrossEncoder: ${this.labels.length} label names for ${n} labels`);
    this.activation = init.activation ?? (n === 1 ? 'sigmoid' : 'identity');
    this.sourceDir = init.sourceDir;
    this.initializedWeights = init.initializedWeights ?? [];
  }

  /** Whether a folder holds a cross-encoder: its config.json's `architectures` names a `…ForSequenceClassification`. */
  static isCrossEncoderFolder(dir: string): boolean {
    const file = join(dir, 'config.json');
    if (!existsSync(file) || existsSync(join(dir, 'modules.json'))) return false;
    try {
      const arch = (readBertConfig(file).extra.architectures ?? []) as unknown[];
      return (
        Array.isArray(arch) &&
        arch.some((a) => typeof a === 'string' && a.endsWith('ForSequenceClassification'))
      );
    } catch {
      return false;
    }
  }

  /**
   * Loads a Hugging Face folder or hub id: a `BertForSequenceClassification` checkpoint, or a plain BERT (whose
   * missing head is initialized as Hugging Face does, `numLabels` labels, listed in `initializedWeights`).
   */
  static async load(pathOrId: string, options: CrossEncoderLoadOptions = {}): Promise<CrossEncoder> {
    await ensureBackend();
    const dir = await resolveModelDir(pathOrId, options);
    checkModelFolderLinks(dir);
    const configFile = join(dir, 'config.json');
    const config = readBertConfig(configFile);
    checkModelFits(config, configFile, tf.getBackend());
    const arch = config.extra.architectures;
    if (
      Array.isArray(arch) &&
      arch.some((a) => typeof a === 'string' && a.endsWith('ForSequenceClassification')) &&
      !arch.includes(ARCHITECTURE)
    )
      throw new Error(
        `${configFile}: architectures ${JSON.stringify(arch)}: only ${ARCHITECTURE} is supported`,
      );
    const fromConfig = configuredLabels(config, configFile);
    if (options.numLabels !== undefined && fromConfig !== undefined && options.numLabels !== fromConfig)
      throw new Error(`${configFile}: num_labels is ${fromConfig}, ${options.numLabels} were asked for`);
    const numLabels = options.numLabels ?? fromConfig ?? 1;
    const tensors = readEncoderWeights(dir);
    const weightsFile = join(dir, 'model.safetensors');
    const encoderTensors = new Map<string, SafetensorsTensor>();
    for (const [k, v] of tensors) if (!canonicalBertName(k)?.startsWith('pooler.')) encoderTensors.set(k, v);
    const bert = BertModel.fromTensors(config, encoderTensors, weightsFile);
    let head: ClassificationHead | undefined;
    try {
      const built = ClassificationHead.fromTensors(
        tensors,
        {
          hiddenSize: config.hidden_size,
          numLabels,
          initializerRange: config.initializer_range,
          dropoutProb: classifierDropout(config),
        },
        weightsFile,
      );
      head = built.head;
      const tokenizer = SentenceTokenizer.fromDir(dir);
      const tc = tokenizer.files.tokenizerConfig as { model_max_length?: unknown };
      const modelMax = typeof tc.model_max_length === 'number' ? tc.model_max_length : 512;
      const id2label = config.extra.id2label;
      let labels: string[] | undefined;
      if (isRecord(id2label) && Object.keys(id2label).length === numLabels)
        labels = Array.from({ length: numLabels }, (_, i) => String(id2label[String(i)] ?? `LABEL_${i}`));
      const st = config.extra.sentence_transformers;
      const activation = parseActivationName(
        isRecord(st) ? st.activation_fn : config.extra.sbert_ce_default_activation_function,
        configFile,
      );
      return new CrossEncoder({
        bert,
        tokenizer,
        head,
        maxLength: options.maxLength ?? Math.min(modelMax, config.max_position_embeddings),
        labels,
        activation,
        sourceDir: dir,
        initializedWeights: built.initialized,
      });
    } catch (e) {
      bert.dispose();
      head?.dispose();
      throw e;
    }
  }

  /** A new cross-encoder with random weights (`contrastive init --cross-encoder`). */
  static random(init: {
    config: BertConfig;
    tokenizer: SentenceTokenizer;
    numLabels?: number;
    maxLength?: number;
    labels?: string[];
    seed?: number;
    sourceDir?: string;
  }): CrossEncoder {
    checkModelFits(init.config, 'config', tf.getBackend());
    const numLabels = init.numLabels ?? init.labels?.length ?? 1;
    const { head } = ClassificationHead.fromTensors(
      new Map(),
      {
        hiddenSize: init.config.hidden_size,
        numLabels,
        initializerRange: init.config.initializer_range,
        dropoutProb: classifierDropout(init.config),
      },
      'config',
      (init.seed ?? 42) + 1,
    );
    return new CrossEncoder({
      bert: BertModel.random(init.config, init.seed ?? 42, { pooler: false }),
      tokenizer: init.tokenizer,
      head,
      maxLength: init.maxLength ?? Math.min(512, init.config.max_position_embeddings),
      labels: init.labels,
      sourceDir: init.sourceDir,
    });
  }

  get numLabels(): number {
    return this.head.numLabels;
  }

  /** Width of the head's output (the number of labels), as the training engine reads it. */
  get dimension(): number {
    return this.head.numLabels;
  }

  /** The transformer's parameters (Hugging Face names), then the head's (`pooler.dense.*`, `classifier.*`). */
  namedVariables(): NamedVariable[] {
    return [...this.bert.namedVariables(), ...this.head.namedVariables()];
  }

  /** `[CLS] a [SEP] b [SEP]`, token types 0/1, truncated longest-first to `maxLength`, padded. */
  tokenizePairs(pairs: Array<[string, string]>): EncodedBatch {
    pairs.forEach((p, i) => {
      if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string')
        throw new Error(`pair ${i} must be two texts, got ${JSON.stringify(p).slice(0, 80)}`);
    });
    return this.tokenizer.encodePairBatch(pairs, this.maxLength);
  }

  /** The head on the transformer's last hidden state: logits `[B, numLabels]`. */
  embedFromTokens(
    hidden: tf.Tensor3D,
    _mask: tf.Tensor2D,
    _excludeLeadingTokens = 0,
    options: HeadForwardOptions = {},
  ): tf.Tensor2D {
    return this.head.logits(hidden, options);
  }

  /**
   * Logits `[N, numLabels]` of one batch of pairs on tfjs, inside the caller's gradient tape when training
   * (the losses' `PairScoringModel`).
   */
  scoreTensor(pairs: Array<[string, string]>, options: HeadForwardOptions = {}): tf.Tensor2D {
    if (pairs.length === 0) throw new Error('scoreTensor: empty batch');
    return this.scoreTokenized(this.tokenizePairs(pairs), options);
  }

  /** The transformer on tfjs and the classification head over one tokenized pair batch (under the caller's tape). */
  private scoreTokenized(batch: EncodedBatch, options: HeadForwardOptions = {}): tf.Tensor2D {
    return tf.tidy(() => {
      const dims: [number, number] = [batch.batchSize, batch.length];
      const hidden = this.bert.forward(
        {
          inputIds: tf.tensor2d(batch.inputIds, dims, 'int32'),
          attentionMask: tf.tensor2d(batch.attentionMask, dims, 'int32'),
          tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, dims, 'int32'),
        },
        { training: options.training ?? false, seed: options.seed, dropoutRate: options.dropoutRate },
      );
      return this.head.logits(hidden, options);
    });
  }

  /** Not available: a cross-encoder scores pairs and embeds no single text. Named so a wrong loss fails clearly. */
  embedTensor(): tf.Tensor2D {
    throw new Error(
      'a cross-encoder scores sentence pairs and embeds no single text: train it with a cross-encoder loss (bce, ce, mse, ce-mnrl)',
    );
  }

  /** Not available (see `embedTensor`); cross-encoder evaluators call `predict`. */
  async embed(): Promise<number[][]> {
    throw new Error(
      'a cross-encoder scores sentence pairs and embeds no single text: evaluate it with a cross-encoder evaluator (predict)',
    );
  }

  /** The backend that turns a tokenized batch into logits: an ONNX snapshot of the current weights, or tfjs. */
  private async batchScorer(engine: EngineChoice, report?: (line: string) => void): Promise<BatchScorer> {
    const tfjs: BatchScorer = {
      logits: async (batch) => {
        const out = this.scoreTokenized(batch);
        const data = new Float32Array(readFloat32(out));
        out.dispose();
        return data;
      },
    };
    const requested = engine === 'auto' ? this.encodeEngine : engine;
    if (requested === 'tfjs' || (requested === 'auto' && this.onnxUnavailable)) {
      if (requested === 'tfjs') report?.(`contrastive: inference engine: tfjs (${tf.getBackend()})`);
      return tfjs;
    }
    const key = [
      JSON.stringify(this.onnxSession.snapshotOptions(this.onnxOptions)),
      ...this.namedVariables().map((v) => v.variable.dataId),
    ];
    const cached = this.onnxSession.get(key);
    if (cached) return scorerOf(await cached);
    const resolved = await resolveEngine({
      purpose: 'encode',
      requested,
      report,
      threads: this.onnxOptions.threads,
      device: this.onnxOptions.device,
      describe: (s: OnnxEncoderSession) => s.reportNote,
      createOnnx: (threads) =>
        this.onnxSession.build(key, () =>
          OnnxEncoderSession.create(
            {
              config: this.bert.config,
              weights: bertWeightViews(this.bert),
              head: [this.head],
              tokenTypes: true,
            },
            { ...this.onnxSession.snapshotOptions(this.onnxOptions), threads },
          ),
        ),
    });
    if (resolved.kind === 'onnx') return scorerOf(resolved.engine);
    if (resolved.reason !== undefined) this.onnxUnavailable = true;
    return tfjs;
  }

  /**
   * Resolves `engine` now (building the ONNX snapshot when chosen), reports it, and makes it the default. `bulk`:
   * the calls that follow score many pairs (the snapshot is built as for a call of `AUTO_WORKERS_MIN_TEXTS` pairs).
   */
  async selectEncodeEngine(
    engine: EngineChoice,
    report?: (line: string) => void,
    { bulk = false }: { bulk?: boolean } = {},
  ): Promise<'onnx' | 'tfjs'> {
    await ensureBackend();
    if (bulk) this.onnxSession.markBulk();
    this.encodeEngine = engine;
    const scorer = await this.batchScorer(engine, report);
    const chosen = scorer instanceof OnnxScorer ? 'onnx' : 'tfjs';
    this.encodeEngine = chosen;
    return chosen;
  }

  /** Raw logits of every pair, `[N][numLabels]`, in input order (batches sorted by length: little padding). */
  async logits(
    pairs: Array<[string, string]>,
    options: Pick<PredictOptions, 'batchSize' | 'progress' | 'engine'> = {},
  ): Promise<Float32Array[]> {
    await ensureBackend();
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`predict: batchSize must be a positive integer, got ${batchSize}`);
    const engine = options.engine ?? 'auto';
    this.onnxSession.noteCall(pairs.length, engine === 'auto' ? this.encodeEngine : engine);
    const scorer = await this.batchScorer(engine);
    const len = (p: [string, string]) => p[0].length + p[1].length;
    const order = pairs.map((_, i) => i).sort((a, b) => len(pairs[b]!) - len(pairs[a]!) || a - b);
    const out: Float32Array[] = new Array(pairs.length);
    const n = this.numLabels;
    for (let s = 0; s < order.length; s += batchSize) {
      const idx = order.slice(s, s + batchSize);
      const data = await scorer.logits(this.tokenizePairs(idx.map((i) => pairs[i]!)));
      idx.forEach((i, r) => {
        out[i] = data.slice(r * n, (r + 1) * n);
      });
      options.progress?.(Math.min(s + batchSize, order.length), order.length);
    }
    return out;
  }

  /**
   * Scores of sentence pairs, as sentence-transformers' `CrossEncoder.predict`: the activation (default sigmoid
   * for one label, identity otherwise) on the logits, then softmax over labels when `applySoftmax`. One number
   * per pair for a one-label model, else a row of `numLabels`.
   */
  async predict(pairs: Array<[string, string]>, options: PredictOptions = {}): Promise<CrossEncoderScores> {
    const activation = options.activation ?? this.activation;
    if (!(activation in ACTIVATION_NAMES))
      throw new Error(`predict: activation must be one of ${Object.keys(ACTIVATION_NAMES).join(', ')}`);
    const rows = (await this.logits(pairs, options)).map((row) => {
      const a = Array.from(row, (x) => applyActivation(activation, x));
      if (!options.applySoftmax || a.length < 2) return a;
      const m = Math.max(...a);
      const e = a.map((x) => Math.exp(x - m));
      const z = e.reduce((s, x) => s + x, 0);
      return e.map((x) => x / z);
    });
    return this.numLabels === 1 ? rows.map((r) => r[0]!) : rows;
  }

  /**
   * One score per pair, higher = more relevant: `predict` of a one-label model (its default activation unless
   * `options.activation` says otherwise). This is the negatives package's `Reranker` shape, so a cross-encoder
   * rescores mined candidates and filters false negatives directly.
   */
  async score(pairs: Array<[string, string]>, options: PredictOptions = {}): Promise<number[]> {
    if (this.numLabels !== 1)
      throw new Error(
        `score: only a one-label cross-encoder gives one relevance score per pair (this one has ${this.numLabels} labels: ${this.labels.join(', ')})`,
      );
    if (pairs.length === 0) return [];
    return (await this.predict(pairs, { ...options, applySoftmax: false })) as number[];
  }

  /** Documents ranked by their score against `query`, best first (one-label models, as sentence-transformers). */
  async rank(
    query: string,
    documents: string[],
    options: PredictOptions & { topK?: number; returnDocuments?: boolean } = {},
  ): Promise<RankedDocument[]> {
    if (this.numLabels !== 1)
      throw new Error(
        `rank: only a one-label cross-encoder ranks documents (this one has ${this.numLabels})`,
      );
    const scores = (await this.predict(
      documents.map((d) => [query, d] as [string, string]),
      options,
    )) as number[];
    const ranked = scores
      .map((score, corpusId) => ({
        corpusId,
        score,
        ...(options.returnDocuments ? { text: documents[corpusId]! } : {}),
      }))
      .sort((a, b) => b.score - a.score || a.corpusId - b.corpusId);
    return options.topK === undefined ? ranked : ranked.slice(0, Math.max(0, options.topK));
  }

  /**
   * The engine that runs the transformer's training passes outside tfjs's tape (onnxruntime-node where it
   * loads, under `auto`); undefined means tfjs's tape trains the model. Pair batches carry their token types.
   */
  async createTrainingEngine(
    options: TrainingEngineRequest = {},
  ): Promise<EncoderTrainingEngine | undefined> {
    return resolveTrainingEngine(options, (threads, device) =>
      OnnxTrainingEngine.create(this, { threads, device }),
    );
  }

  /** Bytes of activations tfjs keeps for a batch of `pairs` pairs (~64 tokens each), for the wasm heap warning. */
  trainingActivationBytes(pairs: number): number {
    const c = this.bert.config;
    return pairs * 64 * c.hidden_size * c.num_hidden_layers * 300 * 4;
  }

  summary(): { maxSeqLength: number; dimension: number; architecture: string } {
    const c = this.bert.config;
    return {
      maxSeqLength: this.maxLength,
      dimension: this.numLabels,
      architecture: `BERT (${c.num_hidden_layers} layers, hidden ${c.hidden_size}, ${c.num_attention_heads} heads) → ${this.head.describe()}`,
    };
  }

  /** The config.json of the saved model: BertForSequenceClassification, labels and the default activation. */
  configJson(): Record<string, unknown> {
    const base = bertConfigToJson(this.bert.config);
    const st = isRecord(this.bert.config.extra.sentence_transformers)
      ? this.bert.config.extra.sentence_transformers
      : {};
    const { sbert_ce_default_activation_function: _old, ...rest } = base;
    return {
      ...rest,
      architectures: [ARCHITECTURE],
      num_labels: this.numLabels,
      id2label: Object.fromEntries(this.labels.map((l, i) => [String(i), l])),
      label2id: Object.fromEntries(this.labels.map((l, i) => [l, i])),
      sentence_transformers: { ...st, activation_fn: ACTIVATION_NAMES[this.activation], version: ST_VERSION },
    };
  }

  /**
   * Writes the Hugging Face layout sentence-transformers' `CrossEncoder` loads: config.json, model.safetensors,
   * tokenizer.json, tokenizer_config.json (model_max_length = maxLength), and vocab.txt /
   * special_tokens_map.json when the source had them. Built in a temp folder, then each file renamed into
   * `dir` (other files there, such as checkpoints, are kept).
   */
  async save(dir: string, options: { modelCard?: string } = {}): Promise<void> {
    const target = resolve(dir);
    const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
    mkdirSync(tmp, { recursive: true });
    try {
      const json = (p: string, v: unknown) => writeFileSync(join(tmp, p), `${JSON.stringify(v, null, 2)}\n`);
      json('config.json', this.configJson());
      writeSafetensors(
        join(tmp, 'model.safetensors'),
        { ...(await this.bert.exportWeights('bert.')), ...(await this.head.exportWeights()) },
        { format: 'pt' },
      );
      json('tokenizer.json', this.tokenizer.files.tokenizerJson);
      json('tokenizer_config.json', {
        ...this.tokenizer.files.tokenizerConfig,
        model_max_length: this.maxLength,
      });
      for (const f of ['special_tokens_map.json', 'vocab.txt']) {
        if (this.sourceDir && existsSync(join(this.sourceDir, f)))
          copyFileSync(join(this.sourceDir, f), join(tmp, f));
      }
      if (options.modelCard) writeFileSync(join(tmp, 'README.md'), options.modelCard);
      mkdirSync(dirname(target), { recursive: true });
      if (!existsSync(target)) renameSync(tmp, target);
      else {
        for (const name of readdirSync(tmp)) renameSync(join(tmp, name), join(target, name));
        rmSync(tmp, { recursive: true, force: true });
      }
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  /** Replaces the weights with those saved by `save` of a cross-encoder of the same shape (checkpoints). */
  loadWeightsFrom(dir: string): void {
    const tensors = readEncoderWeights(dir);
    const file = join(dir, 'model.safetensors');
    this.bert.loadWeights(tensors, file);
    this.head.loadFromTensors(tensors, file);
  }

  /** Frees the ONNX snapshot `predict` keeps (the next call rebuilds it). */
  async release(): Promise<void> {
    await this.onnxSession.release();
  }

  dispose(): void {
    void this.release();
    this.bert.dispose();
    this.head.dispose();
  }
}

/** BertForSequenceClassification's dropout on the pooled output: classifier_dropout, else hidden_dropout_prob. */
function classifierDropout(config: BertConfig): number {
  const v = config.extra.classifier_dropout;
  return typeof v === 'number' && v >= 0 && v < 1 ? v : config.hidden_dropout_prob;
}

class OnnxScorer implements BatchScorer {
  constructor(private readonly session: OnnxEncoderSession) {}
  logits(batch: EncodedBatch): Promise<Float32Array> {
    return this.session.embedBatch(batch);
  }
}

function scorerOf(session: OnnxEncoderSession): BatchScorer {
  return new OnnxScorer(session);
}
