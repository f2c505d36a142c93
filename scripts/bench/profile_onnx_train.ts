/**
 * Where the time of one ONNX-engine training step goes (MNRL, batch 32, MiniLM shape, dropout 0.1): prints the
 * mean milliseconds per step of each phase as one JSON line.
 * Usage: node --conditions=@contrastive/source --import tsx scripts/bench/profile_onnx_train.ts [--steps 5] [--threads 2]
 */
import { parseArgs } from 'node:util';
import { SentenceEncoder, SentenceTokenizer, presetConfig } from '../../packages/bert/src/index.js';
import { OnnxTrainingEngine } from '../../packages/bert/src/onnx/index.js';
import { OnnxBertTrainer } from '../../packages/bert/src/onnx/training/internal/bert_engine.js';
import { exitOnFatalErrors } from '../../packages/core/src/index.js';
import { computeLossAndGradientsExternal, createLoss } from '../../packages/losses/src/index.js';
import { AdamW, globalNorm, initBackend, tf } from '../../packages/tensor-gpu/src/index.js';
import { miniLmConfigDir, snliEntailmentPairs } from './data.js';

exitOnFatalErrors('profile_onnx_train');

// No onnxruntime-node telemetry or /tmp/mat-debug-<pid>.log (onnxruntime loads lazily, after this line).
process.env.ORT_DISABLE_TELEMETRY ??= '1';

const { values: args } = parseArgs({
  options: { steps: { type: 'string', default: '5' }, threads: { type: 'string', default: '2' } },
});
const steps = Number(args.steps);
const ms: Record<string, number> = {};
const add = (k: string, t0: number) => {
  ms[k] = (ms[k] ?? 0) + performance.now() - t0;
};
// Wrap the engine's phases (prototype methods) with timers.
const proto = OnnxBertTrainer.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
for (const name of ['snapshotWeights', 'forward', 'backward']) {
  const orig = proto[name]!;
  proto[name] = function (this: unknown, ...a: unknown[]) {
    const t0 = performance.now();
    const r = orig.apply(this, a);
    if (r instanceof Promise) return r.finally(() => add(`engine.${name}`, t0));
    add(`engine.${name}`, t0);
    return r;
  };
}

await initBackend({ backend: 'wasm' });
const config = presetConfig('mini');
const tokenizer = SentenceTokenizer.fromDir(miniLmConfigDir());
const encoder = SentenceEncoder.random({ config, tokenizer, pooling: 'mean', maxSeqLength: 128, seed: 1 });
const engine = await OnnxTrainingEngine.create(encoder, { threads: Number(args.threads) });
const loss = createLoss('mnrl', { scale: 20 });
const optimizer = new AdamW(encoder.namedVariables(), { lr: 2e-5, weightDecay: 0.01 });
const pairs = snliEntailmentPairs();
for (let i = 0; i <= steps; i++) {
  if (i === 1) for (const k of Object.keys(ms)) delete ms[k];
  const rows = pairs.slice(i * 32, (i + 1) * 32);
  const batch = {
    columnNames: ['anchor', 'positive'],
    columns: { anchor: rows.map((r) => r.premise), positive: rows.map((r) => r.hypothesis) },
    size: rows.length,
  };
  let t0 = performance.now();
  const step = engine.beginStep();
  const { grads } = await computeLossAndGradientsExternal(loss, encoder, step, batch, {
    training: true,
    seed: i,
    dropoutRate: 0.1,
  });
  step.dispose();
  add('lossAndGradients', t0);
  t0 = performance.now();
  const norm = globalNorm(grads.values());
  add('gradNorm', t0);
  t0 = performance.now();
  optimizer.applyGradients(grads);
  for (const g of grads.values()) g.dispose();
  tf.tidy(() => tf.sum(encoder.namedVariables()[0]!.variable)).dataSync();
  add('adamw', t0);
  void norm;
}
await engine.release();
const out: Record<string, number> = {};
for (const [k, v] of Object.entries(ms)) out[k] = Math.round(v / steps);
out.rss_mb = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write(`${JSON.stringify(out)}\n`);
