import { readFloat32, tf } from '@contrastive/tensor-gpu';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { TokenEmbeddingBackend } from '../backends.js';
import type { BertConfig } from '../config.js';
import { type HeadModule, type OnnxModuleWriter, applyModules } from '../modules/module.js';
import type { EncodedBatch } from '../tokenizer.js';
import { type OnnxOpSet, type TorchTensor, buildBertGraph } from './bert_graph.js';
import { attentionParts, selectRows } from './internal/batch_rows.js';
import { toInt64 } from './internal/int64.js';
import { encodeModel } from './proto.js';
import { type OnnxRuntime, cpuSessionOptions, loadOnnxRuntime } from './runtime.js';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface OnnxSessionOptions {
  /** onnxruntime's intra-op threads. Default 2. */
  threads?: number;
  /** `contrib` (onnxruntime's fused BERT kernels, the default) or `standard` (plain ONNX operators). */
  ops?: OnnxOpSet;
  /** Default `all`. */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** `contrib` only (default true): dense layers skip padding tokens. */
  removePadding?: boolean;
}

/** What the session is built from: the transformer's weights now and the head modules after it. */
export interface OnnxSessionSource {
  config: BertConfig;
  /**
   * The transformer's weights in `[in, out]` layout (as BertModel keeps them), called right before the graph is
   * written, so it may return views valid only until the next tfjs operation.
   */
  weights: () => Record<string, TorchTensor>;
  head: readonly HeadModule[];
  /** Feed the batch's token types (sentence pairs: the cross-encoder); otherwise every token has type 0. */
  tokenTypes?: boolean;
}

/**
 * The transformer on onnxruntime-node (inference; a snapshot of the weights it was built from). When every head
 * module has an ONNX form the graph is the whole sentence encoder (one native call per batch); otherwise the graph
 * returns token embeddings and the head modules run on tfjs — the same modules either way.
 */
export class OnnxEncoderSession implements TokenEmbeddingBackend {
  readonly engine = 'onnx';

  private constructor(
    private readonly ort: OnnxRuntime,
    private readonly session: InferenceSession,
    private readonly source: OnnxSessionSource,
    /** Whether the head runs inside the graph. */
    readonly fused: boolean,
    readonly modelBytes: number,
    /** Whether the dense layers run on the real tokens only (the packed graph: attention alone pads). */
    private readonly packed: boolean,
  ) {}

  static async create(
    source: OnnxSessionSource,
    options: OnnxSessionOptions = {},
  ): Promise<OnnxEncoderSession> {
    const threads = options.threads ?? 2;
    if (!Number.isInteger(threads) || threads < 1)
      throw new Error(`ONNX engine: threads must be a positive integer, got ${threads}`);
    const ort = await loadOnnxRuntime();
    const writers = source.head.map((m) => m.onnx?.());
    const fused = writers.every((w) => w !== undefined);
    // Graph built and encoded with no await in between: `weights()` may return views on tfjs's heap.
    const model = buildBertGraph({
      config: source.config,
      weights: source.weights(),
      weightLayout: 'in-out',
      ops: options.ops ?? 'contrib',
      output: 'sentence_embedding',
      head: fused ? (writers as OnnxModuleWriter[]) : undefined,
      poolingMaskInput: fused,
      tokenTypeIdsInput: source.tokenTypes ?? false,
      removePadding: options.removePadding,
    });
    const bytes = encodeModel(model);
    const session = await ort.InferenceSession.create(bytes, {
      ...cpuSessionOptions(threads),
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    });
    const packed = (options.ops ?? 'contrib') === 'contrib' && fused && (options.removePadding ?? true);
    return new OnnxEncoderSession(ort, session, source, fused, bytes.byteLength, packed);
  }

  /**
   * Sentence embeddings `[B, dim]` (row-major) of one tokenized batch; `excludeLeadingTokens` leaves [CLS] and a
   * prompt out of the pooling (include_prompt false).
   */
  async embedBatch(batch: EncodedBatch, excludeLeadingTokens = 0): Promise<Float32Array> {
    if (batch.batchSize === 0) return new Float32Array(0);
    const parts = this.packed ? attentionParts(batch) : undefined;
    if (!parts) return this.embedRows(batch, excludeLeadingTokens);
    // Rows of very different lengths: each part in a run of its own (same embeddings, less attention padding).
    let out: Float32Array | undefined;
    for (const rows of parts) {
      const data = await this.embedRows(selectRows(batch, rows), excludeLeadingTokens);
      const dim = data.length / rows.length;
      out ??= new Float32Array(batch.batchSize * dim);
      const into = out;
      rows.forEach((r, i) => into.set(data.subarray(i * dim, (i + 1) * dim), r * dim));
    }
    return out!;
  }

  private async embedRows(batch: EncodedBatch, excludeLeadingTokens: number): Promise<Float32Array> {
    const dims = [batch.batchSize, batch.length];
    const feeds: Record<string, Tensor> = {
      input_ids: new this.ort.Tensor('int64', toInt64(batch.inputIds), dims),
      attention_mask: new this.ort.Tensor('int64', toInt64(batch.attentionMask), dims),
    };
    if (this.source.tokenTypes)
      feeds.token_type_ids = new this.ort.Tensor('int64', toInt64(batch.tokenTypeIds), dims);
    if (this.fused) {
      const pm = batch.attentionMask.slice();
      if (excludeLeadingTokens > 0)
        for (let r = 0; r < batch.batchSize; r++)
          pm.fill(0, r * batch.length, r * batch.length + Math.min(excludeLeadingTokens, batch.length));
      feeds.pooling_mask = new this.ort.Tensor('int64', toInt64(pm), dims);
      const out = (await this.session.run(feeds, ['sentence_embedding'])).sentence_embedding;
      if (!out) throw new Error('ONNX engine: the session returned no sentence_embedding');
      return out.data as Float32Array;
    }
    const hidden = (await this.session.run(feeds, ['token_embeddings'])).token_embeddings;
    if (!hidden) throw new Error('ONNX engine: the session returned no token_embeddings');
    const h = this.source.config.hidden_size;
    const emb = tf.tidy(() =>
      applyModules(
        this.source.head,
        tf.tensor3d(hidden.data as Float32Array, [batch.batchSize, batch.length, h]),
        tf.tensor2d(batch.attentionMask, dims as [number, number], 'int32'),
        excludeLeadingTokens,
      ),
    );
    const data = new Float32Array(readFloat32(emb));
    emb.dispose();
    return data;
  }

  /** The transformer's last hidden state `[B, L, H]` of one tokenized batch (the `TokenEmbeddingBackend` seam). */
  async lastHiddenState(batch: EncodedBatch): Promise<Float32Array> {
    const dims = [batch.batchSize, batch.length];
    const feeds: Record<string, Tensor> = {
      input_ids: new this.ort.Tensor('int64', toInt64(batch.inputIds), dims),
      attention_mask: new this.ort.Tensor('int64', toInt64(batch.attentionMask), dims),
    };
    if (this.session.inputNames.includes('token_type_ids'))
      feeds.token_type_ids = new this.ort.Tensor('int64', toInt64(batch.tokenTypeIds), dims);
    if (this.session.inputNames.includes('pooling_mask')) feeds.pooling_mask = feeds.attention_mask!;
    const out = (await this.session.run(feeds, ['token_embeddings'])).token_embeddings;
    if (!out) throw new Error('ONNX engine: the session returned no token_embeddings');
    return out.data as Float32Array;
  }

  /** Frees the native session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
