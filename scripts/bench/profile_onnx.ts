/**
 * Where the ONNX engine's time goes: runs the length-sorted encode pass of the benchmark under onnxruntime's
 * profiler and prints milliseconds per operator type (after onnxruntime's own fusions).
 *
 *   node --conditions=@contrastive/source --import tsx scripts/bench/profile_onnx.ts [mini|base] [contrib|standard]
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BertPreset,
  SentenceEncoder,
  SentenceTokenizer,
  presetConfig,
} from '../../packages/bert/src/index.js';
import {
  type OnnxOpSet,
  buildBertGraph,
  encodeModel,
  loadOnnxRuntime,
} from '../../packages/bert/src/onnx/index.js';
import { exitOnFatalErrors } from '../../packages/core/src/index.js';
import { initBackend } from '../../packages/tensor-gpu/src/index.js';
import { miniLmConfigDir, snliEntailmentPairs } from './data.js';

exitOnFatalErrors('profile_onnx');

// No onnxruntime-node telemetry or /tmp/mat-debug-<pid>.log (onnxruntime loads lazily, after this line).
process.env.ORT_DISABLE_TELEMETRY ??= '1';

const shape = (process.argv[2] ?? 'mini') as BertPreset;
const ops = (process.argv[3] ?? 'contrib') as OnnxOpSet;
await initBackend({ backend: 'wasm' });
const texts = snliEntailmentPairs()
  .slice(0, 1024)
  .map((p) => p.premise)
  .sort((a, b) => b.length - a.length);
const enc = SentenceEncoder.random({
  config: presetConfig(shape),
  tokenizer: SentenceTokenizer.fromDir(miniLmConfigDir()),
  maxSeqLength: 128,
});
const ort = await loadOnnxRuntime();
const bytes = encodeModel(
  buildBertGraph({
    config: enc.bert.config,
    weights: await enc.bert.exportWeights(),
    ops,
    output: 'sentence_embedding',
    // The head modules' ONNX forms (Pooling), as the encode path fuses them.
    head: enc.modules.flatMap((m) => m.onnx?.() ?? []),
  }),
);
const prefix = join(mkdtempSync(join(tmpdir(), 'onnx-profile-')), 'profile');
const session = await ort.InferenceSession.create(bytes, {
  intraOpNumThreads: 2,
  graphOptimizationLevel: 'all',
  enableProfiling: true,
  profileFilePrefix: prefix,
});
for (let s = 0; s < texts.length; s += 64) {
  const b = enc.tokenizer.encodeBatch(texts.slice(s, s + 64), 128);
  const t = (a: Int32Array) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(a, (v) => BigInt(v)),
      [b.batchSize, b.length],
    );
  await session.run({ input_ids: t(b.inputIds), attention_mask: t(b.attentionMask) }, ['sentence_embedding']);
}
session.endProfiling();
await session.release();
const dir = join(prefix, '..');
const file = readdirSync(dir).find((f) => f.endsWith('.json'));
if (!file) throw new Error(`${dir}: onnxruntime wrote no profile`);
const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Array<{
  cat?: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}>;
const byOp = new Map<string, number>();
let total = 0;
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const op = e.args?.op_name ?? '?';
  byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
  total += e.dur;
}
for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1])) {
  console.log(
    JSON.stringify({ op, ms: Math.round(us / 100) / 10, share: Math.round((1000 * us) / total) / 10 }),
  );
}
