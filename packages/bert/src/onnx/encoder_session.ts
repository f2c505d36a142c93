import { type EngineDevice, readFloat32, tf } from '@contrastive/tensor-gpu';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { TokenEmbeddingBackend } from '../backends.js';
import type { BertConfig } from '../config.js';
import { type HeadModule, type OnnxModuleWriter, applyModules } from '../modules/module.js';
import type { EncodedBatch } from '../tokenizer.js';
import { type OnnxOpSet, type TorchTensor, buildBertGraph } from './bert_graph.js';
import { attentionParts, rowLength, selectRows } from './internal/batch_rows.js';
import { toInt64 } from './internal/int64.js';
import { type SessionRunner, type WireTensor, WorkerSession } from './internal/session_worker.js';
import { encodeModel } from './proto.js';
import { type OnnxRuntime, cpuSessionOptions, createSession, loadOnnxRuntime } from './runtime.js';

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface OnnxSessionOptions {
  /** onnxruntime's intra-op threads. Default 2. */
  threads?: number;
  /**
   * Where the graph runs (sentence-transformers' `device`): `cpu` (default), `webgpu`, `cuda`, `cuda:<index>`
   * (`EngineDevice`). On a GPU `ops` defaults to `standard`; operators a provider lacks run on the CPU with
   * `threads`.
   */
  device?: EngineDevice;
  /** `contrib` (onnxruntime's fused BERT kernels, the default) or `standard` (plain ONNX operators). */
  ops?: OnnxOpSet;
  /** Default `all`. */
  graphOptimizationLevel?: GraphOptimizationLevel;
  /** `contrib` only (default true): dense layers skip padding tokens. */
  removePadding?: boolean;
  /**
   * Sessions in worker threads of their own (at most `threads`), the threads split among them; each batch's rows
   * are shared out so that they all run at once, and `encode` queues batches ahead. Default 1: one session in
   * this thread with all the threads. Each worker holds its own copy of the weights (memory × workers). The
   * sessions run whole kernels side by side instead of splitting each kernel between threads: faster for many
   * texts where kernels are short (small models), slower for one short text, which runs on one worker's threads
   * (sentence-transformers' analog: its multi-process pool). `auto`: `autoWorkers` (two for small models on the
   * CPU); `SentenceEncoder.encode` asks for it from a call of `AUTO_WORKERS_MIN_TEXTS` texts on.
   */
  workers?: number | 'auto';
}

/**
 * The call size (texts, or pairs for a cross-encoder) from which `encode` without `workers` builds its snapshot
 * with `workers: 'auto'`: starting worker sessions (threads, a copy of the model, each session built) costs more
 * than a faster pass saves on a few hundred texts, and one short text runs faster on one session's two threads.
 */
export const AUTO_WORKERS_MIN_TEXTS = 4096;

/**
 * Weights (the ONNX model's bytes) up to which `workers: 'auto'` runs two sessions: each holds its own copy, so
 * a base-sized model (~440 MB) stays one session.
 */
export const AUTO_WORKERS_MAX_MODEL_BYTES = 256 * 1024 * 1024;

/**
 * What `workers: 'auto'` means: two sessions, the threads split between them, on the CPU with 2 threads or more
 * and a model of at most `AUTO_WORKERS_MAX_MODEL_BYTES`; one otherwise. Two sessions keep both cores on whole
 * kernels: with one session, the elementwise, normalization and gather kernels between MiniLM's products barely
 * ran faster on 2 threads than on 1 (`scripts/bench/profile_onnx.ts mini contrib 1`, then `… 2`), while a
 * second session's products run beside them (`pnpm bench --workers 1` measures one session).
 */
export function autoWorkers(threads: number, device: EngineDevice, modelBytes: number): number {
  return device === 'cpu' && threads >= 2 && modelBytes <= AUTO_WORKERS_MAX_MODEL_BYTES ? 2 : 1;
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

/** An onnxruntime session in this thread, as a `SessionRunner`. */
class LocalSession implements SessionRunner {
  constructor(
    private readonly ort: OnnxRuntime,
    private readonly session: InferenceSession,
  ) {}

  async run(feeds: Record<string, WireTensor>, outputs: string[]): Promise<Record<string, WireTensor>> {
    const tensors: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(feeds))
      tensors[name] = new this.ort.Tensor(t.type, t.data, t.dims);
    const result = await this.session.run(tensors, outputs);
    const out: Record<string, WireTensor> = {};
    for (const name of outputs) {
      const t = result[name];
      if (!t) throw new Error(`ONNX engine: the session returned no ${name}`);
      out[name] = { type: 'float32', data: t.data as Float32Array, dims: t.dims };
    }
    return out;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/**
 * The transformer on onnxruntime-node (inference; a snapshot of the weights it was built from). When every head
 * module has an ONNX form the graph is the whole sentence encoder (one native call per batch); otherwise the graph
 * returns token embeddings and the head modules run on tfjs — the same modules either way.
 */
export class OnnxEncoderSession implements TokenEmbeddingBackend {
  readonly engine = 'onnx';
  private readonly idle: SessionRunner[];
  private readonly waiting: ((r: SessionRunner) => void)[] = [];

  private constructor(
    private readonly runners: SessionRunner[],
    private readonly source: OnnxSessionSource,
    /** Whether the head runs inside the graph. */
    readonly fused: boolean,
    readonly modelBytes: number,
    /** Whether the dense layers run on the real tokens only (the packed graph: attention alone pads). */
    private readonly packed: boolean,
  ) {
    this.idle = [...runners];
  }

  static async create(
    source: OnnxSessionSource,
    options: OnnxSessionOptions = {},
  ): Promise<OnnxEncoderSession> {
    const threads = options.threads ?? 2;
    if (!Number.isInteger(threads) || threads < 1)
      throw new Error(`ONNX engine: threads must be a positive integer, got ${threads}`);
    const requested = options.workers ?? 1;
    if (requested !== 'auto' && !(Number.isInteger(requested) && requested >= 1))
      throw new Error(`ONNX engine: workers must be a positive integer or 'auto', got ${options.workers}`);
    const device = options.device ?? 'cpu';
    if (device !== 'cpu' && requested !== 'auto' && requested > 1)
      throw new Error(
        `ONNX engine: workers share out CPU threads; on device ${device} one session runs the batches (leave workers out)`,
      );
    const ort = await loadOnnxRuntime();
    // On a GPU the standard operators: onnxruntime's WebGPU provider runs them all, while its MultiHeadAttention
    // gave wrong results from 32 tokens on (onnxruntime-node 1.30, Mesa lavapipe) and ONNX's Attention runs on the
    // CPU there. The padding the standard graph computes costs a GPU little.
    const ops = options.ops ?? (device === 'cpu' ? 'contrib' : 'standard');
    const writers = source.head.map((m) => m.onnx?.());
    const fused = writers.every((w) => w !== undefined);
    // Graph built and encoded with no await in between: `weights()` may return views on tfjs's heap.
    const model = buildBertGraph({
      config: source.config,
      weights: source.weights(),
      weightLayout: 'in-out',
      ops,
      output: 'sentence_embedding',
      head: fused ? (writers as OnnxModuleWriter[]) : undefined,
      poolingMaskInput: fused,
      tokenTypeIdsInput: source.tokenTypes ?? false,
      removePadding: options.removePadding,
    });
    const bytes = encodeModel(model);
    const modelBytes = bytes.byteLength;
    // No more sessions than threads: each has one at least, and together they use `threads`.
    const workers =
      requested === 'auto' ? autoWorkers(threads, device, modelBytes) : Math.min(requested, threads);
    const level = { graphOptimizationLevel: options.graphOptimizationLevel ?? 'all' } as const;
    // Worker sessions (CPU only, see above).
    const sessionOptions = (n: number) => ({ ...cpuSessionOptions(n), ...level });
    let runners: SessionRunner[];
    if (workers === 1)
      runners = [new LocalSession(ort, await createSession(ort, bytes, threads, device, level))];
    else {
      const made = await Promise.allSettled(
        Array.from({ length: workers }, (_, i) =>
          WorkerSession.create(
            bytes,
            sessionOptions(Math.floor(threads / workers) + (i < threads % workers ? 1 : 0)),
            // Each worker gets its copy as it starts; the last takes the bytes themselves.
            { moveModel: i === workers - 1 },
          ),
        ),
      );
      runners = made.flatMap((m) => (m.status === 'fulfilled' ? [m.value] : []));
      const failed = made.find((m) => m.status === 'rejected');
      if (failed) {
        await Promise.all(runners.map((r) => r.release()));
        throw (failed as PromiseRejectedResult).reason;
      }
    }
    const packed = ops === 'contrib' && fused && (options.removePadding ?? true);
    return new OnnxEncoderSession(runners, source, fused, modelBytes, packed);
  }

  /** Sessions that run batches at once (one, or `workers`). */
  get parallelism(): number {
    return this.runners.length;
  }

  /** What the engine report adds after the threads (`resolveEngine`'s `describe`): the workers, if any. */
  get reportNote(): string | undefined {
    return this.runners.length > 1 ? `${this.runners.length} workers` : undefined;
  }

  /** Runs on the first idle session, waiting for one when all are busy. */
  private async run(
    feeds: Record<string, WireTensor>,
    outputs: string[],
  ): Promise<Record<string, WireTensor>> {
    const runner = this.idle.pop() ?? (await new Promise<SessionRunner>((r) => this.waiting.push(r)));
    try {
      return await runner.run(feeds, outputs);
    } finally {
      const next = this.waiting.shift();
      if (next) next(runner);
      else this.idle.push(runner);
    }
  }

  /**
   * Sentence embeddings `[B, dim]` (row-major) of one tokenized batch; `excludeLeadingTokens` leaves [CLS] and a
   * prompt out of the pooling (include_prompt false).
   */
  async embedBatch(batch: EncodedBatch, excludeLeadingTokens = 0): Promise<Float32Array> {
    if (batch.batchSize === 0) return new Float32Array(0);
    const parts = this.shareOut(batch, this.packed ? attentionParts(batch) : undefined);
    if (!parts) return this.embedRows(batch, excludeLeadingTokens);
    return this.joinParts(
      batch,
      parts,
      (part) => this.embedRows(part, excludeLeadingTokens),
      () => 1,
    );
  }

  /**
   * Runs each part's rows (at once where there are sessions for them, one after another otherwise) and puts
   * each row's result back at its row: `[B, positions(L), …]` from parts of `[rows, positions(part's L), …]`.
   */
  private async joinParts(
    batch: EncodedBatch,
    parts: Int32Array[],
    runPart: (part: EncodedBatch) => Promise<Float32Array>,
    positions: (length: number) => number,
  ): Promise<Float32Array> {
    const subs = parts.map((rows) => selectRows(batch, rows));
    const results = await Promise.all(subs.map(runPart));
    const width = results[0]!.length / (subs[0]!.batchSize * positions(subs[0]!.length));
    const rowSize = positions(batch.length) * width;
    const out = new Float32Array(batch.batchSize * rowSize);
    parts.forEach((rows, p) => {
      const data = results[p]!;
      const size = positions(subs[p]!.length) * width;
      rows.forEach((r, i) => out.set(data.subarray(i * size, (i + 1) * size), r * rowSize));
    });
    return out;
  }

  /**
   * With several sessions, the batch's parts (or the whole batch) halved until each session has one: the largest
   * part by tokens is dealt out row by row in turn, so that both halves get rows of each length.
   */
  private shareOut(batch: EncodedBatch, parts: Int32Array[] | undefined): Int32Array[] | undefined {
    if (this.runners.length === 1) return parts;
    const lengths = Array.from({ length: batch.batchSize }, (_, r) =>
      rowLength(batch.attentionMask, r, batch.length),
    );
    const tokens = (rows: Int32Array) => rows.reduce((n, r) => n + lengths[r]!, 0);
    const out = parts ?? [Int32Array.from({ length: batch.batchSize }, (_, r) => r)];
    while (out.length < this.runners.length) {
      let largest = 0;
      for (let p = 1; p < out.length; p++) if (tokens(out[p]!) > tokens(out[largest]!)) largest = p;
      const rows = out[largest]!;
      if (rows.length < 2) break;
      out.splice(
        largest,
        1,
        rows.filter((_, i) => i % 2 === 0),
        rows.filter((_, i) => i % 2 === 1),
      );
    }
    return out.length > 1 ? out : undefined;
  }

  private feeds(batch: EncodedBatch): Record<string, WireTensor> {
    const dims = [batch.batchSize, batch.length];
    const feeds: Record<string, WireTensor> = {
      input_ids: { type: 'int64', data: toInt64(batch.inputIds), dims },
      attention_mask: { type: 'int64', data: toInt64(batch.attentionMask), dims },
    };
    if (this.source.tokenTypes)
      feeds.token_type_ids = { type: 'int64', data: toInt64(batch.tokenTypeIds), dims };
    return feeds;
  }

  private async embedRows(batch: EncodedBatch, excludeLeadingTokens: number): Promise<Float32Array> {
    const dims = [batch.batchSize, batch.length];
    const feeds = this.feeds(batch);
    if (this.fused) {
      const pm = batch.attentionMask.slice();
      if (excludeLeadingTokens > 0)
        for (let r = 0; r < batch.batchSize; r++)
          pm.fill(0, r * batch.length, r * batch.length + Math.min(excludeLeadingTokens, batch.length));
      feeds.pooling_mask = { type: 'int64', data: toInt64(pm), dims };
      return (await this.run(feeds, ['sentence_embedding'])).sentence_embedding!.data as Float32Array;
    }
    const hidden = (await this.run(feeds, ['token_embeddings'])).token_embeddings!;
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

  /**
   * The transformer's last hidden state `[B, L, H]` of one tokenized batch (the `TokenEmbeddingBackend` seam).
   * With several sessions the rows are shared out as for `embedBatch`; a row's positions past its part's
   * length are then zero (padding: any value).
   */
  async lastHiddenState(batch: EncodedBatch): Promise<Float32Array> {
    if (batch.batchSize === 0) return new Float32Array(0);
    const parts = this.shareOut(batch, undefined);
    if (!parts) return this.hiddenRows(batch);
    return this.joinParts(
      batch,
      parts,
      (part) => this.hiddenRows(part),
      (length) => length,
    );
  }

  private async hiddenRows(batch: EncodedBatch): Promise<Float32Array> {
    const feeds = this.feeds(batch);
    if (this.fused)
      feeds.pooling_mask = { ...feeds.attention_mask!, data: feeds.attention_mask!.data.slice() };
    return (await this.run(feeds, ['token_embeddings'])).token_embeddings!.data as Float32Array;
  }

  /** Frees the native sessions (and their worker threads). */
  async release(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.release()));
  }
}
