/**
 * One benchmark configuration, run in its own process (so peak RSS is its own): prints one JSON line with the
 * measured numbers. Called by scripts/bench.ts; see there for the protocol.
 */
import { parseArgs } from 'node:util';
import {
  type BertPreset,
  SentenceEncoder,
  SentenceTokenizer,
  presetConfig,
} from '../../packages/bert/src/index.js';
import { OnnxTrainingEngine } from '../../packages/bert/src/onnx/index.js';
import { exitOnFatalErrors } from '../../packages/core/src/index.js';
import {
  computeLossAndGradients,
  computeLossAndGradientsExternal,
  createLoss,
} from '../../packages/losses/src/index.js';
import {
  AdamW,
  type EngineDevice,
  initBackend,
  parseEngineDevice,
  tf,
} from '../../packages/tensor-gpu/src/index.js';
import { miniLmConfigDir, snliEntailmentPairs } from './data.js';

exitOnFatalErrors('run_config');

// No onnxruntime-node telemetry or /tmp/mat-debug-<pid>.log (onnxruntime loads lazily, after this line).
process.env.ORT_DISABLE_TELEMETRY ??= '1';

export interface BenchResult {
  backend: 'tfjs-wasm' | 'tfjs-gpu' | 'onnx';
  threads: number;
  /** onnx: encode sessions in worker threads (`OnnxSessionOptions.workers`), the threads split among them. */
  encode_workers?: number;
  /** onnx: where the graphs ran (`OnnxSessionOptions.device`); absent: cpu. */
  device?: EngineDevice;
  shape: string;
  encode_sentences_per_s: number | null;
  encode_sentences_per_s_sorted: number | null;
  train_pairs_per_s: number | null;
  peak_rss_mb: number | null;
  sentences?: number;
  /** The GLIBC_TUNABLES this process started with (`pnpm bench` gives ours the CLI's malloc tunables). */
  glibc_tunables: string | null;
  train_steps?: number;
  /** FLOPs of the protocol from the real token counts (what `--roofline` divides by the matmul rate). */
  encode_gflop_per_sentence?: number;
  train_gflop_per_pair?: number;
  train_error?: string;
  /** Which MNRL implementation the train number is for. */
  train_loss?: string;
  /** onnx: where each part of a training step ran. */
  train_engine?: string;
  /** tfjs-wasm: whether large matmuls ran in onnxruntime-node (CONTRASTIVE_NATIVE_MATMUL). */
  native_matmul?: string;
  error?: string;
}

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string' },
    shape: { type: 'string', default: 'mini' },
    threads: { type: 'string', default: '2' },
    workers: { type: 'string', default: 'auto' },
    device: { type: 'string', default: 'cpu' },
    sentences: { type: 'string', default: '1024' },
    'encode-batch': { type: 'string', default: '64' },
    train: { type: 'boolean', default: false },
    'train-steps': { type: 'string', default: '8' },
    'train-batch': { type: 'string', default: '32' },
    'max-length': { type: 'string', default: '128' },
    repeat: { type: 'string', default: '1' },
    // GradCache (CachedMultipleNegativesRankingLoss) computes exactly MNRL's loss and gradients with memory bounded
    // by the mini-batch: plain MNRL at batch 32 overflows the 4 GiB wasm heap. `--train-mini-batch 0` = plain MNRL.
    'train-mini-batch': { type: 'string', default: '8' },
  },
});

const backend = args.backend as BenchResult['backend'];
if (backend !== 'tfjs-wasm' && backend !== 'tfjs-gpu' && backend !== 'onnx')
  throw new Error(`--backend must be tfjs-wasm, tfjs-gpu or onnx, got ${String(backend)}`);
/** tfjs on a backend of its own (wasm here, tfjs-node-gpu's CUDA where installed); onnx: our onnxruntime graphs. */
const tfjsBackend = backend === 'tfjs-gpu' ? 'tensorflow-gpu' : 'wasm';
const shape = args.shape as BertPreset;
const positive = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
};
const threads = backend === 'onnx' ? positive('threads', args.threads) : 1; // tfjs-wasm runs single-threaded in Node
// `auto` (the default): what `encode` of many texts uses when `onnxOptions.workers` is not given.
const workers = args.workers === 'auto' ? 'auto' : positive('workers', args.workers);
const device = parseEngineDevice(args.device, '--device');
if (device !== 'cpu' && backend !== 'onnx') throw new Error(`--device ${device} is for --backend onnx`);
const nSentences = positive('sentences', args.sentences);
const encodeBatch = positive('encode-batch', args['encode-batch']);
const trainSteps = positive('train-steps', args['train-steps']);
const trainBatch = positive('train-batch', args['train-batch']);
const repeat = positive('repeat', args.repeat);

const result: BenchResult = {
  backend,
  threads,
  shape,
  encode_sentences_per_s: null,
  encode_sentences_per_s_sorted: null,
  train_pairs_per_s: null,
  peak_rss_mb: null,
  sentences: nSentences,
  glibc_tunables: process.env.GLIBC_TUNABLES ?? null,
};

const round = (v: number) => Math.round(v * 10) / 10;
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024); // maxRSS is in KiB

function errorLine(e: unknown): string {
  return (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0]!.slice(0, 300);
}

/** Prints the result so far: the parent keeps the last line, so a crash later still reports what was measured. */
function report(): void {
  result.peak_rss_mb = peakRssMb();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** Best throughput over `repeat` timed passes of `run` (the machine is shared: the best pass is the least disturbed). */
async function throughput(items: number, run: () => Promise<void>): Promise<number> {
  let best = 0;
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    await run();
    best = Math.max(best, items / ((performance.now() - t0) / 1000));
  }
  return round(best);
}

const pairs = snliEntailmentPairs();
const premises = pairs.slice(0, nSentences).map((p) => p.premise);
if (premises.length < nSentences)
  throw new Error(`only ${premises.length} SNLI dev entailment pairs, ${nSentences} asked`);

// The onnx configuration still needs tfjs (wasm) for the loss and AdamW of its training steps.
const report0 = await initBackend({ backend: tfjsBackend });
if (backend === 'tfjs-wasm') {
  // tfjs-wasm itself is single-threaded in Node; its large matmuls run in onnxruntime-node when that loads.
  const native = report0.nativeMatMul;
  result.native_matmul = native?.enabled ? `onnxruntime-node, ${native.threads} threads` : 'off';
  if (native?.enabled) result.threads = native.threads ?? 1;
}
const config = presetConfig(shape);
const tokenizer = SentenceTokenizer.fromDir(miniLmConfigDir());
const maxSeqLength = Math.min(positive('max-length', args['max-length']), config.max_position_embeddings);
const encoder = SentenceEncoder.random({ config, tokenizer, pooling: 'mean', maxSeqLength, seed: 1 });

/**
 * FLOPs of one sequence's forward pass at its real length n (no padding): per layer the dense products
 * 2n(4H² + 2HI) and attention's two n×n products 4n²H; the embedding lookup and elementwise work are left out.
 * On MiniLM's shape this gives ../shared/bench/README.md's 0.387 GFLOP per encoded sentence and (backward ≈ 2×
 * forward) 1.80 GFLOP per trained pair.
 */
function forwardFlops(texts: string[]): number[] {
  const h = config.hidden_size;
  const inter = config.intermediate_size;
  const batch = tokenizer.encodeBatch(texts, maxSeqLength);
  return texts.map((_, i) => {
    let n = 0;
    for (let j = 0; j < batch.length; j++) n += batch.attentionMask[i * batch.length + j]!;
    return config.num_hidden_layers * (2 * n * (4 * h * h + 2 * h * inter) + 4 * n * n * h);
  });
}
const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
result.encode_gflop_per_sentence =
  Math.round((sum(forwardFlops(premises)) / premises.length / 1e9) * 1e4) / 1e4;

const fileOrderBatches: string[][] = [];
for (let s = 0; s < premises.length; s += encodeBatch)
  fileOrderBatches.push(premises.slice(s, s + encodeBatch));

try {
  if (backend !== 'onnx') {
    const embedBatch = async (texts: string[]) => {
      const e = encoder.embedTensor(texts); // no tape: inference, no gradient
      await e.data();
      e.dispose();
    };
    await embedBatch(fileOrderBatches[0]!); // warm-up (kernel setup, XNNPACK packing)
    result.encode_sentences_per_s = await throughput(premises.length, async () => {
      for (const b of fileOrderBatches) await embedBatch(b);
    });
    result.encode_sentences_per_s_sorted = await throughput(premises.length, async () => {
      await encoder.encode(premises, { batchSize: encodeBatch, engine: 'tfjs' });
    });
    report();
    if (args.train) {
      try {
        result.train_pairs_per_s = await trainPairsPerSecond();
        result.train_steps = trainSteps;
      } catch (e) {
        result.train_error = errorLine(e);
      }
      report();
    }
  } else {
    encoder.onnxOptions = { threads, workers, device };
    // The snapshot built now, before the timed passes; its engine line names its sessions ("2 workers").
    let engineLine = '';
    await encoder.selectEncodeEngine('onnx', {
      report: (line) => {
        engineLine = line;
      },
    });
    result.encode_workers = Number(/(\d+) workers/.exec(engineLine)?.[1] ?? 1);
    if (device !== 'cpu') result.device = device;
    const opts = { batchSize: encodeBatch, engine: 'onnx' as const };
    await encoder.encode(fileOrderBatches[0]!, opts); // warm-up (snapshot, allocator, thread pool)
    result.encode_sentences_per_s = await throughput(premises.length, async () => {
      await encoder.encode(premises, { ...opts, sortByLength: false });
    });
    result.encode_sentences_per_s_sorted = await throughput(premises.length, async () => {
      await encoder.encode(premises, opts);
    });
    await encoder.release();
    report();
    if (args.train) {
      const engine = await OnnxTrainingEngine.create(encoder, { threads, device });
      result.train_engine =
        'BERT forward/backward on onnxruntime-node (packed tokens); pooling, loss and AdamW on tfjs-wasm';
      try {
        result.train_pairs_per_s = await trainPairsPerSecond(engine);
        result.train_steps = trainSteps;
      } catch (e) {
        result.train_error = errorLine(e);
      } finally {
        await engine.release();
      }
      report();
    }
  }
} catch (e) {
  // Report what failed (a wasm heap exhausted, a missing native library) as data, not as a stack trace.
  result.error = errorLine(e);
  report();
  process.exitCode = 1;
}

/**
 * MNRL (scale 20) on (premise, hypothesis) batches in file order, dropout 0.1, AdamW: one warm-up step, then
 * timed steps. With `engine` (onnx) the model's passes run there; plain MNRL (no GradCache needed outside wasm).
 */
async function trainPairsPerSecond(engine?: OnnxTrainingEngine): Promise<number> {
  // GradCache only where the 4 GiB wasm heap needs it.
  const mini = engine || backend === 'tfjs-gpu' ? 0 : Number(args['train-mini-batch']);
  const loss =
    mini > 0
      ? createLoss('cached-mnrl', { scale: 20, miniBatchSize: mini })
      : createLoss('mnrl', { scale: 20 });
  result.train_loss =
    mini > 0 ? `cached-mnrl (GradCache, mini-batch ${mini}; same loss and gradients as mnrl)` : 'mnrl';
  const optimizer = new AdamW(encoder.namedVariables(), { lr: 2e-5, weightDecay: 0.01 });
  const step = async (i: number) => {
    const rows = pairs.slice(i * trainBatch, (i + 1) * trainBatch);
    if (rows.length < trainBatch)
      throw new Error(`not enough pairs for ${trainSteps + 1} steps of ${trainBatch}`);
    const batch = {
      columnNames: ['anchor', 'positive'],
      columns: { anchor: rows.map((r) => r.premise), positive: rows.map((r) => r.hypothesis) },
      size: rows.length,
    };
    const ctx = { training: true, seed: i, dropoutRate: 0.1 };
    let grads: Map<string, tf.Tensor>;
    if (engine) {
      const s = engine.beginStep();
      try {
        grads = (await computeLossAndGradientsExternal(loss, encoder, s, batch, ctx)).grads;
      } finally {
        s.dispose();
      }
    } else grads = computeLossAndGradients(loss, encoder, batch, ctx).grads;
    optimizer.applyGradients(grads, { disposeGradients: true });
  };
  const timed = pairs.slice(trainBatch, (trainSteps + 1) * trainBatch);
  const pairFlops =
    (3 *
      (sum(forwardFlops(timed.map((p) => p.premise))) + sum(forwardFlops(timed.map((p) => p.hypothesis))))) /
    timed.length;
  result.train_gflop_per_pair = Number((pairFlops / 1e9).toPrecision(4));
  await step(0);
  const t0 = performance.now();
  for (let i = 1; i <= trainSteps; i++) await step(i);
  // The last step's updates must have run before the clock stops.
  tf.tidy(() => tf.sum(encoder.namedVariables()[0]!.variable)).dataSync();
  return round((trainSteps * trainBatch) / ((performance.now() - t0) / 1000));
}
