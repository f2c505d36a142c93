import { exitOnFatalErrors } from '@contrastive/core';
import { initBackend } from '@contrastive/tensor-gpu';
// Examples 1–3 compared: SoftmaxLoss, CosineSimilarityLoss and MNRL (with and without contradiction hard
// negatives), each from the same random init, evaluated on STS-B dev; writes results.json and results.md.
// Usage: pnpm --filter @contrastive/examples train-nli [softmax|cosine|mnrl|mnrl-pairs ...] [--full] [--output DIR]
import { Command } from 'commander';
import { NLI_VARIANTS, nliTable, runNliVariants } from '../common/nli_example.js';
import { exampleDir, writeResultsMd } from '../common/results.js';

exitOnFatalErrors('train-nli');
const program = new Command('train-nli')
  .argument('[variants...]', `any of ${Object.keys(NLI_VARIANTS).join(', ')} (default: all)`)
  .option('--full', 'full size: SNLI dev + test, no row cap')
  .option('--quick', 'the small size (the default; kept for old scripts)')
  .option('--output <dir>', 'folder for results.json and results.md (default: examples/nli_compare)')
  .parse(process.argv);
const opts = program.opts<{ full?: boolean; output?: string }>();
const variants = program.args.length ? program.args : Object.keys(NLI_VARIANTS);
console.error((await initBackend()).summary);
const outputDir = opts.output ?? exampleDir('nli_compare');
const r = await runNliVariants('nli_compare', variants, { full: opts.full, outputDir });
const table = nliTable(r);
writeResultsMd(
  outputDir,
  `# NLI losses compared (${r.size} size, ${r.date})\n\n${r.metric}; training data: ${r.data}.\n\n${table}\n`,
);
console.log(table);
