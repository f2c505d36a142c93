import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';

/** A feed or an output as it crosses between threads: onnxruntime's tensor type, data and dims. */
export interface WireTensor {
  type: 'int64' | 'float32';
  data: BigInt64Array | Float32Array;
  dims: readonly number[];
}

/** Runs a graph: an onnxruntime session in this thread, or one in a worker thread (`WorkerSession`). */
export interface SessionRunner {
  run(feeds: Record<string, WireTensor>, outputs: string[]): Promise<Record<string, WireTensor>>;
  release(): Promise<void>;
}

/**
 * The worker's whole program (CommonJS, `eval`), kept as text so that it runs the same from the TypeScript
 * sources and from the built package: it loads onnxruntime-node from the path the parent resolved, builds one
 * session from the model bytes it is sent, and answers each run with the outputs' buffers moved, not copied.
 */
const WORKER_PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
let session;
const fail = (id, e) => parentPort.postMessage({ id, ok: false, error: e instanceof Error ? e.message : String(e) });
parentPort.on('message', async (m) => {
  try {
    if (m.kind === 'create') {
      session = await ort.InferenceSession.create(m.model, m.options);
      parentPort.postMessage({ id: m.id, ok: true });
    } else if (m.kind === 'run') {
      const feeds = {};
      for (const [name, t] of Object.entries(m.feeds)) feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
      const result = await session.run(feeds, m.outputs);
      const outputs = {};
      const moved = [];
      for (const name of m.outputs) {
        const t = result[name];
        outputs[name] = { type: t.type, data: t.data, dims: t.dims };
        if (t.data.byteOffset === 0 && t.data.byteLength === t.data.buffer.byteLength) moved.push(t.data.buffer);
      }
      parentPort.postMessage({ id: m.id, ok: true, outputs }, moved);
    } else if (m.kind === 'release') {
      await session?.release();
      session = undefined;
      parentPort.postMessage({ id: m.id, ok: true });
    }
  } catch (e) {
    fail(m.id, e);
  }
});
`;

/**
 * Where this package resolves onnxruntime-node from (the worker loads the same copy). The caller has loaded it in
 * this thread first (`loadOnnxRuntime`, which sets ORT_DISABLE_TELEMETRY): a worker's `process.env` is its own
 * copy, and the native library is loaded once per process.
 */
function onnxRuntimePath(): string {
  // ESM build and sources: import.meta.url; the CommonJS build: __filename (import.meta is empty there).
  const from = typeof __filename === 'string' ? __filename : import.meta.url;
  return createRequire(from).resolve('onnxruntime-node');
}

/** The buffer behind `view` when the view covers all of it (movable without touching other data), else none. */
function ownBuffer(view: ArrayBufferView): ArrayBuffer[] {
  const whole = view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
  return whole ? [view.buffer as ArrayBuffer] : [];
}

interface Reply {
  id: number;
  ok: boolean;
  error?: string;
  outputs?: Record<string, WireTensor>;
}

/**
 * One onnxruntime session in a worker thread of its own. Its runs go on while this thread (and other workers)
 * run theirs: onnxruntime-node's `run` is synchronous on the thread that calls it.
 */
export class WorkerSession implements SessionRunner {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private failure?: Error;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      p?.resolve(r);
    });
    const fail = (e: Error) => {
      this.failure ??= e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`ONNX engine: a session worker exited (code ${code})`)));
    // An idle worker does not keep the process alive.
    worker.unref();
  }

  /**
   * A worker with a session of `model` (bytes of an ONNX model) and `options`. The bytes are copied to the
   * worker before this returns its promise; with `moveModel` the whole buffer they are a view on is moved there
   * instead (the caller's view is left empty: the last of several workers takes them without a copy), so the
   * caller must own that buffer (`encodeModel`'s result: a view on a buffer of its own, with room to spare).
   */
  static async create(
    model: Uint8Array,
    options: InferenceSession.SessionOptions,
    { moveModel = false }: { moveModel?: boolean } = {},
  ): Promise<WorkerSession> {
    const worker = new Worker(WORKER_PROGRAM, { eval: true, workerData: { ortPath: onnxRuntimePath() } });
    const session = new WorkerSession(worker);
    try {
      await session.request(
        { kind: 'create', model, options },
        moveModel ? [model.buffer as ArrayBuffer] : [],
      );
    } catch (e) {
      await worker.terminate();
      throw e;
    }
    return session;
  }

  private request(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // A pending run keeps the process alive until its answer arrives.
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...message, id }, transfer);
    }).then(
      (r) => {
        if (this.pending.size === 0) this.worker.unref();
        if (!r.ok) throw new Error(`ONNX engine (session worker): ${r.error}`);
        return r;
      },
      (e: unknown) => {
        if (this.pending.size === 0) this.worker.unref();
        throw e;
      },
    );
  }

  async run(feeds: Record<string, WireTensor>, outputs: string[]): Promise<Record<string, WireTensor>> {
    // The feeds are the caller's arrays made for this run: moved, not copied (a view on a larger buffer is copied).
    const transfer = new Set(Object.values(feeds).flatMap((t) => ownBuffer(t.data)));
    const reply = await this.request({ kind: 'run', feeds, outputs }, [...transfer]);
    return reply.outputs!;
  }

  async release(): Promise<void> {
    if (!this.failure) await this.request({ kind: 'release' }).catch(() => undefined);
    await this.worker.terminate();
  }
}
