import {
  copyFileSync,
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
import { mulberry32 } from '@contrastive/core';
import {
  type PoolingConfig,
  type SimilarityFunction,
  normalize as l2normalize,
  parsePoolingConfig,
  pool,
  pooledDimension,
  readPoolingConfig,
  writePoolingConfig,
} from '@contrastive/pooling';
import {
  type NamedVariable,
  type SafetensorsTensor,
  ensureBackend,
  linear,
  readSafetensors,
  tf,
  writeSafetensors,
} from '@contrastive/tensor-gpu';
import { type BertConfig, bertConfigToJson, readBertConfig } from './config.js';
import { type ModelSourceOptions, resolveModelDir } from './hub_loader.js';
import { BertModel } from './model.js';
import {
  type DenseActivation,
  activationTypeName,
  moduleKind,
  parseActivation,
  readModules,
} from './modules.js';
import { exportOnnx } from './onnx/export.js';
import { type OnnxEncoderOptions, OnnxSentenceEncoder } from './onnx/onnx_encoder.js';
import { type EncodedBatch, SentenceTokenizer } from './tokenizer.js';

/** A Dense module (`2_Dense/`): y = act(W·x + b). */
export interface DenseLayer {
  inFeatures: number;
  outFeatures: number;
  activation: DenseActivation;
  /** [in, out] (transposed from PyTorch's [out, in]). */
  weight: tf.Variable;
  bias?: tf.Variable;
}

export interface SentenceEncoderOptions extends ModelSourceOptions {
  maxSeqLength?: number;
  /** Forces L2 normalization of outputs on (adds a Normalize module) or off (removes it). */
  normalize?: boolean;
}

export interface EncodeOptions {
  batchSize?: number;
  /** L2-normalize outputs (in addition to a Normalize module, if any). */
  normalize?: boolean;
  /** Text prepended to every input, e.g. `query: `. */
  prompt?: string;
  /** Name of a prompt from `config_sentence_transformers.json`. */
  promptName?: string;
  /** Called after each batch with the number of texts done. */
  progress?: (done: number, total: number) => void;
  /**
   * What runs the model: `onnx` (onnxruntime-node, several times faster on CPU), `tfjs`, or `auto` (the
   * encoder's `encodeEngine`, itself `auto` by default: onnx where it loads, except on tfjs-node(-gpu)).
   */
  engine?: EncodeEngine;
}

export type EncodeEngine = 'auto' | 'onnx' | 'tfjs';

export interface EmbedTensorOptions {
  training?: boolean;
  seed?: number;
  dropoutRate?: number;
  prompt?: string;
}

export interface SentenceTransformersConfig {
  prompts: Record<string, string>;
  default_prompt_name: string | null;
  similarity_fn_name: SimilarityFunction | null;
}

export interface SaveOptions {
  /** Model card text written as README.md. */
  modelCard?: string;
  /** Also write `onnx/model.onnx` (the Transformer module, as sentence-transformers' ONNX backend loads it). */
  onnx?: boolean;
}

const ST_VERSION = '5.1.0';

function readJsonIfExists<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/**
 * A sentence-transformers model: Transformer (BERT) → Pooling → [Dense] → [Normalize], loaded from and saved
 * to sentence-transformers' folder layout. Fits both the evaluators' `embed(texts)` shape and the losses'
 * `embedTensor(texts, { training })` shape.
 */
export class SentenceEncoder {
  readonly bert: BertModel;
  readonly tokenizer: SentenceTokenizer;
  pooling: PoolingConfig;
  readonly dense: DenseLayer[];
  normalizeOutput: boolean;
  maxSeqLength: number;
  doLowerCase: boolean;
  stConfig: SentenceTransformersConfig;
  /** Where the model was loaded from (copied files such as vocab.txt come from here on save). */
  readonly sourceDir: string | undefined;

  constructor(init: {
    bert: BertModel;
    tokenizer: SentenceTokenizer;
    pooling: PoolingConfig;
    dense?: DenseLayer[];
    normalize?: boolean;
    maxSeqLength: number;
    doLowerCase?: boolean;
    stConfig?: Partial<SentenceTransformersConfig>;
    sourceDir?: string;
  }) {
    this.bert = init.bert;
    this.tokenizer = init.tokenizer;
    this.pooling = init.pooling;
    this.dense = init.dense ?? [];
    this.normalizeOutput = init.normalize ?? false;
    this.maxSeqLength = init.maxSeqLength;
    this.doLowerCase = init.doLowerCase ?? false;
    this.stConfig = {
      prompts: {},
      default_prompt_name: null,
      similarity_fn_name: 'cosine',
      ...init.stConfig,
    };
    this.sourceDir = init.sourceDir;
    const maxPos = this.bert.config.max_position_embeddings;
    if (this.maxSeqLength > maxPos) this.maxSeqLength = maxPos;
  }

  /** Loads a local sentence-transformers folder or a hub id (`org/name`). Refuses pickled `.bin` weights. */
  static async load(pathOrId: string, options: SentenceEncoderOptions = {}): Promise<SentenceEncoder> {
    await ensureBackend();
    const dir = await resolveModelDir(pathOrId, options);
    const modules = readModules(dir) ?? [
      // A plain Hugging Face BERT: sentence-transformers adds mean pooling.
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    ];
    const modulesFile = join(dir, 'modules.json');
    let bert: BertModel | undefined;
    let tokenizer: SentenceTokenizer | undefined;
    let pooling: PoolingConfig | undefined;
    let maxSeqLength = 512;
    let doLowerCase = false;
    let normalize = false;
    const dense: DenseLayer[] = [];
    for (const m of modules) {
      const kind = moduleKind(m, modulesFile);
      const mdir = join(dir, m.path);
      if (kind === 'Transformer') {
        const config = readBertConfig(join(mdir, 'config.json'));
        bert = BertModel.fromTensors(config, readEncoderWeights(mdir), join(mdir, 'model.safetensors'));
        tokenizer = SentenceTokenizer.fromDir(mdir);
        const sb = readJsonIfExists<{ max_seq_length?: number; do_lower_case?: boolean }>(
          join(mdir, 'sentence_bert_config.json'),
        );
        const tc = tokenizer.files.tokenizerConfig as { model_max_length?: number };
        maxSeqLength =
          sb?.max_seq_length ?? Math.min(tc.model_max_length ?? 512, config.max_position_embeddings);
        doLowerCase = sb?.do_lower_case ?? false;
      } else if (kind === 'Pooling') {
        if (!bert) throw new Error(`${modulesFile}: Pooling comes before the Transformer module`);
        pooling = existsSync(join(mdir, 'config.json'))
          ? readPoolingConfig(mdir)
          : parsePoolingConfig({
              word_embedding_dimension: bert.config.hidden_size,
              pooling_mode_mean_tokens: true,
            });
      } else if (kind === 'Dense') {
        dense.push(readDense(mdir));
      } else {
        normalize = true;
      }
    }
    if (!bert || !tokenizer) throw new Error(`${modulesFile}: no Transformer module`);
    if (!pooling) throw new Error(`${modulesFile}: no Pooling module`);
    if (pooling.dimension !== bert.config.hidden_size) {
      throw new Error(
        `${join(dir, '1_Pooling', 'config.json')}: word_embedding_dimension ${pooling.dimension} ≠ hidden_size ${bert.config.hidden_size}`,
      );
    }
    const st = readJsonIfExists<Partial<SentenceTransformersConfig>>(
      join(dir, 'config_sentence_transformers.json'),
    );
    const enc = new SentenceEncoder({
      bert,
      tokenizer,
      pooling,
      dense,
      normalize: options.normalize ?? normalize,
      maxSeqLength: options.maxSeqLength ?? maxSeqLength,
      doLowerCase,
      stConfig: {
        prompts: st?.prompts ?? {},
        default_prompt_name: st?.default_prompt_name ?? null,
        similarity_fn_name: st?.similarity_fn_name ?? 'cosine',
      },
      sourceDir: dir,
    });
    return enc;
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
    return new SentenceEncoder({
      bert: BertModel.random(init.config, init.seed ?? 42),
      tokenizer: init.tokenizer,
      pooling: { dimension: init.config.hidden_size, modes: [init.pooling ?? 'mean'], includePrompt: true },
      normalize: init.normalize ?? false,
      maxSeqLength: init.maxSeqLength ?? Math.min(256, init.config.max_position_embeddings),
      doLowerCase: false,
      sourceDir: init.sourceDir,
    });
  }

  /** Output dimension. */
  get dimension(): number {
    const last = this.dense[this.dense.length - 1];
    return last ? last.outFeatures : pooledDimension(this.pooling);
  }

  get similarityFunction(): SimilarityFunction {
    return this.stConfig.similarity_fn_name ?? 'cosine';
  }

  /** Trainable parameters: the transformer's (Hugging Face names) and Dense layers' (`<i>_Dense.linear.*`). */
  namedVariables(): NamedVariable[] {
    const out = this.bert.namedVariables();
    this.dense.forEach((d, i) => {
      out.push({ name: `${i}_Dense.linear.weight`, variable: d.weight });
      if (d.bias) out.push({ name: `${i}_Dense.linear.bias`, variable: d.bias });
    });
    return out;
  }

  resolvePrompt(prompt?: string, promptName?: string): string | undefined {
    if (prompt !== undefined) return prompt;
    const name = promptName ?? this.stConfig.default_prompt_name ?? undefined;
    if (name === undefined) return undefined;
    const p = this.stConfig.prompts[name];
    if (p === undefined) {
      throw new Error(
        `prompt "${name}" not found; known prompts: ${Object.keys(this.stConfig.prompts).join(', ') || '(none)'}`,
      );
    }
    return p;
  }

  /**
   * Sentence embeddings `[N, dim]` of one batch, inside the caller's gradient tape when training.
   * Synchronous, so losses can call it under `tf.variableGrads`.
   */
  embedTensor(texts: string[], options: EmbedTensorOptions = {}): tf.Tensor2D {
    if (texts.length === 0) throw new Error('embedTensor: empty batch');
    const { batch, exclude } = this.tokenizeForEmbedding(texts, options.prompt);
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
   * The modules after the transformer (Pooling, Dense, Normalize) on its token embeddings `[B, L, hidden]`;
   * `excludeLeadingTokens` leaves [CLS] and a prompt out of the pooling (include_prompt false).
   */
  embedFromTokens(hidden: tf.Tensor3D, mask: tf.Tensor2D, excludeLeadingTokens = 0): tf.Tensor2D {
    return tf.tidy(() => {
      const pooled = this.pooling.modes.map((m) =>
        pool(m, hidden, mask, { excludeLeadingTokens: excludeLeadingTokens }),
      );
      let x: tf.Tensor2D = pooled.length === 1 ? pooled[0]! : (tf.concat(pooled, 1) as tf.Tensor2D);
      for (const d of this.dense) x = applyDense(d, x);
      return this.normalizeOutput ? l2normalize(x) : x;
    });
  }

  /**
   * One batch tokenized as the model embeds it (prompt prepended, truncated, padded), and how many leading
   * tokens pooling leaves out: [CLS] + the prompt's when include_prompt is false (as sentence-transformers), else 0.
   */
  tokenizeForEmbedding(texts: string[], prompt?: string): { batch: EncodedBatch; exclude: number } {
    const batch = this.tokenizer.encodeBatch(
      prompt ? texts.map((t) => prompt + t) : texts,
      this.maxSeqLength,
    );
    const exclude = prompt && !this.pooling.includePrompt ? this.tokenizer.tokenIds(prompt).length + 1 : 0;
    return { batch, exclude };
  }

  /**
   * Engine `encode`/`embed` use when a call does not name one. `auto`: an onnxruntime-node snapshot of the
   * current weights where onnxruntime loads (rebuilt when the weights or modules change; `release()` frees it),
   * tfjs otherwise and on tfjs-node(-gpu) backends.
   */
  encodeEngine: EncodeEngine = 'auto';
  private onnxSnapshot?: { key: unknown[]; engine: Promise<OnnxSentenceEncoder> };
  private onnxUnavailable = false;

  /** What an ONNX snapshot depends on: every weight tensor (a new one after each update) and the modules. */
  private snapshotKey(): unknown[] {
    return [
      this.tokenizer,
      JSON.stringify({
        p: this.pooling,
        n: this.normalizeOutput,
        l: this.maxSeqLength,
        d: this.dense.length,
      }),
      ...this.namedVariables().map((v) => v.variable.dataId),
    ];
  }

  /** The ONNX snapshot `encode` should use now, or undefined for tfjs. */
  private async onnxEngine(engine: EncodeEngine): Promise<OnnxSentenceEncoder | undefined> {
    const chosen = engine === 'auto' ? this.encodeEngine : engine;
    if (chosen === 'tfjs') return undefined;
    if (chosen === 'auto' && (this.onnxUnavailable || tf.getBackend() === 'tensorflow')) return undefined;
    const key = this.snapshotKey();
    const cached = this.onnxSnapshot;
    if (cached && cached.key.length === key.length && cached.key.every((k, i) => k === key[i]))
      return cached.engine;
    await this.release();
    const built = OnnxSentenceEncoder.fromEncoder(this);
    this.onnxSnapshot = { key, engine: built };
    try {
      return await built;
    } catch (e) {
      this.onnxSnapshot = undefined;
      if (chosen === 'onnx') throw e;
      this.onnxUnavailable = true; // onnxruntime-node missing, or a module it does not run (lasttoken pooling)
      return undefined;
    }
  }

  /** Frees the ONNX snapshot `encode` keeps (the model itself stays usable; the next encode rebuilds it). */
  async release(): Promise<void> {
    const cached = this.onnxSnapshot;
    this.onnxSnapshot = undefined;
    const engine = await cached?.engine.catch(() => undefined);
    await engine?.release();
  }

  /**
   * Embeddings in input order. Texts are sorted by length internally (as sentence-transformers does) so
   * batches pad little. Runs on onnxruntime-node where it loads (see `encodeEngine`), else tfjs.
   */
  async encode(texts: string[], options: EncodeOptions = {}): Promise<Float32Array[]> {
    await ensureBackend();
    const onnx = await this.onnxEngine(options.engine ?? 'auto');
    if (onnx) return onnx.encode(texts, options);
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`encode: batchSize must be a positive integer, got ${batchSize}`);
    const prompt = this.resolvePrompt(options.prompt, options.promptName);
    const order = texts
      .map((t, i) => [i, t.length] as const)
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .map(([i]) => i);
    const out: Float32Array[] = new Array(texts.length);
    const dim = this.dimension;
    for (let s = 0; s < order.length; s += batchSize) {
      const idx = order.slice(s, s + batchSize);
      const emb = tf.tidy(() => {
        const e = this.embedTensor(
          idx.map((i) => texts[i]!),
          { prompt },
        );
        return options.normalize && !this.normalizeOutput ? l2normalize(e) : e;
      });
      const data = (await emb.data()) as Float32Array;
      emb.dispose();
      idx.forEach((i, r) => {
        out[i] = data.slice(r * dim, (r + 1) * dim);
      });
      options.progress?.(Math.min(s + batchSize, order.length), order.length);
    }
    return out;
  }

  /**
   * This encoder on onnxruntime-node: inference only, a snapshot of the current weights, several times faster
   * than tfjs on CPU (padding removed, fused attention, both cores).
   */
  toOnnx(options?: OnnxEncoderOptions): Promise<OnnxSentenceEncoder> {
    return OnnxSentenceEncoder.fromEncoder(this, options);
  }

  /** `embed(texts) → number[][]`: the shape evaluators accept. */
  async embed(texts: string[], options: EncodeOptions = {}): Promise<number[][]> {
    return (await this.encode(texts, options)).map((v) => Array.from(v));
  }

  /**
   * Writes the sentence-transformers layout: modules.json, config.json, model.safetensors, tokenizer files,
   * sentence_bert_config.json, config_sentence_transformers.json, 1_Pooling/, [2_Dense/], [Normalize].
   * Files are written to a temp folder first, then renamed into `dir` one by one (each replace is atomic);
   * other files already in `dir` (checkpoints, logs) are kept.
   */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    const target = resolve(dir);
    const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
    mkdirSync(tmp, { recursive: true });
    try {
      await this.writeFiles(tmp, options);
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
      // A Normalize module that is no longer part of the model must not linger in modules' folders.
      for (const name of readdirSync(target)) {
        if (/^\d+_(Normalize|Dense)$/.test(name) && !this.writtenModuleDirs.has(name)) {
          rmSync(join(target, name), { recursive: true, force: true });
        }
      }
      rmSync(tmp, { recursive: true, force: true });
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  private writtenModuleDirs = new Set<string>();

  private async writeFiles(dir: string, options: SaveOptions): Promise<void> {
    this.writtenModuleDirs = new Set<string>();
    const json = (p: string, v: unknown) => writeFileSync(join(dir, p), `${JSON.stringify(v, null, 2)}\n`);
    const modules: Array<{ idx: number; name: string; path: string; type: string }> = [
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    ];
    json('config.json', bertConfigToJson(this.bert.config));
    writeSafetensors(join(dir, 'model.safetensors'), await this.bert.exportWeights(), { format: 'pt' });
    json('tokenizer.json', this.tokenizer.files.tokenizerJson);
    json('tokenizer_config.json', this.tokenizer.files.tokenizerConfig);
    for (const f of ['special_tokens_map.json', 'vocab.txt']) {
      if (this.sourceDir && existsSync(join(this.sourceDir, f)))
        copyFileSync(join(this.sourceDir, f), join(dir, f));
    }
    json('sentence_bert_config.json', { max_seq_length: this.maxSeqLength, do_lower_case: this.doLowerCase });
    json('config_sentence_transformers.json', {
      __version__: { sentence_transformers: ST_VERSION, transformers: '4.56.0', pytorch: '2.8.0' },
      model_type: 'SentenceTransformer',
      prompts: this.stConfig.prompts,
      default_prompt_name: this.stConfig.default_prompt_name,
      similarity_fn_name: this.stConfig.similarity_fn_name,
    });
    writePoolingConfig(join(dir, '1_Pooling'), this.pooling);
    for (const d of this.dense) {
      const idx = modules.length;
      const path = `${idx}_Dense`;
      mkdirSync(join(dir, path), { recursive: true });
      writeFileSync(
        join(dir, path, 'config.json'),
        `${JSON.stringify({ in_features: d.inFeatures, out_features: d.outFeatures, bias: !!d.bias, activation_function: activationTypeName(d.activation) }, null, 2)}\n`,
      );
      const w = tf.tidy(() => tf.transpose(d.weight));
      const tensors: Record<string, { shape: number[]; data: Float32Array }> = {
        'linear.weight': { shape: [d.outFeatures, d.inFeatures], data: (await w.data()) as Float32Array },
      };
      w.dispose();
      if (d.bias)
        tensors['linear.bias'] = { shape: [d.outFeatures], data: (await d.bias.data()) as Float32Array };
      writeSafetensors(join(dir, path, 'model.safetensors'), tensors);
      modules.push({ idx, name: String(idx), path, type: 'sentence_transformers.models.Dense' });
      this.writtenModuleDirs.add(path);
    }
    if (this.normalizeOutput) {
      const idx = modules.length;
      mkdirSync(join(dir, `${idx}_Normalize`), { recursive: true });
      modules.push({
        idx,
        name: String(idx),
        path: `${idx}_Normalize`,
        type: 'sentence_transformers.models.Normalize',
      });
      this.writtenModuleDirs.add(`${idx}_Normalize`);
    }
    json('modules.json', modules);
    if (options.modelCard) writeFileSync(join(dir, 'README.md'), options.modelCard);
    if (options.onnx) await exportOnnx(this, dir);
  }

  /**
   * Replaces this model's weights with those saved in a sentence-transformers folder of the same shape
   * (a checkpoint of this model): the transformer's and every Dense layer's.
   */
  loadWeightsFrom(dir: string): void {
    this.bert.loadWeights(readEncoderWeights(dir), join(dir, 'model.safetensors'));
    const modules = readModules(dir) ?? [];
    const denseDirs = modules
      .filter((m) => moduleKind(m, join(dir, 'modules.json')) === 'Dense')
      .map((m) => join(dir, m.path));
    if (denseDirs.length !== this.dense.length) {
      throw new Error(
        `${join(dir, 'modules.json')}: ${denseDirs.length} Dense modules, the model has ${this.dense.length}`,
      );
    }
    denseDirs.forEach((d, i) => {
      const loaded = readDense(d);
      const target = this.dense[i]!;
      if (loaded.inFeatures !== target.inFeatures || loaded.outFeatures !== target.outFeatures) {
        throw new Error(
          `${d}: Dense shape ${loaded.inFeatures}→${loaded.outFeatures} does not match the model's ${target.inFeatures}→${target.outFeatures}`,
        );
      }
      target.weight.assign(loaded.weight);
      if (target.bias && loaded.bias) target.bias.assign(loaded.bias);
      loaded.weight.dispose();
      loaded.bias?.dispose();
    });
  }

  /** Frees the weights (and the ONNX snapshot, if any). */
  dispose(): void {
    void this.release();
    this.bert.dispose();
    for (const d of this.dense) {
      d.weight.dispose();
      d.bias?.dispose();
    }
  }
}

function readEncoderWeights(dir: string): Map<string, SafetensorsTensor> {
  const st = join(dir, 'model.safetensors');
  if (existsSync(st)) return readSafetensors(st).tensors;
  if (existsSync(join(dir, 'model.safetensors.index.json'))) {
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')) as {
      weight_map: Record<string, string>;
    };
    const out = new Map<string, SafetensorsTensor>();
    for (const shard of new Set(Object.values(index.weight_map))) {
      for (const [k, v] of readSafetensors(join(dir, shard)).tensors) out.set(k, v);
    }
    return out;
  }
  if (existsSync(join(dir, 'pytorch_model.bin'))) {
    throw new Error(
      `${join(dir, 'pytorch_model.bin')}: pickled PyTorch weights are refused (unpickling can run arbitrary code); convert the model to model.safetensors first`,
    );
  }
  throw new Error(`${st}: model weights not found`);
}

function readDense(dir: string): DenseLayer {
  const cfgFile = join(dir, 'config.json');
  const cfg = readJsonIfExists<{
    in_features: number;
    out_features: number;
    bias?: boolean;
    activation_function?: string;
  }>(cfgFile);
  if (!cfg) throw new Error(`${cfgFile}: Dense config not found`);
  const wFile = join(dir, 'model.safetensors');
  if (!existsSync(wFile)) {
    if (existsSync(join(dir, 'pytorch_model.bin')))
      throw new Error(
        `${join(dir, 'pytorch_model.bin')}: pickled PyTorch weights are refused; convert to safetensors`,
      );
    throw new Error(`${wFile}: Dense weights not found`);
  }
  const tensors = readSafetensors(wFile).tensors;
  const w = tensors.get('linear.weight');
  if (!w) throw new Error(`${wFile}: missing weight linear.weight`);
  if (w.shape[0] !== cfg.out_features || w.shape[1] !== cfg.in_features) {
    throw new Error(
      `${wFile}: linear.weight has shape [${w.shape}], config says [${cfg.out_features}, ${cfg.in_features}]`,
    );
  }
  const b = tensors.get('linear.bias');
  if (cfg.bias !== false && !b) throw new Error(`${wFile}: missing weight linear.bias`);
  return {
    inFeatures: cfg.in_features,
    outFeatures: cfg.out_features,
    activation: parseActivation(cfg.activation_function, cfgFile),
    weight: tf.tidy(() =>
      tf.variable(tf.transpose(tf.tensor2d(w.data as Float32Array, w.shape as [number, number])), true),
    ),
    bias: b && cfg.bias !== false ? tf.variable(tf.tensor1d(b.data as Float32Array), true) : undefined,
  };
}

function applyDense(d: DenseLayer, x: tf.Tensor2D): tf.Tensor2D {
  const y = linear(x, d.weight as tf.Tensor2D, d.bias as tf.Tensor1D | undefined);
  switch (d.activation) {
    case 'tanh':
      return tf.tanh(y) as tf.Tensor2D;
    case 'relu':
      return tf.relu(y) as tf.Tensor2D;
    case 'sigmoid':
      return tf.sigmoid(y) as tf.Tensor2D;
    case 'gelu':
      return tf.mul(tf.mul(0.5, y), tf.add(1, tf.erf(tf.mul(y, Math.SQRT1_2)))) as tf.Tensor2D;
    case 'identity':
      return y as tf.Tensor2D;
  }
}

/** A Dense layer with Xavier-uniform weights (as torch.nn.Linear's default is close to), for new heads. */
export function randomDense(
  inFeatures: number,
  outFeatures: number,
  activation: DenseActivation = 'tanh',
  seed = 7,
): DenseLayer {
  const rand = mulberry32(seed);
  const bound = 1 / Math.sqrt(inFeatures);
  const w = new Float32Array(inFeatures * outFeatures).map(() => (rand() * 2 - 1) * bound);
  return {
    inFeatures,
    outFeatures,
    activation,
    weight: tf.variable(tf.tensor2d(w, [inFeatures, outFeatures]), true),
    bias: tf.variable(tf.zeros([outFeatures]), true),
  };
}
