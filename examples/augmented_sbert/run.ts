// Example 7: Augmented SBERT (gold only vs gold + silver) through `contrastive augsbert`: a cross-encoder is
// trained on gold STS-B pairs, labels silver pairs sampled from SNLI sentences, and a bi-encoder is trained on gold
// only and on gold + silver from the same init; both are scored on STS-B test.
// Usage: pnpm --filter @contrastive/examples augsbert [--gold N] [--silver N] [--output DIR]
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { exitOnFatalErrors } from '@contrastive/core';
import { Command } from 'commander';
import { sharedPath } from '../../test-support/shared.js';
import { contrastive } from '../common/cli.js';
import { outputRoot } from '../common/nli.js';
import { exampleDir, isMain, writeResultsJson } from '../common/results.js';

export async function runAugmentedSbertExample(o: { gold?: number; silver?: number; outputDir: string }) {
  const t0 = Date.now();
  const work = mkdtempSync(join(outputRoot, 'augsbert-'));
  try {
    const tok = sharedPath('fixtures', 'tiny-bert');
    await contrastive(
      [
        'init',
        '--cross-encoder',
        '--num-labels',
        '2',
        '--preset',
        'tiny',
        '--tokenizer',
        tok,
        '--output',
        join(work, 'ce'),
      ],
      { quiet: true },
    );
    await contrastive(['init', '--preset', 'tiny', '--tokenizer', tok, '--output', join(work, 'bi')], {
      quiet: true,
    });
    const summary = await contrastive([
      'augsbert',
      '--cross-encoder',
      join(work, 'ce'),
      '--bi-encoder',
      join(work, 'bi'),
      '--nli-dir',
      sharedPath('data', 'snli'),
      '--sts-dir',
      sharedPath('data', 'stsb'),
      '--output',
      join(work, 'out'),
      '--gold',
      String(o.gold ?? 500),
      '--silver',
      String(o.silver ?? 1000),
    ]);
    const results = {
      example: 'augmented_sbert',
      date: new Date().toISOString().slice(0, 10),
      ...Object.fromEntries(Object.entries(summary).filter(([k]) => k !== 'cross_encoder')),
      seconds: (Date.now() - t0) / 1000,
    };
    writeResultsJson(o.outputDir, results);
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  exitOnFatalErrors('augsbert');
  const int = (flag: string) => (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: expected a positive integer, got "${v}"`);
    return n;
  };
  const opts = new Command('augsbert')
    .option('--gold <n>', 'gold STS-B pairs (default 500; the reference uses 10000)', int('--gold'))
    .option('--silver <n>', 'silver pairs labeled by the cross-encoder (default 1000)', int('--silver'))
    .option('--output <dir>', 'folder for results.json (default: examples/augmented_sbert)')
    .parse(process.argv)
    .opts<{ gold?: number; silver?: number; output?: string }>();
  const r = await runAugmentedSbertExample({
    ...opts,
    outputDir: opts.output ?? exampleDir('augmented_sbert'),
  });
  console.log(JSON.stringify(r));
}
