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
import { mixSeed } from '@contrastive/core';
import {
  type EngineChoice,
  type NamedVariable,
  type TensorToWrite,
  type TrainingEngineHandle,
  type TrainingEngineRequest,
  ensureBackend,
  readSafetensors,
  resolveTrainingEngine,
  tf,
  writeSafetensors,
} from '@contrastive/tensor-gpu';
import { bertConfigToJson, checkModelFits, readBertConfig } from '../config.js';
import { type ModelSourceOptions, resolveModelDir } from '../hub_loader.js';
import { type BertForwardOptions, BertModel } from '../model.js';
import { checkModelFolderLinks } from '../model_folder.js';
import { isTransformerEntry, readModules } from '../modules/module_list.js';
import { SentenceTokenizer } from '../tokenizer.js';
import { IGNORE_LABEL, type MaskedBatch, type MaskingOptions, maskTokens } from './masking.js';
import { MlmOnnxEngine, WORD_EMBEDDINGS } from './onnx_step.js';
import {
  type HeadKey,
  MLM_HEAD_NAMES,
  type PredictionHead,
  headFromTensors,
  predictionHeadLogits,
} from './prediction_head.js';

export { MLM_HEAD_NAMES } from './prediction_head.js';

/** Seed salt separating the masking draw from the dropout masks of the same call. */
const MASK_SALT = 0x6d4c4d;

export interface MlmEmbedOptions extends BertForwardOptions {}

/**
 * Hugging Face `BertForMaskedLM`: BERT, then the prediction head over its last hidden state — dense → GELU →
 * LayerNorm (`cls.predictions.transform`) → the word-embedding matrix (the decoder, tied: one weight, two uses)
 * + `cls.predictions.bias`. Loads and saves Hugging Face's layout (`bert.`-prefixed encoder, `cls.predictions.*`,
 * decoder not stored); a saved folder also loads as a SentenceEncoder (mean pooling added).
 *
 * It is the trainer's `TrainableEncoder` for adaptive pre-training: `embedTensor(texts)` masks the texts
 * (seeded by the call's seed) and returns, per text, `[summed cross entropy of its masked tokens, their count]`,
 * which `MaskedLanguageModelingLoss` turns into the mean over the batch's masked tokens. So the trainer, its
 * tfjs tape and its onnxruntime engine (`createTrainingEngine`: BERT's passes native, the head on tfjs) train it
 * unchanged.
 */
export class BertForMaskedLM {
  readonly bert: BertModel;
  readonly tokenizer: SentenceTokenizer;
  maxSeqLength: number;
  /** Masking of `embedTensor` (probability 0.15, token-level by default). */
  masking: MaskingOptions = {};
  /** Whether the head came from the checkpoint or was initialized here (a plain BERT/sentence-transformers folder). */
  readonly headSource: 'checkpoint' | 'random';
  readonly sourceDir: string | undefined;
  private readonly head: PredictionHead;
  private readonly specialIds: Set<number>;
  private readonly continuation: Uint8Array;
  private maskCounter = 0;

  constructor(init: {
    bert: BertModel;
    tokenizer: SentenceTokenizer;
    head: PredictionHead;
    headSource: 'checkpoint' | 'random';
    maxSeqLength: number;
    sourceDir?: string;
  }) {
    this.bert = init.bert;
    this.tokenizer = init.tokenizer;
    this.head = init.head;
    this.headSource = init.headSource;
    this.maxSeqLength = Math.min(init.maxSeqLength, init.bert.config.max_position_embeddings);
    this.sourceDir = init.sourceDir;
    const t = init.tokenizer;
    if (t.maskId === undefined) throw new Error('BertForMaskedLM: the tokenizer has no [MASK] token');
    this.specialIds = new Set([t.clsId, t.sepId, t.padId]);
    const vocab = t.tokenizer.get_vocab(true) as Map<string, number> | Record<string, number>;
    const entries = vocab instanceof Map ? [...vocab.entries()] : Object.entries(vocab);
    this.continuation = new Uint8Array(init.bert.config.vocab_size);
    for (const [token, id] of entries)
      if (token.startsWith('##') && id < this.continuation.length) this.continuation[id] = 1;
  }

  /**
   * Loads a Hugging Face `BertForMaskedLM` folder (or hub id), or any BERT / sentence-transformers folder, whose
   * prediction head is then initialized as Hugging Face does (normal(0, initializer_range), zero biases).
   */
  static async load(
    pathOrId: string,
    options: ModelSourceOptions & { maxSeqLength?: number; seed?: number } = {},
  ): Promise<BertForMaskedLM> {
    await ensureBackend();
    const root = await resolveModelDir(pathOrId, options);
    checkModelFolderLinks(root);
    const transformer = readModules(root)?.find(isTransformerEntry);
    const dir = join(root, transformer?.path ?? '');
    const configFile = join(dir, 'config.json');
    const config = readBertConfig(configFile);
    if (config.extra?.tie_word_embeddings === false)
      throw new Error(`${configFile}: tie_word_embeddings false (an untied decoder) is not supported`);
    checkModelFits(config, configFile, tf.getBackend());
    const weightsFile = join(dir, 'model.safetensors');
    if (!existsSync(weightsFile)) throw new Error(`${weightsFile}: model weights not found`);
    const tensors = readSafetensors(weightsFile).tensors;
    const bert = BertModel.fromTensors(config, tensors, weightsFile);
    try {
      const tokenizer = SentenceTokenizer.fromDir(dir);
      const { head, source } = headFromTensors(
        tensors,
        config.hidden_size,
        config.vocab_size,
        config.initializer_range,
        weightsFile,
        options.seed ?? 42,
      );
      const sb = readJson<{ max_seq_length?: number }>(join(dir, 'sentence_bert_config.json'));
      const tc = tokenizer.files.tokenizerConfig as { model_max_length?: number };
      const maxSeqLength =
        options.maxSeqLength ??
        sb?.max_seq_length ??
        Math.min(tc.model_max_length ?? 512, config.max_position_embeddings);
      return new BertForMaskedLM({ bert, tokenizer, head, headSource: source, maxSeqLength, sourceDir: dir });
    } catch (e) {
      bert.dispose();
      throw e;
    }
  }

  get config() {
    return this.bert.config;
  }

  /** The encoder's parameters (Hugging Face `BertModel` names) then the head's (`cls.predictions.*`). */
  namedVariables(): NamedVariable[] {
    return [
      ...this.bert.namedVariables(),
      ...(Object.keys(MLM_HEAD_NAMES) as HeadKey[]).map((k) => ({
        name: MLM_HEAD_NAMES[k],
        variable: this.head[k],
      })),
    ];
  }

  /** The head's own parameters (not the tied word embeddings). */
  headVariables(): NamedVariable[] {
    return this.namedVariables().slice(this.bert.namedVariables().length);
  }

  private wordEmbeddings(): tf.Variable {
    const v = this.bert.namedVariables().find((p) => p.name === WORD_EMBEDDINGS);
    if (!v) throw new Error(`BertForMaskedLM: no ${WORD_EMBEDDINGS}`);
    return v.variable;
  }

  /**
   * The prediction head on hidden states `[M, hidden]` → logits `[M, vocab]`. `decoder` replaces the tied word
   * embeddings in the decoder only (tests use it to tell the two uses of the tied weight apart).
   */
  headLogits(hidden: tf.Tensor2D, decoder?: tf.Tensor2D): tf.Tensor2D {
    return predictionHeadLogits(
      this.bert.config,
      this.head,
      hidden,
      decoder ?? (this.wordEmbeddings() as tf.Tensor2D),
    );
  }

  /** Logits `[B, L, vocab]` of a tokenized batch (inference, or training with dropout). */
  logits(rows: number[][], options: MlmEmbedOptions = {}): tf.Tensor3D {
    const batch = this.tokenizer.pad(rows);
    return tf.tidy(() => {
      const dims: [number, number] = [batch.batchSize, batch.length];
      const hidden = this.bert.forward(
        {
          inputIds: tf.tensor2d(batch.inputIds, dims, 'int32'),
          attentionMask: tf.tensor2d(batch.attentionMask, dims, 'int32'),
        },
        options,
      );
      const h = this.bert.config.hidden_size;
      const flat = this.headLogits(tf.reshape(hidden, [-1, h]) as tf.Tensor2D);
      return tf.reshape(flat, [batch.batchSize, batch.length, -1]) as tf.Tensor3D;
    });
  }

  /** `texts` tokenized (`[CLS] … [SEP]`, truncated to maxSeqLength) and masked, deterministically in `seed`. */
  maskTexts(texts: string[], seed: number): MaskedBatch {
    const batch = this.tokenizer.encodeBatch(texts, this.maxSeqLength);
    return maskTokens(
      batch,
      {
        maskId: this.tokenizer.maskId!,
        vocabSize: this.bert.config.vocab_size,
        specialIds: this.specialIds,
        isContinuation: (id) => this.continuation[id] === 1,
      },
      seed,
      this.masking,
    );
  }

  /** The masking seed of one `embedTensor` call: from the call's seed, else a counter. */
  maskSeed(seed: number | undefined): number {
    return seed !== undefined ? mixSeed(seed, MASK_SALT) : mixSeed(this.maskCounter++, MASK_SALT, 1);
  }

  /**
   * Per row: `[Σ cross entropy over its masked tokens, number of masked tokens]` `[B, 2]` from the last hidden
   * state `[B, L, hidden]` (the second column is a constant).
   */
  rowLosses(hidden: tf.Tensor3D, labels: Int32Array, decoder?: tf.Tensor2D): tf.Tensor2D {
    const [b, len, h] = hidden.shape;
    const positions: number[] = [];
    const targets: number[] = [];
    const counts = new Float32Array(b);
    labels.forEach((l, i) => {
      if (l === IGNORE_LABEL) return;
      positions.push(i);
      targets.push(l);
      counts[Math.floor(i / len)]! += 1;
    });
    return tf.tidy(() => {
      const countCol = tf.tensor2d(counts, [b, 1]);
      if (positions.length === 0)
        return tf.concat([tf.mul(tf.sum(hidden), tf.zeros([b, 1])), countCol], 1) as tf.Tensor2D;
      const rows = tf.gather(
        tf.reshape(hidden, [b * len, h]),
        tf.tensor1d(positions, 'int32'),
      ) as tf.Tensor2D;
      const logp = tf.logSoftmax(this.headLogits(rows, decoder));
      const v = logp.shape[1];
      const picked = tf.gather(
        tf.reshape(logp, [-1]),
        tf.tensor1d(
          targets.map((t, m) => m * v + t),
          'int32',
        ),
      );
      // Row sums of the token losses: a constant [B, M] assignment matrix times the losses.
      const assign = new Float32Array(b * positions.length);
      positions.forEach((p, m) => {
        assign[Math.floor(p / len) * positions.length + m] = 1;
      });
      const sums = tf.matMul(tf.tensor2d(assign, [b, positions.length]), tf.reshape(tf.neg(picked), [-1, 1]));
      return tf.concat([sums, countCol], 1) as tf.Tensor2D;
    });
  }

  /**
   * The losses' `EmbeddingModel` shape: masks `texts` (seeded by `options.seed`), runs BERT and the head under the
   * caller's tape and returns `[B, 2]`: per text, its summed masked-token cross entropy and its masked-token count.
   */
  embedTensor(texts: string[], options: MlmEmbedOptions & { prompt?: string } = {}): tf.Tensor2D {
    if (texts.length === 0) throw new Error('embedTensor: empty batch');
    const { batch, labels } = this.maskTexts(texts, this.maskSeed(options.seed));
    return tf.tidy(() => {
      const dims: [number, number] = [batch.batchSize, batch.length];
      const hidden = this.bert.forward(
        {
          inputIds: tf.tensor2d(batch.inputIds, dims, 'int32'),
          attentionMask: tf.tensor2d(batch.attentionMask, dims, 'int32'),
        },
        { training: options.training ?? false, seed: options.seed, dropoutRate: options.dropoutRate },
      );
      return this.rowLosses(hidden, labels);
    });
  }

  /** Mean-pooled sentence embeddings (what the saved folder gives as a SentenceEncoder), for evaluators. */
  async embed(texts: string[]): Promise<number[][]> {
    const out: number[][] = [];
    for (let s = 0; s < texts.length; s += 32) {
      const batch = this.tokenizer.encodeBatch(texts.slice(s, s + 32), this.maxSeqLength);
      const emb = tf.tidy(() => {
        const dims: [number, number] = [batch.batchSize, batch.length];
        const mask = tf.tensor2d(batch.attentionMask, dims, 'float32');
        const hidden = this.bert.forward({
          inputIds: tf.tensor2d(batch.inputIds, dims, 'int32'),
          attentionMask: mask,
        });
        const m = tf.expandDims(mask, 2);
        return tf.div(tf.sum(tf.mul(hidden, m), 1), tf.maximum(tf.sum(m, 1), 1e-9));
      });
      out.push(...(emb.arraySync() as number[][]));
      emb.dispose();
    }
    return out;
  }

  /** BERT's passes on onnxruntime-node (the head stays on tfjs); undefined: tfjs's tape trains it. */
  async createTrainingEngine(
    options: TrainingEngineRequest = {},
  ): Promise<TrainingEngineHandle<ReturnType<MlmOnnxEngine['beginStep']>> | undefined> {
    return resolveTrainingEngine(options, (threads, device) =>
      MlmOnnxEngine.create(this, { threads, device }),
    );
  }

  /** Activations tfjs keeps per batch (as SentenceEncoder), plus the vocabulary logits of the masked tokens. */
  trainingActivationBytes(texts: number): number {
    const c = this.bert.config;
    return texts * 32 * (c.hidden_size * c.num_hidden_layers * 300 + 0.15 * c.vocab_size * 3) * 4;
  }

  summary(): { maxSeqLength: number; architecture: string } {
    const c = this.bert.config;
    return {
      maxSeqLength: this.maxSeqLength,
      architecture: `BertForMaskedLM (${c.num_hidden_layers} layers, hidden ${c.hidden_size}, ${c.num_attention_heads} heads, vocabulary ${c.vocab_size}, decoder tied to the word embeddings)`,
    };
  }

  /** Hugging Face tensors: `bert.`-prefixed encoder (no pooler, as BertForMaskedLM) and the head; decoder not stored (tied). */
  async exportWeights(): Promise<Record<string, TensorToWrite>> {
    const out: Record<string, TensorToWrite> = {};
    for (const [name, t] of Object.entries(await this.bert.exportWeights('bert.')))
      if (!name.startsWith('bert.pooler.')) out[name] = t;
    for (const k of Object.keys(MLM_HEAD_NAMES) as HeadKey[]) {
      const v = this.head[k];
      const t = k === 'denseWeight' ? tf.transpose(v) : v;
      out[MLM_HEAD_NAMES[k]] = { shape: t.shape, data: new Float32Array((await t.data()) as Float32Array) };
      if (t !== v) t.dispose();
    }
    return out;
  }

  /**
   * Writes a Hugging Face `BertForMaskedLM` folder: config.json, model.safetensors, tokenizer files (and README.md
   * from `modelCard`). Built in a temp folder, then renamed into `dir` file by file (other files are kept).
   */
  async save(dir: string, options: { modelCard?: string } = {}): Promise<void> {
    const target = resolve(dir);
    const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
    mkdirSync(tmp, { recursive: true });
    try {
      const json = (p: string, v: unknown) => writeFileSync(join(tmp, p), `${JSON.stringify(v, null, 2)}\n`);
      json('config.json', { ...bertConfigToJson(this.bert.config), architectures: ['BertForMaskedLM'] });
      writeSafetensors(join(tmp, 'model.safetensors'), await this.exportWeights(), { format: 'pt' });
      json('tokenizer.json', this.tokenizer.files.tokenizerJson);
      json('tokenizer_config.json', this.tokenizer.files.tokenizerConfig);
      for (const f of ['special_tokens_map.json', 'vocab.txt'])
        if (this.sourceDir && existsSync(join(this.sourceDir, f)))
          copyFileSync(join(this.sourceDir, f), join(tmp, f));
      if (options.modelCard) writeFileSync(join(tmp, 'README.md'), options.modelCard);
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
      rmSync(tmp, { recursive: true, force: true });
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  /** Restores the weights `save` wrote for a model of the same shape (checkpoints, best model). */
  loadWeightsFrom(dir: string): void {
    const file = join(dir, 'model.safetensors');
    const tensors = readSafetensors(file).tensors;
    const c = this.bert.config;
    const { head, source } = headFromTensors(
      tensors,
      c.hidden_size,
      c.vocab_size,
      c.initializer_range,
      file,
      0,
    );
    try {
      if (source !== 'checkpoint')
        throw new Error(`${file}: no cls.predictions.* weights (not a masked-LM checkpoint)`);
      // The head is checked before anything is assigned, so a wrong folder leaves the model as it was.
      this.bert.loadWeights(tensors, file);
      for (const k of Object.keys(MLM_HEAD_NAMES) as HeadKey[]) this.head[k].assign(head[k]);
    } finally {
      for (const v of Object.values(head)) v.dispose();
    }
  }

  dispose(): void {
    this.bert.dispose();
    for (const v of Object.values(this.head)) v.dispose();
  }
}

function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/**
 * `MaskedLanguageModelingLoss`: the mean cross entropy over every masked token of the batch, from a
 * BertForMaskedLM's per-text `[Σ cross entropy, count]` rows. A `Loss` of @contrastive/losses (structurally), so
 * the trainer runs adaptive pre-training like any other loss.
 */
export class MaskedLanguageModelingLoss {
  readonly name = 'MaskedLanguageModelingLoss';
  readonly columns = {
    minInputs: 1,
    maxInputs: 1,
    label: 'none' as const,
    description: '(text): plain sentences',
  };

  forward(
    model: {
      embedTensor(
        texts: string[],
        options?: { training?: boolean; seed?: number; dropoutRate?: number },
      ): tf.Tensor2D;
    },
    batch: { columnNames: string[]; columns: Record<string, string[]> },
    ctx: { training: boolean; seed?: number; dropoutRate?: number },
  ): tf.Scalar {
    const texts = batch.columns[batch.columnNames[0]!];
    if (!texts) throw new Error(`${this.name}: the batch has no text column`);
    const options: { training: boolean; seed?: number; dropoutRate?: number } = { training: ctx.training };
    if (ctx.seed !== undefined) options.seed = mixSeed(ctx.seed, 0);
    if (ctx.dropoutRate !== undefined) options.dropoutRate = ctx.dropoutRate;
    return tf.tidy(() => {
      const rows = model.embedTensor(texts, options);
      const [sums, counts] = tf.split(rows, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      return tf.div(tf.sum(sums), tf.maximum(tf.sum(counts), 1)) as tf.Scalar;
    });
  }
}
