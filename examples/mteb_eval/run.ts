// Example 9: MTEB-style evaluation of any sentence-transformers model on STS-B dev, Banking77 (logistic
// regression on the embeddings, MTEB's protocol) and a Financial-QA retrieval set; writes results.json and
// results.md (the table). Usage: pnpm --filter @contrastive/examples mteb-eval [--model DIR|HUB_ID] [--full]
import { SentenceEncoder } from '@contrastive/bert';
import { exitOnFatalErrors, resolveUserPath } from '@contrastive/core';
import { type EvaluationResult, resultsTable } from '@contrastive/eval-mteb';
import { initBackend } from '@contrastive/tensor-gpu';
import { Command } from 'commander';
import { sharedPath } from '../../test-support/shared.js';
import { evaluateAll, evaluationSuite } from '../common/evaluate.js';
import { exampleDir, isMain, writeResultsJson, writeResultsMd } from '../common/results.js';

export async function runMtebEval(o: { model: string; full?: boolean; outputDir: string }) {
  const model = await SentenceEncoder.load(o.model);
  const results: EvaluationResult[] = await evaluateAll(model, await evaluationSuite({ full: o.full }));
  const table = resultsTable(results);
  writeResultsJson(o.outputDir, {
    example: 'mteb_eval',
    model: o.model,
    size: o.full ? 'full' : 'small',
    date: new Date().toISOString().slice(0, 10),
    results,
  });
  writeResultsMd(o.outputDir, `# MTEB-style evaluation of ${o.model}\n\n${table}\n`);
  return { results, table };
}

if (isMain(import.meta.url)) {
  exitOnFatalErrors('mteb-eval');
  const opts = new Command('mteb-eval')
    .option('--model <dir|hub id>', 'model to evaluate (default: the tiny fixture in ../shared)')
    .option('--full', 'all of STS-B dev, Banking77 and 1000 retrieval queries')
    .option('--output <dir>', 'folder for results.json and results.md (default: examples/mteb_eval)')
    .parse(process.argv)
    .opts<{ model?: string; full?: boolean; output?: string }>();
  console.error((await initBackend()).summary);
  const model = opts.model
    ? opts.model.startsWith('.') || opts.model.startsWith('/')
      ? resolveUserPath(opts.model)
      : opts.model
    : sharedPath('fixtures', 'tiny-bert');
  const { table } = await runMtebEval({
    model,
    full: opts.full,
    outputDir: opts.output ?? exampleDir('mteb_eval'),
  });
  console.log(table);
}
