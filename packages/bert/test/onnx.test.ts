import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@contrastive/tensor-gpu';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { maxAbsDiff } from '../../../test-support/compare.js';
import { sharedPath } from '../../../test-support/shared.js';
import {
  DenseModule,
  type OnnxSessionOptions,
  SentenceEncoder,
  SentenceTokenizer,
  parseBertConfig,
  randomDense,
} from '../src/index.js';
import { GraphBuilder } from '../src/onnx/graph_builder.js';
import {
  AUTO_WORKERS_MAX_MODEL_BYTES,
  AUTO_WORKERS_MIN_TEXTS,
  OnnxEncoderSession,
  autoWorkers,
  decodeModel,
  encodeModel,
  exportOnnx,
  loadOnnxRuntime,
} from '../src/onnx/index.js';
import { attentionParts } from '../src/onnx/internal/batch_rows.js';
import { toInt64 } from '../src/onnx/internal/int64.js';
import { WorkerSession } from '../src/onnx/internal/session_worker.js';
import { OnnxDataType } from '../src/onnx/proto.js';
import { CPU_SESSION_CONFIG } from '../src/onnx/runtime.js';

const fixture = sharedPath('fixtures', 'tiny-bert');
const ref = JSON.parse(readFileSync(join(fixture, 'reference.json'), 'utf8')) as {
  texts: string[];
  embeddings: number[][];
};

/** Each text encoded in a batch of its own (no padding, no parts): the reference for batched encodes. */
function eachAlone(e: { encode(texts: string[]): Promise<Float32Array[]> }, texts: string[]) {
  return Promise.all(texts.map(async (t) => (await e.encode([t]))[0]!));
}

let encoder: SentenceEncoder;
const engines: SentenceEncoder[] = [];
/** The encoder's encode/embed on its onnxruntime snapshot built with `options`. */
async function engine(enc: SentenceEncoder, options: OnnxSessionOptions = {}) {
  enc.onnxOptions = { threads: 1, ...options };
  engines.push(enc);
  type O = Parameters<SentenceEncoder['encode']>[1];
  return {
    encode: (texts: string[], o: O = {}) => enc.encode(texts, { ...o, engine: 'onnx' }),
    embed: (texts: string[], o: O = {}) => enc.embed(texts, { ...o, engine: 'onnx' }),
    dimension: enc.dimension,
  };
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  encoder = await SentenceEncoder.load(fixture);
});
afterAll(async () => {
  for (const e of engines) await e.release();
  await encoder.release();
});

describe('the ONNX encode engine on the tiny-bert fixture', () => {
  // Each test's spies are put back after it, passed or failed.
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('reproduces the PyTorch reference embeddings and the tfjs encoder, with each op set', async () => {
    const tfjs = await encoder.encode(ref.texts, { batchSize: 4, engine: 'tfjs' });
    expect(maxAbsDiff(tfjs, ref.embeddings)).toBeLessThan(1e-4);
    for (const options of [{}, { removePadding: false }, { ops: 'standard' as const }]) {
      const onnx = await (await engine(encoder, options)).encode(ref.texts, { batchSize: 4 });
      expect(onnx[0]).toBeInstanceOf(Float32Array);
      expect(maxAbsDiff(onnx, ref.embeddings), JSON.stringify(options)).toBeLessThan(1e-4);
      expect(maxAbsDiff(onnx, tfjs), JSON.stringify(options)).toBeLessThan(1e-4);
    }
  });

  it('keeps input order whatever the batching (length-sorted or not, batches of mixed lengths)', async () => {
    const e = await engine(encoder);
    const texts = [...ref.texts, 'a', ref.texts[0]!.repeat(3)];
    const one = await eachAlone(e, texts);
    expect(maxAbsDiff(await e.encode(texts, { batchSize: 3 }), one)).toBeLessThan(1e-5);
    expect(maxAbsDiff(await e.encode(texts, { batchSize: 5, sortByLength: false }), one)).toBeLessThan(1e-5);
    // Each text alone has no padding: the padded batches must give the same vectors.
    expect(maxAbsDiff(one.slice(0, ref.texts.length), ref.embeddings)).toBeLessThan(1e-4);
    const progress: number[] = [];
    await e.encode(texts, { batchSize: 5, progress: (done) => progress.push(done) });
    expect(progress).toEqual([5, 10, 14]);
    expect(await e.encode([])).toEqual([]);
    await expect(e.encode(texts, { batchSize: 0 })).rejects.toThrow(
      /batchSize must be a positive integer, got 0/,
    );
  });

  it('batches length-sorted texts by token count, not characters (each batch one slice of that order)', async () => {
    const e = await engine(encoder);
    // Characters and tokens disagree: one long word is a few word pieces, single letters are a token each.
    const texts = [
      'antidisestablishmentarianism',
      'a b c d e f g h',
      'incomprehensibilities',
      'x y z w v u t',
      'hello',
      'q r s',
    ];
    const tokens = texts.map((t) => encoder.tokenizer.encodeIds(t, encoder.maxSeqLength).length);
    const byTokens = [...tokens].sort((a, b) => b - a);
    const byChars = texts
      .map((t, i) => [t.length, tokens[i]!] as const)
      .sort((a, b) => b[0] - a[0])
      .map(([, n]) => n);
    const batchesOf = (lengths: number[]) =>
      [0, 2, 4].map((s) =>
        lengths
          .slice(s, s + 2)
          .sort((a, b) => a - b)
          .join(','),
      );
    // The texts are chosen so that batching by characters would pair other lengths.
    expect(batchesOf(byChars)).not.toEqual(batchesOf(byTokens));
    const pad = vi.spyOn(SentenceTokenizer.prototype, 'pad');
    const out = await e.encode(texts, { batchSize: 2 });
    const seen = pad.mock.calls.map(([seqs]) =>
      seqs
        .map((q) => q.length)
        .sort((a, b) => a - b)
        .join(','),
    );
    expect(seen).toEqual(batchesOf(byTokens));
    const one = await eachAlone(e, texts);
    expect(maxAbsDiff(out, one)).toBeLessThan(1e-5);
  });

  it('runs a batch of very different lengths as attention parts, with the same embeddings', async () => {
    const e = await engine(encoder);
    const words = ref.texts.join(' ').split(/\s+/);
    const text = (n: number, k: number) =>
      Array.from({ length: n }, (_, i) => words[(i + k) % words.length]!).join(' ');
    // 32 long rows (cut at the fixture's 32 tokens) and 32 of ~19 tokens, interleaved: the packed graph pads
    // attention to the longest row.
    const texts = Array.from({ length: 64 }, (_, k) => (k % 2 ? text(15, k % 4) : text(40, k)));
    const batch = encoder.tokenizer.encodeBatch(texts, encoder.maxSeqLength);
    const parts = attentionParts(batch);
    expect(parts?.map((p) => p.length)).toEqual([32, 32]);
    const runs = vi.spyOn(
      OnnxEncoderSession.prototype as unknown as { embedRows: () => Promise<Float32Array> },
      'embedRows',
    );
    const whole = await e.encode(texts, { batchSize: 64, sortByLength: false });
    expect(runs).toHaveBeenCalledTimes(2);
    const one = await eachAlone(e, texts);
    expect(maxAbsDiff(whole, one)).toBeLessThan(1e-5);
  });

  it('normalize: true gives unit vectors in the direction of the plain ones; embed returns number[][]', async () => {
    const e = await engine(encoder);
    const plain = await e.encode(ref.texts.slice(0, 3));
    const unit = await e.embed(ref.texts.slice(0, 3), { normalize: true });
    unit.forEach((u, i) => {
      const n = Math.hypot(...plain[i]!);
      expect(Math.hypot(...u)).toBeCloseTo(1, 5);
      u.forEach((x, j) => expect(x).toBeCloseTo(plain[i]![j]! / n, 5));
    });
  });
});

describe('other heads match tfjs', () => {
  const tokenizer = () => SentenceTokenizer.fromDir(fixture);
  const config = parseBertConfig({
    model_type: 'bert',
    vocab_size: 30522,
    hidden_size: 24,
    num_attention_heads: 3,
    intermediate_size: 40,
    num_hidden_layers: 2,
    max_position_embeddings: 64,
  });

  it('CLS pooling + Dense(tanh) + Normalize', async () => {
    const enc = SentenceEncoder.random({ config, tokenizer: tokenizer(), pooling: 'cls', seed: 3 });
    enc.addModule(new DenseModule(randomDense(24, 8, 'tanh', 5)));
    enc.normalizeOutput = true;
    const tfjs = await enc.encode(ref.texts, { engine: 'tfjs' });
    const e = await engine(enc);
    expect(e.dimension).toBe(8);
    const onnx = await e.encode(ref.texts, { batchSize: 5 });
    expect(maxAbsDiff(onnx, tfjs)).toBeLessThan(1e-4);
    for (const v of onnx) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
  });

  it('concatenated mean, max, mean_sqrt_len and weightedmean pooling with a GELU Dense layer', async () => {
    const enc = SentenceEncoder.random({ config, tokenizer: tokenizer(), seed: 4 });
    enc.pooling = {
      dimension: 24,
      modes: ['mean', 'max', 'mean_sqrt_len', 'weightedmean'],
      includePrompt: true,
    };
    enc.addModule(new DenseModule(randomDense(96, 12, 'gelu', 6)));
    const tfjs = await enc.encode(ref.texts, { engine: 'tfjs' });
    for (const removePadding of [true, false]) {
      const onnx = await (await engine(enc, { removePadding })).encode(ref.texts, { batchSize: 4 });
      expect(maxAbsDiff(onnx, tfjs)).toBeLessThan(1e-4);
    }
  });

  it('a prompt left out of the pooling (include_prompt: false)', async () => {
    const enc = SentenceEncoder.random({ config, tokenizer: tokenizer(), seed: 5 });
    enc.pooling = { ...enc.pooling, includePrompt: false };
    const tfjs = await enc.encode(ref.texts, { prompt: 'query: ', engine: 'tfjs' });
    const onnx = await (await engine(enc)).encode(ref.texts, { prompt: 'query: ', batchSize: 4 });
    expect(maxAbsDiff(onnx, tfjs)).toBeLessThan(1e-4);
    // Without the prompt the vectors differ: the test above would catch a prompt that was dropped.
    expect(maxAbsDiff(await enc.encode(ref.texts, { engine: 'tfjs' }), tfjs)).toBeGreaterThan(1e-3);
  });

  it('lasttoken pooling (no ONNX form): the transformer on onnxruntime, the head on tfjs', async () => {
    const enc = SentenceEncoder.random({ config, tokenizer: tokenizer(), seed: 6 });
    enc.pooling = { ...enc.pooling, modes: ['lasttoken', 'mean'] };
    const tfjs = await enc.encode(ref.texts, { engine: 'tfjs' });
    const onnx = await (await engine(enc)).encode(ref.texts, { batchSize: 4 });
    expect(maxAbsDiff(onnx, tfjs)).toBeLessThan(1e-4);
    // Not mean pooling alone: the lasttoken half is really there.
    enc.pooling = { ...enc.pooling, modes: ['mean'] };
    const mean = await enc.encode(ref.texts, { engine: 'tfjs' });
    expect(
      maxAbsDiff(
        onnx.map((v) => v.slice(24)),
        mean,
      ),
    ).toBeLessThan(1e-4);
    expect(
      maxAbsDiff(
        onnx.map((v) => v.slice(0, 24)),
        mean,
      ),
    ).toBeGreaterThan(1e-3);
  });

  it('refuses a bad thread count', async () => {
    encoder.onnxOptions = { threads: 0 };
    await expect(encoder.encode(ref.texts, { engine: 'onnx' })).rejects.toThrow(
      /threads must be a positive integer, got 0/,
    );
    encoder.onnxOptions = {};
  });
});

describe('sessions in worker threads (workers)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });
  const source = (enc: SentenceEncoder) => ({
    config: enc.bert.config,
    weights: () =>
      Object.fromEntries(
        enc.bert
          .namedVariables()
          .map(({ name, variable }) => [
            name,
            { shape: variable.shape, data: variable.dataSync() as Float32Array },
          ]),
      ),
    head: enc.modules,
  });

  it('give the embeddings of one session in this thread, in input order, with every worker running batches', async () => {
    const texts = [...ref.texts, 'a', ref.texts[0]!.repeat(3), ref.texts[2]!.repeat(2), 'b c'];
    const local = await (await engine(encoder)).encode(texts, { batchSize: 3 });
    const workers = await engine(await SentenceEncoder.load(fixture), { workers: 2, threads: 2 });
    const used = new Set<unknown>();
    const run = WorkerSession.prototype.run;
    vi.spyOn(WorkerSession.prototype, 'run').mockImplementation(function (this: WorkerSession, ...a) {
      used.add(this);
      return run.apply(this, a);
    });
    const progress: number[] = [];
    const out = await workers.encode(texts, { batchSize: 3, progress: (done) => progress.push(done) });
    expect(maxAbsDiff(out, local)).toBeLessThan(1e-6);
    expect(maxAbsDiff(out.slice(0, ref.texts.length), ref.embeddings)).toBeLessThan(1e-4);
    expect(used.size).toBe(2);
    // Batches may finish out of order; the count still rises to every text.
    expect(progress.length).toBe(Math.ceil(texts.length / 3));
    expect(progress.at(-1)).toBe(texts.length);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('share one batch (a single row too), run a head outside the graph, and give the last hidden state', async () => {
    const enc = SentenceEncoder.random({
      config: encoder.bert.config,
      tokenizer: encoder.tokenizer,
      seed: 8,
    });
    enc.pooling = { ...enc.pooling, modes: ['lasttoken', 'mean'] };
    const tfjs = await enc.encode(ref.texts, { engine: 'tfjs', batchSize: 16 });
    const one = await OnnxEncoderSession.create(source(enc), { threads: 1 });
    // Three workers asked for, two threads: two workers of one thread each.
    const two = await OnnxEncoderSession.create(source(enc), { threads: 2, workers: 3 });
    try {
      expect([one.parallelism, two.parallelism, one.fused, two.fused]).toEqual([1, 2, false, false]);
      const batch = enc.tokenizer.encodeBatch(ref.texts, enc.maxSeqLength);
      const rows = (data: Float32Array) =>
        Array.from({ length: batch.batchSize }, (_, r) =>
          data.subarray(r * enc.dimension, (r + 1) * enc.dimension),
        );
      const runs = vi.spyOn(WorkerSession.prototype, 'run');
      expect(maxAbsDiff(rows(await two.embedBatch(batch)), tfjs)).toBeLessThan(1e-4);
      expect(runs).toHaveBeenCalledTimes(2);
      expect(maxAbsDiff(rows(await two.embedBatch(batch)), rows(await one.embedBatch(batch)))).toBeLessThan(
        1e-6,
      );
      const single = enc.tokenizer.encodeBatch([ref.texts[1]!], enc.maxSeqLength);
      expect(maxAbsDiff([await two.embedBatch(single)], [tfjs[1]!])).toBeLessThan(1e-4);
      // The last hidden state shared out too (two runs); its real tokens those of one session.
      runs.mockClear();
      const [a, b] = [await one.lastHiddenState(batch), await two.lastHiddenState(batch)];
      expect(runs).toHaveBeenCalledTimes(2);
      const h = enc.bert.config.hidden_size;
      expect(b.length).toBe(batch.batchSize * batch.length * h);
      const realTokens = (data: Float32Array) =>
        Array.from({ length: batch.batchSize }, (_, r) => {
          let n = 0;
          while (n < batch.length && batch.attentionMask[r * batch.length + n]) n++;
          return data.subarray(r * batch.length * h, (r * batch.length + n) * h);
        });
      expect(new Set(realTokens(a).map((t) => t.length)).size).toBeGreaterThan(1); // rows of several lengths
      expect(maxAbsDiff(realTokens(b), realTokens(a))).toBeLessThan(1e-6);
    } finally {
      await one.release();
      await two.release();
    }
  });

  it("reject a failed run with onnxruntime's message, and refuse runs after release", async () => {
    const g = new GraphBuilder();
    const x = g.input('x', OnnxDataType.FLOAT, [2]);
    const y = g.op('Mul', [x, g.constFloat(3)]);
    g.output(y, OnnxDataType.FLOAT, [2]);
    const bytes = encodeModel(g.model({ opset: 17, producerVersion: '0' }));
    const worker = await WorkerSession.create(bytes, { intraOpNumThreads: 1 });
    const feed = (...v: number[]) => ({
      x: { type: 'float32' as const, data: Float32Array.from(v), dims: [v.length] },
    });
    const fed = feed(1, -2);
    const out = await worker.run(fed, [y]);
    expect(Array.from(out[y]!.data as Float32Array)).toEqual([3, -6]);
    expect(out[y]!.dims).toEqual([2]);
    // A feed that is its buffer's whole is moved to the worker; a view on a larger buffer is copied, the rest kept.
    expect(fed.x.data.length).toBe(0);
    const larger = Float32Array.of(7, 4, -1, 9);
    const view = await worker.run({ x: { type: 'float32', data: larger.subarray(1, 3), dims: [2] } }, [y]);
    expect(Array.from(view[y]!.data as Float32Array)).toEqual([12, -3]);
    expect(Array.from(larger)).toEqual([7, 4, -1, 9]);
    // Three values where the graph takes two: onnxruntime's own error, from the worker.
    await expect(worker.run(feed(1, 2, 3), [y])).rejects.toThrow(/^ONNX engine \(session worker\): .*dim/i);
    await worker.release();
    await expect(worker.run(feed(1, -2), [y])).rejects.toThrow(/session worker exited/);
    // moveModel: the buffer under the bytes goes to the worker (left empty here), which builds the same session
    // from the view's range (encodeModel returns a view on a larger buffer of its own).
    expect(bytes.byteLength).toBeLessThan(bytes.buffer.byteLength);
    const moved = encodeModel(g.model({ opset: 17, producerVersion: '0' }));
    const other = await WorkerSession.create(moved, { intraOpNumThreads: 1 }, { moveModel: true });
    expect([moved.byteLength, moved.buffer.byteLength, bytes.byteLength > 0]).toEqual([0, 0, true]);
    expect(Array.from((await other.run(feed(2, 5), [y]))[y]!.data as Float32Array)).toEqual([6, 15]);
    await other.release();
  });

  it('refuses a bad worker count', async () => {
    const e = await SentenceEncoder.load(fixture);
    e.onnxOptions = { workers: 0 };
    await expect(e.encode(ref.texts, { engine: 'onnx' })).rejects.toThrow(
      /workers must be a positive integer or 'auto', got 0/,
    );
  });

  it('auto: two sessions on the CPU with 2 threads or more for a model of at most 256 MB, else one', () => {
    const max = AUTO_WORKERS_MAX_MODEL_BYTES;
    expect(max).toBe(256 * 1024 * 1024);
    expect([autoWorkers(2, 'cpu', 1e6), autoWorkers(8, 'cpu', max)]).toEqual([2, 2]);
    expect(autoWorkers(1, 'cpu', 1e6)).toBe(1);
    expect(autoWorkers(2, 'cpu', max + 1)).toBe(1);
    expect([autoWorkers(2, 'webgpu', 1e6), autoWorkers(2, 'cuda:1', 1e6)]).toEqual([1, 1]);
  });

  it('encode without workers: one session for a call under AUTO_WORKERS_MIN_TEXTS texts, two from the first call of that many (kept after), none with workers 1', async () => {
    const words = [...ref.texts, 'a', 'b c'];
    const texts = Array.from({ length: AUTO_WORKERS_MIN_TEXTS }, (_, i) =>
      i < words.length ? words[i]! : `${words[i % words.length]} ${i}`,
    );
    const created = vi.spyOn(WorkerSession, 'create');
    const used = new Set<unknown>();
    const run = WorkerSession.prototype.run;
    const runs = vi.spyOn(WorkerSession.prototype, 'run').mockImplementation(function (
      this: WorkerSession,
      ...a
    ) {
      used.add(this);
      return run.apply(this, a);
    });
    const e = await SentenceEncoder.load(fixture);
    engines.push(e);
    e.onnxOptions = { threads: 2 };
    // A call pinned to tfjs, however large, leaves the onnx snapshot alone.
    await e.encode(texts, { batchSize: 256, engine: 'tfjs' });
    const few = await e.encode(texts.slice(0, AUTO_WORKERS_MIN_TEXTS - 1), { batchSize: 64, engine: 'onnx' });
    expect(maxAbsDiff(few.slice(0, ref.texts.length), ref.embeddings)).toBeLessThan(1e-4);
    expect([created.mock.calls.length, runs.mock.calls.length]).toEqual([0, 0]);
    // AUTO_WORKERS_MIN_TEXTS texts: the snapshot is rebuilt as two worker sessions of one thread each.
    const many = await e.encode(texts, { batchSize: 64, engine: 'onnx' });
    expect(created).toHaveBeenCalledTimes(2);
    expect(created.mock.calls.map((c) => c[1].intraOpNumThreads)).toEqual([1, 1]);
    expect(used.size).toBe(2);
    expect(maxAbsDiff(many.slice(0, -1), few)).toBeLessThan(1e-6);
    // A call of one text after it runs on those sessions: no rebuild.
    runs.mockClear();
    expect(
      maxAbsDiff(await e.encode([ref.texts[1]!], { engine: 'onnx' }), [ref.embeddings[1]!]),
    ).toBeLessThan(1e-4);
    expect([created.mock.calls.length, runs.mock.calls.length]).toEqual([2, 1]);
    // workers given (1): one session in this thread, whatever the call.
    created.mockClear();
    runs.mockClear();
    const one = await SentenceEncoder.load(fixture);
    engines.push(one);
    one.onnxOptions = { threads: 2, workers: 1 };
    expect(maxAbsDiff(await one.encode(texts, { batchSize: 64, engine: 'onnx' }), many)).toBeLessThan(1e-6);
    expect([created.mock.calls.length, runs.mock.calls.length]).toEqual([0, 0]);
    // One thread: auto is one session.
    const single = await SentenceEncoder.load(fixture);
    engines.push(single);
    single.onnxOptions = { threads: 1 };
    await single.encode(texts, { batchSize: 64, engine: 'onnx' });
    expect(created).not.toHaveBeenCalled();
  });
});

describe('encodeModel', () => {
  it('round-trips a model whether its first buffer holds it or has to grow, and runs it', async () => {
    const ort = await loadOnnxRuntime();
    for (const docLength of [0, 100_000]) {
      const g = new GraphBuilder();
      const x = g.input('x', OnnxDataType.FLOAT, [3]);
      const w = g.initializer('w', [3], Float32Array.of(0.5, -2, 4));
      g.output(g.op('Mul', [x, w]), OnnxDataType.FLOAT, [3]);
      // A long doc string outgrows the first buffer (weights plus 1 KiB a node and tensor).
      const model = g.model({ opset: 17, producerVersion: '0', docString: 'd'.repeat(docLength) });
      const bytes = encodeModel(model);
      const back = decodeModel(bytes);
      expect((back.doc_string ?? '').length).toBe(docLength);
      expect(back.graph.initializer.map((t) => [t.name, t.dims, Array.from(t.raw_data)])).toEqual([
        ['w', [3], Array.from(new Uint8Array(Float32Array.of(0.5, -2, 4).buffer))],
      ]);
      const session = await ort.InferenceSession.create(bytes);
      const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(2, 1, -1), [3]) });
      expect(Array.from(Object.values(out)[0]!.data as Float32Array)).toEqual([1, -2, -4]);
      await session.release();
    }
  });
});

describe('exportOnnx', () => {
  it("writes onnx/model.onnx in sentence-transformers' layout, whose last_hidden_state mean-pools to the reference", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bert-onnx-'));
    const { model: file } = await exportOnnx(encoder, dir);
    expect(file).toBe(join(dir, 'onnx', 'model.onnx'));
    const bytes = readFileSync(file);
    const model = decodeModel(bytes);
    expect(model.graph.input.map((i) => i.name)).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(model.graph.output.map((o) => o.name)).toEqual(['last_hidden_state']);
    expect(model.ir_version).toBe(8);
    expect(model.opset_import.map((o) => [o.domain ?? '', o.version])).toEqual([['', 17]]);
    expect(new Set(model.graph.node.map((n) => n.domain ?? ''))).toEqual(new Set(['']));

    const ort = await loadOnnxRuntime();
    const session = await ort.InferenceSession.create(bytes);
    const batch = encoder.tokenizer.encodeBatch(ref.texts, encoder.maxSeqLength);
    const dims = [batch.batchSize, batch.length];
    const int64 = (a: Int32Array) => new ort.Tensor('int64', toInt64(a), dims);
    const out = await session.run({
      input_ids: int64(batch.inputIds),
      attention_mask: int64(batch.attentionMask),
      token_type_ids: int64(batch.tokenTypeIds),
    });
    const hidden = out.last_hidden_state!;
    expect(hidden.dims).toEqual([batch.batchSize, batch.length, 32]);
    // Mean pooling by hand over the real tokens.
    const data = hidden.data as Float32Array;
    const pooled = ref.texts.map((_, b) => {
      const v = new Array<number>(32).fill(0);
      let n = 0;
      for (let s = 0; s < batch.length; s++) {
        if (!batch.attentionMask[b * batch.length + s]) continue;
        n++;
        for (let j = 0; j < 32; j++)
          v[j] = (v[j] ?? 0) + (data[(b * batch.length + s) * 32 + j] ?? Number.NaN);
      }
      return v.map((x) => x / n);
    });
    expect(maxAbsDiff(pooled, ref.embeddings)).toBeLessThan(1e-4);
    await session.release();
  });
});

describe('CPU_SESSION_CONFIG', () => {
  it("keeps onnxruntime from fusing a product and its bias into a Gemm (the optimizer's own output shows it)", async () => {
    const ort = await loadOnnxRuntime();
    const g = new GraphBuilder();
    const x = g.input('x', OnnxDataType.FLOAT, [2, 3]);
    const w = g.initializer(
      'w',
      [3, 4],
      Float32Array.from({ length: 12 }, (_, i) => i / 10),
    );
    const b = g.initializer('b', [4], Float32Array.of(1, 2, 3, 4));
    g.output(g.op('Add', [g.op('MatMul', [x, w]), b]), OnnxDataType.FLOAT, [2, 4]);
    const bytes = encodeModel(g.model({ opset: 17, producerVersion: '0' }));
    const dir = mkdtempSync(join(tmpdir(), 'bert-onnx-fusion-'));
    const feeds = { x: new ort.Tensor('float32', Float32Array.of(1, 2, 3, -1, 0, 1), [2, 3]) };
    // x·w + b by hand: rows [1, 2, 3] and [-1, 0, 1].
    const expected = [
      [4.2, 5.8, 7.4, 9],
      [1.8, 2.8, 3.8, 4.8],
    ].flat();
    const optimizedOps = async (extra?: typeof CPU_SESSION_CONFIG) => {
      const file = join(dir, extra ? 'config.onnx' : 'default.onnx');
      const session = await ort.InferenceSession.create(bytes, {
        graphOptimizationLevel: 'all',
        optimizedModelFilePath: file,
        ...(extra ? { extra } : {}),
      });
      const out = (await session.run(feeds))[session.outputNames[0]!]!.data as Float32Array;
      Array.from(out).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
      await session.release();
      return decodeModel(readFileSync(file)).graph.node.map((n) => n.op_type);
    };
    // Without the config onnxruntime fuses them: the check below can fail.
    expect(await optimizedOps()).toContain('Gemm');
    const ops = await optimizedOps(CPU_SESSION_CONFIG);
    expect(ops).not.toContain('Gemm');
    expect(ops).toEqual(expect.arrayContaining(['MatMul', 'Add']));
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('without onnxruntime-node', () => {
  it('fails with a message that says what is missing and what to use instead', async () => {
    vi.resetModules();
    vi.doMock('onnxruntime-node', () => {
      throw new Error('libonnxruntime.so.1: cannot open shared object file');
    });
    const { loadOnnxRuntime: load } = await import('../src/onnx/runtime.js');
    const error = await load().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(
      /^the ONNX engine needs onnxruntime-node \(1\.31\.1\), which could not be loaded: .+SentenceEncoder\.encode/,
    );
    // The loader's own error stays reachable as the cause.
    const causes: string[] = [];
    for (let c: unknown = error?.cause; c instanceof Error; c = c.cause) causes.push(c.message);
    expect(causes.join(' ')).toMatch(/libonnxruntime\.so\.1: cannot open shared object file/);
    vi.doUnmock('onnxruntime-node');
    vi.resetModules();
  });
});
