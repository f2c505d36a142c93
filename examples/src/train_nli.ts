// Usage: pnpm --filter @contrastive/examples train-nli [softmax|cosine|mnrl ...] [--quick]
// Trains the tiny BERT from the same random init with each loss and prints STS-B dev Spearman (cosine)
// before and after. The published order with real models is softmax < cosine < MNRL.
import { join } from 'node:path';
import { exitOnFatalErrors } from '@contrastive/core';
import { initBackend } from '@contrastive/tensor-gpu';
import { type NliLossName, outputRoot, trainNli } from './nli.js';

exitOnFatalErrors('train-nli');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const losses = (argv.filter((a) => !a.startsWith('--')) as NliLossName[]).filter((l) =>
  ['softmax', 'cosine', 'mnrl'].includes(l),
);
const run = losses.length ? losses : (['softmax', 'cosine', 'mnrl'] as NliLossName[]);

console.error((await initBackend()).summary);
const rows: string[] = [];
for (const loss of run) {
  const r = await trainNli({
    loss,
    outputDir: join(outputRoot, `nli-${loss}`),
    splits: quick ? ['dev'] : ['dev', 'test'],
    args: { progress: !quick },
  });
  const line = `${loss.padEnd(8)} STS-B dev spearman_cosine ${r.before.toFixed(4)} → ${r.after.toFixed(4)}  (${r.steps} steps, ${r.seconds.toFixed(0)} s; model in runs/nli-${loss})`;
  console.log(line);
  rows.push(line);
}
