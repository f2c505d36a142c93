/**
 * Where the ONNX engine's time goes: runs the benchmark's length-sorted encode pass (`SentenceEncoder.encode`,
 * batch 64: its token-count order and attention parts included) under onnxruntime's profiler and prints
 * milliseconds per operator type (after onnxruntime's own fusions), the pass by kind of kernel (`runSummary`), then
 * per run: its shape and attention time.
 *
 *   node --conditions=@contrastive/source --import tsx scripts/bench/profile_onnx.ts [mini|base] [contrib|standard] [threads]
 *
 * (threads: onnxruntime's intra-op threads, default 2; 1 against 2 shows which kernels gain from a second thread.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BertPreset,
  SentenceEncoder,
  SentenceTokenizer,
  presetConfig,
} from '../../packages/bert/src/index.js';
import type { OnnxOpSet } from '../../packages/bert/src/onnx/index.js';
import { exitOnFatalErrors } from '../../packages/core/src/index.js';
import { initBackend } from '../../packages/tensor-gpu/src/index.js';
import {
  kernelEvents,
  microsecondsByOp,
  profileSessions,
  runSummary,
} from '../../test-support/ort_profile.js';
import { miniLmConfigDir, snliEntailmentPairs } from './data.js';

exitOnFatalErrors('profile_onnx');

// No onnxruntime-node telemetry or /tmp/mat-debug-<pid>.log (onnxruntime loads lazily, after this line).
process.env.ORT_DISABLE_TELEMETRY ??= '1';

const shape = (process.argv[2] ?? 'mini') as BertPreset;
const ops = (process.argv[3] ?? 'contrib') as OnnxOpSet;
await initBackend({ backend: 'wasm' });
const texts = snliEntailmentPairs()
  .slice(0, 1024)
  .map((p) => p.premise);
const enc = SentenceEncoder.random({
  config: presetConfig(shape),
  tokenizer: SentenceTokenizer.fromDir(miniLmConfigDir()),
  maxSeqLength: 128,
});
const threads = Number(process.argv[4] ?? 2);
if (!Number.isInteger(threads) || threads < 1)
  throw new Error(`threads must be a positive integer, got ${process.argv[4]}`);
enc.onnxOptions = { threads, ops };

// The profiler switched on for the session the encoder creates (the one session of this process).
const dir = mkdtempSync(join(tmpdir(), 'onnx-profile-'));
const profiler = await profileSessions({ dir });
await enc.encode(texts, { batchSize: 64, engine: 'onnx' });
const [events] = profiler.finish();
await enc.release();
rmSync(dir, { recursive: true, force: true });
if (!events) throw new Error(`${dir}: onnxruntime wrote no profile`);
const byOp = microsecondsByOp(events);
const total = byOp.reduce((a, [, us]) => a + us, 0);
const nodes = kernelEvents(events);
for (const [op, us] of byOp) {
  console.log(
    JSON.stringify({ op, ms: Math.round(us / 100) / 10, share: Math.round((1000 * us) / total) / 10 }),
  );
}
// The whole pass by kind of kernel (`runSummary`), and its kernel count.
const summary = runSummary(events)!;
const whole = (ms: number) => Math.round(ms * 10) / 10;
console.log(
  JSON.stringify({
    runs: summary.runs,
    kernels: whole(summary.kernels),
    ...Object.fromEntries(Object.entries(summary.byKind).map(([k, v]) => [`${k} ms`, whole(v.ms)])),
    'between kernels ms': whole(summary.betweenKernelsMs),
  }),
);
// Per run: the attention input's [B, S] and the run's attention milliseconds.
for (const run of events.filter((e) => e.name === 'model_run')) {
  let attention = 0;
  let bs: number[] | undefined;
  for (const e of nodes) {
    if (e.ts < run.ts || e.ts > run.ts + run.dur || e.args?.op_name !== 'Attention') continue;
    attention += e.dur;
    bs = Object.values(e.args.input_type_shape?.[0] ?? {})[0]?.slice(0, 2);
  }
  console.log(
    JSON.stringify({
      run_ms: Math.round(run.dur / 100) / 10,
      bs,
      attention_ms: Math.round(attention / 100) / 10,
    }),
  );
}
