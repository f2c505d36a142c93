/**
 * Where a tfjs training step spends its time: kernel times (tf.profile) of one MNRL step on the mini shape.
 * Usage: node --conditions=@contrastive/source --import tsx scripts/bench/profile_train.ts [--batch 16] [--shape mini]
 */
import { parseArgs } from 'node:util';
import {
  type BertPreset,
  SentenceEncoder,
  SentenceTokenizer,
  presetConfig,
} from '../../packages/bert/src/index.js';
import { exitOnFatalErrors } from '../../packages/core/src/index.js';
import { computeLossAndGradients, createLoss } from '../../packages/losses/src/index.js';
import { AdamW, initBackend, tf } from '../../packages/tensor-gpu/src/index.js';
import { miniLmConfigDir, snliEntailmentPairs } from './data.js';

exitOnFatalErrors('profile_train');

// No onnxruntime-node telemetry or /tmp/mat-debug-<pid>.log (onnxruntime loads lazily, after this line).
process.env.ORT_DISABLE_TELEMETRY ??= '1';

const { values } = parseArgs({
  options: { batch: { type: 'string', default: '16' }, shape: { type: 'string', default: 'mini' } },
});
await initBackend({ backend: 'wasm' });
const tokenizer = SentenceTokenizer.fromDir(miniLmConfigDir());
const encoder = SentenceEncoder.random({
  config: presetConfig(values.shape as BertPreset),
  tokenizer,
  maxSeqLength: 128,
});
const n = Number(values.batch);
const pairs = snliEntailmentPairs().slice(0, n);
const batch = {
  columnNames: ['anchor', 'positive'],
  columns: { anchor: pairs.map((p) => p.premise), positive: pairs.map((p) => p.hypothesis) },
  size: n,
};
const loss = createLoss('mnrl');
const opt = new AdamW(encoder.namedVariables());
const step = () => {
  const { grads } = computeLossAndGradients(loss, encoder, batch, {
    training: true,
    seed: 1,
    dropoutRate: 0.1,
  });
  const t = performance.now();
  opt.applyGradients(grads);
  for (const g of grads.values()) g.dispose();
  return performance.now() - t;
};
step();
const t0 = performance.now();
let adam = 0;
const prof = await tf.profile(() => {
  adam = step();
});
const total = performance.now() - t0;
const byKernel = new Map<string, number>();
for (const k of prof.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
const rows = [...byKernel.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
console.log(
  JSON.stringify({
    total_ms: Math.round(total),
    adamw_ms: Math.round(adam),
    peak_mb: Math.round(prof.peakBytes / 2 ** 20),
  }),
);
for (const [k, ms] of rows) console.log(`${k.padEnd(24)} ${ms.toFixed(0).padStart(7)} ms`);
// Matmuls by operand shapes: XNNPACK takes plain 2-D products; batched or transposed ones take a slow loop.
const mm = new Map<string, { ms: number; calls: number }>();
for (const k of prof.kernels) {
  if (k.name !== 'BatchMatMul') continue;
  const key = JSON.stringify(k.inputShapes);
  const e = mm.get(key) ?? { ms: 0, calls: 0 };
  e.ms += k.kernelTimeMs as number;
  e.calls += 1;
  mm.set(key, e);
}
for (const [shape, e] of [...mm.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
  console.log(`BatchMatMul ${shape.padEnd(40)} ${e.ms.toFixed(0).padStart(6)} ms ${e.calls} calls`);
}
