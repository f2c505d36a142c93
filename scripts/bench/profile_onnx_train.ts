/**
 * Where the time of one ONNX-engine training step goes (MNRL, batch 32, MiniLM shape, dropout 0.1): prints the
 * mean milliseconds per step of each phase as one JSON line, the warm-up step left out; `gc_pauses`: V8's
 * garbage-collection pauses within those phases (onnxruntime-node returns every output in a new ArrayBuffer: a
 * step's weight gradients, tens of MB, are what the collector works for). `--ort-profile`: also onnxruntime's own
 * profile of the sessions that ran, milliseconds per step by operator type (which kernels the time is in), and by
 * kind (`runSummary`: the matrix products, attention and its head layout, the other kernels, the time between
 * kernels) with the kernel count per step.
 * `--per-step`: each step's milliseconds and minor page faults on stderr (the first steps grow the heaps).
 * Usage: node --conditions=@contrastive/source --import tsx scripts/bench/profile_onnx_train.ts [--steps 5]
 *   [--threads 2] [--dropout 0.1] [--per-step] [--ort-profile]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { SentenceEncoder, SentenceTokenizer, presetConfig } from '../../packages/bert/src/index.js';
import { OnnxTrainingEngine } from '../../packages/bert/src/onnx/index.js';
import { OnnxTrainingStep } from '../../packages/bert/src/onnx/training/engine.js';
import { OnnxBertTrainer } from '../../packages/bert/src/onnx/training/internal/bert_engine.js';
import { exitOnFatalErrors } from '../../packages/core/src/index.js';
import { computeLossAndGradientsExternal, createLoss } from '../../packages/losses/src/index.js';
import { AdamW, globalNorm, initBackend } from '../../packages/tensor-gpu/src/index.js';
import {
  eventsFromRun,
  microsecondsByOp,
  profileSessions,
  runSummary,
} from '../../test-support/ort_profile.js';
import { miniLmConfigDir, snliEntailmentPairs } from './data.js';

exitOnFatalErrors('profile_onnx_train');

// No onnxruntime-node telemetry or /tmp/mat-debug-<pid>.log (onnxruntime loads lazily, after this line).
process.env.ORT_DISABLE_TELEMETRY ??= '1';

const { values: args } = parseArgs({
  options: {
    steps: { type: 'string', default: '5' },
    threads: { type: 'string', default: '2' },
    'ort-profile': { type: 'boolean', default: false },
    dropout: { type: 'string', default: '0.1' },
    'per-step': { type: 'boolean', default: false },
  },
});
const steps = Number(args.steps);
const ms: Record<string, number> = {};
const add = (k: string, t0: number) => {
  ms[k] = (ms[k] ?? 0) + performance.now() - t0;
};
/** Wraps prototype methods with timers, added up under `<prefix>.<name>` (a promise is timed to its end). */
function timeMethods(prototype: object, names: string[], prefix: string): void {
  const proto = prototype as Record<string, (...a: unknown[]) => unknown>;
  for (const name of names) {
    const orig = proto[name]!;
    proto[name] = function (this: unknown, ...a: unknown[]) {
      const t0 = performance.now();
      const r = orig.apply(this, a);
      if (r instanceof Promise) return r.finally(() => add(`${prefix}.${name}`, t0));
      add(`${prefix}.${name}`, t0);
      return r;
    };
  }
}
// The engine's phases, and the step's gradients() (copies into tfjs tensors, the embedding scatter).
timeMethods(
  OnnxBertTrainer.prototype,
  ['snapshotWeights', 'forwardParts', 'backwardParts', 'fusedStep'],
  'engine',
);
timeMethods(OnnxTrainingStep.prototype, ['gradients'], 'step');

// onnxruntime's profiler, switched on for every session the engine creates (forward and backward graphs);
// every session's run() is timed (`ort.run`: the wall time inside onnxruntime, the rest of a phase is JS).
const profileDir = args['ort-profile'] ? mkdtempSync(join(tmpdir(), 'ort-profile-')) : undefined;
const profiler = await profileSessions({ dir: profileDir, onRun: (t0) => add('ort.run', t0) });

await initBackend({ backend: 'wasm' });
const config = presetConfig('mini');
const tokenizer = SentenceTokenizer.fromDir(miniLmConfigDir());
const encoder = SentenceEncoder.random({ config, tokenizer, pooling: 'mean', maxSeqLength: 128, seed: 1 });
const engine = await OnnxTrainingEngine.create(encoder, { threads: Number(args.threads) });
const loss = createLoss('mnrl', { scale: 20 });
const optimizer = new AdamW(encoder.namedVariables(), { lr: 2e-5, weightDecay: 0.01 });
const pairs = snliEntailmentPairs();
let lastFaults = process.resourceUsage().minorPageFault;
// V8's collection pauses (the entries arrive asynchronously, each with its start time): those from the first timed
// step's start on.
let timedFrom = Number.POSITIVE_INFINITY;
const gc = new PerformanceObserver((list) => {
  for (const e of list.getEntries())
    if (e.startTime >= timedFrom) ms.gc_pauses = (ms.gc_pauses ?? 0) + e.duration;
});
gc.observe({ entryTypes: ['gc'] });
for (let i = 0; i <= steps; i++) {
  if (i === 1) {
    for (const k of Object.keys(ms)) delete ms[k];
    timedFrom = performance.now();
  }
  const rows = pairs.slice(i * 32, (i + 1) * 32);
  const batch = {
    columnNames: ['anchor', 'positive'],
    columns: { anchor: rows.map((r) => r.premise), positive: rows.map((r) => r.hypothesis) },
    size: rows.length,
  };
  let t0 = performance.now();
  const stepStart = t0;
  const step = engine.beginStep();
  const { grads } = await computeLossAndGradientsExternal(loss, encoder, step, batch, {
    training: true,
    seed: i,
    dropoutRate: Number(args.dropout),
  });
  step.dispose();
  add('lossAndGradients', t0);
  t0 = performance.now();
  const norm = globalNorm(grads.values());
  add('gradNorm', t0);
  t0 = performance.now();
  // tfjs-wasm runs each kernel synchronously: the update has been applied when this returns (no read-back to wait
  // for; a sum of the 30k-row embedding table here once added its own milliseconds to this phase).
  optimizer.applyGradients(grads, { disposeGradients: true });
  add('adamw', t0);
  if (args['per-step']) {
    const faults = process.resourceUsage().minorPageFault;
    process.stderr.write(
      `${JSON.stringify({ step: i, ms: Math.round(performance.now() - stepStart), minor_page_faults: faults - lastFaults })}\n`,
    );
    lastFaults = faults;
  }
  void norm;
}
gc.disconnect();
const out: Record<string, unknown> = {};
if (profileDir) {
  // Every session the engine created that ran.
  for (const events of profiler.finish()) {
    // Each session's runs after its first (the warm-up step's, which also grows onnxruntime's arena and touches
    // its pages first).
    const summary = runSummary(events, 1);
    if (!summary) continue;
    const byOp = Object.fromEntries(microsecondsByOp(eventsFromRun(events, 1)));
    // Microseconds over the timed steps → milliseconds per step.
    const perStep = (us: number) => Math.round(us / 1000 / steps);
    // Sessions come in forward/backward pairs per variant (dropout, attention groups); only the backward graph
    // has ReduceMean (LayerNorm backward). Variants that ran are summed.
    const graph = 'ReduceMean' in byOp ? 'backward' : 'forward';
    const prev = (out[`ort.${graph}`] ?? {}) as Record<string, number>;
    const sum = (o: Record<string, number>) =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v + (prev[k] ?? 0)]));
    out[`ort.${graph}`] = sum({
      run_ms: perStep(summary.runMs * 1000),
      ...Object.fromEntries(Object.entries(byOp).map(([op, us]) => [op, perStep(us)])),
    });
    // The same time by kind of kernel, and the kernels per step.
    const kinds = (out['ort.kinds'] ?? {}) as Record<string, number>;
    const addKind = (k: string, total: number) => {
      kinds[k] = (kinds[k] ?? 0) + total / steps;
    };
    for (const [kind, { ms: total }] of Object.entries(summary.byKind)) addKind(`${kind} ms`, total);
    addKind('between kernels ms', summary.betweenKernelsMs);
    addKind('kernels', summary.kernels);
    out['ort.kinds'] = kinds;
  }
  const kinds = out['ort.kinds'] as Record<string, number> | undefined;
  if (kinds) for (const k of Object.keys(kinds)) kinds[k] = Math.round(kinds[k]!);
  if (process.env.KEEP_ORT_PROFILE) process.stderr.write(`ort profiles kept in ${profileDir}\n`);
  else rmSync(profileDir, { recursive: true, force: true });
}
await engine.release();
for (const [k, v] of Object.entries(ms)) out[k] = Math.round(v / steps);
// (ort.* first: the phases above are the headline, onnxruntime's breakdown follows)
out.rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(`${JSON.stringify(out)}\n`);
