/**
 * What attention groups buy on long texts: MNRL training steps (MiniLM shape, random weights, batch 32, dropout
 * 0.1, AdamW) on Financial-QA-10k (question, context) pairs truncated to 256 tokens, with the engine's attention
 * groups (`maxAttentionGroups` default) and with one group per batch, interleaved for --rounds rounds in one
 * process. Prints one JSON line per round and the median ratio.
 * Usage: node --conditions=@contrastive/source --import tsx scripts/bench/attention_groups.ts [--rounds 3]
 */
import { parseArgs } from 'node:util';
import { SentenceEncoder, SentenceTokenizer, presetConfig } from '../../packages/bert/src/index.js';
import { OnnxTrainingEngine } from '../../packages/bert/src/onnx/index.js';
import { exitOnFatalErrors } from '../../packages/core/src/index.js';
import { loadFinancialQa } from '../../packages/data-nli/src/index.js';
import { computeLossAndGradientsExternal, createLoss } from '../../packages/losses/src/index.js';
import { AdamW, initBackend, tf } from '../../packages/tensor-gpu/src/index.js';
import { sharedPath } from '../../test-support/shared.js';
import { miniLmConfigDir } from './data.js';

exitOnFatalErrors('attention_groups');
// No onnxruntime-node telemetry or /tmp/mat-debug-<pid>.log (onnxruntime loads lazily, after this line).
process.env.ORT_DISABLE_TELEMETRY ??= '1';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, steps: { type: 'string', default: '6' } },
});
const rounds = Number(args.rounds);
const steps = Number(args.steps);
await initBackend({ backend: 'wasm' });
const qa = await loadFinancialQa(sharedPath('data', 'financial-qa-10k', 'Financial-QA-10k.csv'));
const queries = qa.column('query').map(String);
const passages = qa.column('positive').map(String);
const encoder = SentenceEncoder.random({
  config: presetConfig('mini'),
  tokenizer: SentenceTokenizer.fromDir(miniLmConfigDir()),
  pooling: 'mean',
  maxSeqLength: 256,
  seed: 1,
});
const engines = {
  groups: await OnnxTrainingEngine.create(encoder, { threads: 2 }),
  one_group: await OnnxTrainingEngine.create(encoder, { threads: 2, maxAttentionGroups: 1 }),
};
const loss = createLoss('mnrl', { scale: 20 });
const optimizer = new AdamW(encoder.namedVariables(), { lr: 2e-5, weightDecay: 0.01 });
/** Warm-up and `steps` timed steps from pair `start` (both configurations of a round see the same batches). */
async function pairsPerSecond(engine: OnnxTrainingEngine, start: number): Promise<number> {
  // Step i trains pairs start + 32·i .. start + 32·i + 31 (wrapping around the data) with seed i's dropout.
  const step = async (i: number) => {
    const first = start + 32 * i;
    const rows = Array.from({ length: 32 }, (_, j) => (first + j) % queries.length);
    const batch = {
      columnNames: ['anchor', 'positive'],
      columns: { anchor: rows.map((r) => queries[r]!), positive: rows.map((r) => passages[r]!) },
      size: rows.length,
    };
    const s = engine.beginStep();
    try {
      const { grads } = await computeLossAndGradientsExternal(loss, encoder, s, batch, {
        training: true,
        seed: first,
        dropoutRate: 0.1,
      });
      optimizer.applyGradients(grads);
      for (const g of grads.values()) g.dispose();
    } finally {
      s.dispose();
    }
  };
  await step(0); // warm-up (the session of this batch's group count)
  const t0 = performance.now();
  for (let i = 1; i <= steps; i++) await step(i);
  tf.tidy(() => tf.sum(encoder.namedVariables()[0]!.variable)).dataSync();
  return Math.round(((steps * 32) / ((performance.now() - t0) / 1000)) * 10) / 10;
}
const ratios: number[] = [];
for (let r = 1; r <= rounds; r++) {
  // The order alternates every round.
  const order = r % 2 ? (['groups', 'one_group'] as const) : (['one_group', 'groups'] as const);
  const got: Record<string, number> = {};
  for (const k of order) got[k] = await pairsPerSecond(engines[k], (r - 1) * (steps + 1) * 32);
  const ratio = Math.round((got.groups! / got.one_group!) * 100) / 100;
  ratios.push(ratio);
  process.stdout.write(
    `${JSON.stringify({ round: r, train_pairs_per_s: got.groups, one_group_train_pairs_per_s: got.one_group, ratio })}\n`,
  );
}
ratios.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({ summary: true, data: 'financial-qa-10k question/context, max 256 tokens', rounds, median_ratio: ratios[Math.floor(ratios.length / 2)] })}\n`,
);
for (const e of Object.values(engines)) await e.release();
