import { readFloat32 } from '@contrastive/tensor-gpu';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { BertConfig } from '../config.js';
import type { EncodeOptions, SentenceEncoder } from '../sentence_encoder.js';
import type { SentenceTokenizer } from '../tokenizer.js';
import { type OnnxDenseWeights, type OnnxOpSet, type TorchTensor, buildBertGraph } from './bert_graph.js';
import { encodeModel } from './proto.js';
import { type OnnxRuntime, loadOnnxRuntime } from './runtime.js';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface OnnxEncoderOptions {
  /** onnxruntime's intra-op threads. Default 2. */
  threads?: number;
  /** `contrib` (onnxruntime's fused BERT kernels, the default) or `standard` (plain ONNX operators). */
  ops?: OnnxOpSet;
  /** Default `all`. */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** `contrib` only (default true): dense layers skip padding tokens. */
  removePadding?: boolean;
}

export interface OnnxEncodeOptions extends EncodeOptions {
  /**
   * Batch texts in order of length (the default, as `SentenceEncoder.encode` and sentence-transformers do)
   * or in input order. Output is in input order either way.
   */
  sortByLength?: boolean;
}

/** What the ONNX engine needs from a SentenceEncoder. */
export interface OnnxEncoderSource {
  config: BertConfig;
  /**
   * Weights in PyTorch layout, or a function returning them in `weightLayout` (called right before the graph is
   * written, so it may return views that are valid only until the next tfjs operation).
   */
  weights: Record<string, TorchTensor> | (() => Record<string, TorchTensor>);
  weightLayout?: 'torch' | 'in-out';
  tokenizer: SentenceTokenizer;
  maxSeqLength: number;
  pooling: SentenceEncoder['pooling'];
  dense: OnnxDenseWeights[];
  normalize: boolean;
  resolvePrompt: (prompt?: string, promptName?: string) => string | undefined;
}

/** A SentenceEncoder's Dense layers in PyTorch layout. */
export async function denseWeightsOf(encoder: SentenceEncoder): Promise<OnnxDenseWeights[]> {
  const out: OnnxDenseWeights[] = [];
  for (const d of encoder.dense) {
    // In memory the weight is [in, out]; PyTorch's layout is [out, in].
    const inOut = (await d.weight.data()) as Float32Array;
    const weight = new Float32Array(inOut.length);
    for (let i = 0; i < d.inFeatures; i++)
      for (let o = 0; o < d.outFeatures; o++) weight[o * d.inFeatures + i] = inOut[i * d.outFeatures + o]!;
    out.push({
      inFeatures: d.inFeatures,
      outFeatures: d.outFeatures,
      activation: d.activation,
      weight,
      bias: d.bias ? new Float32Array((await d.bias.data()) as Float32Array) : undefined,
    });
  }
  return out;
}

/**
 * Sentence embeddings on onnxruntime (CPU): the encoder (BERT, pooling, Dense, Normalize) is written as one ONNX
 * graph in memory from the weights it has now and run by onnxruntime-node, several times faster than tfjs-wasm.
 * Inference only: a snapshot of the weights, so build a new one after training. Same `encode` / `embed` shape
 * as SentenceEncoder (an Embedder for the evaluators).
 */
export class OnnxSentenceEncoder {
  readonly dimension: number;
  readonly modelBytes: number;
  private readonly usesPoolingMask: boolean;

  private constructor(
    private readonly ort: OnnxRuntime,
    private readonly session: InferenceSession,
    private readonly source: Omit<OnnxEncoderSource, 'weights' | 'dense'>,
    dimension: number,
    modelBytes: number,
  ) {
    this.dimension = dimension;
    this.modelBytes = modelBytes;
    this.usesPoolingMask = session.inputNames.includes('pooling_mask');
  }

  /** Builds the engine from a SentenceEncoder's current weights. */
  static async fromEncoder(
    encoder: SentenceEncoder,
    options: OnnxEncoderOptions = {},
  ): Promise<OnnxSentenceEncoder> {
    return OnnxSentenceEncoder.fromSource(
      {
        config: encoder.bert.config,
        // Views of the model's own [in, out] weights (no copies: a base-sized model would need three).
        weights: () =>
          Object.fromEntries(
            encoder.bert
              .namedVariables()
              .map(({ name, variable }) => [name, { shape: variable.shape, data: readFloat32(variable) }]),
          ),
        weightLayout: 'in-out',
        tokenizer: encoder.tokenizer,
        maxSeqLength: encoder.maxSeqLength,
        pooling: encoder.pooling,
        dense: await denseWeightsOf(encoder),
        normalize: encoder.normalizeOutput,
        resolvePrompt: (p, n) => encoder.resolvePrompt(p, n),
      },
      options,
    );
  }

  static async fromSource(
    source: OnnxEncoderSource,
    options: OnnxEncoderOptions = {},
  ): Promise<OnnxSentenceEncoder> {
    const threads = options.threads ?? 2;
    if (!Number.isInteger(threads) || threads < 1)
      throw new Error(`OnnxSentenceEncoder: threads must be a positive integer, got ${threads}`);
    const ort = await loadOnnxRuntime();
    // Graph built and encoded with no await in between: `weights()` may return views on tfjs's heap.
    const model = buildBertGraph({
      config: source.config,
      weights: typeof source.weights === 'function' ? source.weights() : source.weights,
      weightLayout: source.weightLayout,
      ops: options.ops ?? 'contrib',
      output: 'sentence_embedding',
      pooling: source.pooling,
      dense: source.dense,
      normalize: source.normalize,
      poolingMaskInput: !source.pooling.includePrompt,
      removePadding: options.removePadding,
    });
    const bytes = encodeModel(model);
    const session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    });
    const last = source.dense[source.dense.length - 1];
    const dimension = last ? last.outFeatures : source.pooling.dimension * source.pooling.modes.length;
    const { weights: _w, dense: _d, ...rest } = source;
    return new OnnxSentenceEncoder(ort, session, rest, dimension, bytes.byteLength);
  }

  /** Embeddings `[N, dim]` of one batch, in order (no sorting). */
  async encodeBatch(texts: string[], prompt?: string): Promise<Float32Array> {
    if (texts.length === 0) return new Float32Array(0);
    const { tokenizer, maxSeqLength, pooling } = this.source;
    const inputs = prompt ? texts.map((t) => prompt + t) : texts;
    const batch = tokenizer.encodeBatch(inputs, maxSeqLength);
    const dims = [batch.batchSize, batch.length];
    const int64 = (a: Int32Array) => {
      const out = new BigInt64Array(a.length);
      for (let i = 0; i < a.length; i++) out[i] = BigInt(a[i]!);
      return out;
    };
    const feeds: Record<string, Tensor> = {
      input_ids: new this.ort.Tensor('int64', int64(batch.inputIds), dims),
      attention_mask: new this.ort.Tensor('int64', int64(batch.attentionMask), dims),
    };
    if (this.usesPoolingMask) {
      // sentence-transformers leaves [CLS] and the prompt's tokens out of the pooling when include_prompt is false.
      const exclude = prompt && !pooling.includePrompt ? tokenizer.tokenIds(prompt).length + 1 : 0;
      const pm = batch.attentionMask.slice();
      for (let r = 0; r < batch.batchSize; r++)
        pm.fill(0, r * batch.length, r * batch.length + Math.min(exclude, batch.length));
      feeds.pooling_mask = new this.ort.Tensor('int64', int64(pm), dims);
    }
    const result = await this.session.run(feeds, ['sentence_embedding']);
    const out = result.sentence_embedding;
    if (!out) throw new Error('OnnxSentenceEncoder: the session returned no sentence_embedding');
    return out.data as Float32Array;
  }

  /** Embeddings in input order; texts are batched by length unless `sortByLength: false`. */
  async encode(texts: string[], options: OnnxEncodeOptions = {}): Promise<Float32Array[]> {
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`encode: batchSize must be a positive integer, got ${batchSize}`);
    const prompt = this.source.resolvePrompt(options.prompt, options.promptName);
    const order = texts.map((_, i) => i);
    if (options.sortByLength ?? true) order.sort((a, b) => texts[b]!.length - texts[a]!.length || a - b);
    const dim = this.dimension;
    const out: Float32Array[] = new Array(texts.length);
    const renormalize = options.normalize === true && !this.source.normalize;
    for (let s = 0; s < order.length; s += batchSize) {
      const idx = order.slice(s, s + batchSize);
      const data = await this.encodeBatch(
        idx.map((i) => texts[i]!),
        prompt,
      );
      idx.forEach((i, r) => {
        const v = data.slice(r * dim, (r + 1) * dim);
        out[i] = renormalize ? l2normalize(v) : v;
      });
      options.progress?.(Math.min(s + batchSize, order.length), order.length);
    }
    return out;
  }

  /** `embed(texts) → number[][]`: the shape evaluators accept. */
  async embed(texts: string[], options: OnnxEncodeOptions = {}): Promise<number[][]> {
    return (await this.encode(texts, options)).map((v) => Array.from(v));
  }

  /** Frees the native session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.max(Math.sqrt(s), 1e-12);
  return v.map((x) => x / n);
}
