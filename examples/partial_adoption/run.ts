// Example 10: partial adoption. (a) eval-mteb scoring a transformers.js model: the tiny fixture exported to ONNX
// by `contrastive export`, loaded by @huggingface/transformers' feature-extraction pipeline (local files only) and
// wrapped as an eval-mteb Embedder, scored on STS-B dev next to our own SentenceEncoder; (b) SentenceEncoder alone
// (plain_node.ts). The custom loss in its own package over packed tarballs is scripts/test/packed_install.test.ts.
// Usage: pnpm --filter @contrastive/examples adoption [--output DIR]
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SentenceEncoder } from '@contrastive/bert';
import { exitOnFatalErrors } from '@contrastive/core';
import type { Embedder } from '@contrastive/eval-mteb';
import { initBackend } from '@contrastive/tensor-gpu';
import { Command } from 'commander';
import { sharedPath } from '../../test-support/shared.js';
import { contrastive } from '../common/cli.js';
import { outputRoot, stsEvaluator } from '../common/nli.js';
import { exampleDir, isMain, writeResultsJson } from '../common/results.js';

export async function runPartialAdoption(o: { outputDir: string }) {
  const fixture = sharedPath('fixtures', 'tiny-bert');
  const work = mkdtempSync(join(outputRoot, 'adoption-'));
  try {
    await contrastive(['export', '--model', fixture, '--format', 'onnx', '--output', join(work, 'onnx')], {
      quiet: true,
    });
    const { pipeline, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    const extractor = await pipeline('feature-extraction', join(work, 'onnx'), {
      local_files_only: true,
      dtype: 'fp32',
    });
    // The fixture has mean pooling and no Normalize: the pipeline is told the same.
    const transformersJs: Embedder = {
      embed: async (texts) =>
        (await extractor(texts, { pooling: 'mean', normalize: false })).tolist() as number[][],
    };
    const sts = await stsEvaluator('dev', 500);
    const theirs = await sts.evaluate(transformersJs);
    const ours = await sts.evaluate(await SentenceEncoder.load(fixture));
    const results = {
      example: 'partial_adoption',
      date: new Date().toISOString().slice(0, 10),
      model: fixture,
      sts_dev_500_spearman_cosine: { transformers_js: theirs.mainScore, contrastive: ours.mainScore },
      abs_difference: Math.abs(theirs.mainScore - ours.mainScore),
    };
    writeResultsJson(o.outputDir, results);
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) {
  exitOnFatalErrors('adoption');
  const opts = new Command('adoption')
    .option('--output <dir>', 'folder for results.json (default: examples/partial_adoption)')
    .parse(process.argv)
    .opts<{ output?: string }>();
  console.error((await initBackend()).summary);
  console.log(
    JSON.stringify(await runPartialAdoption({ outputDir: opts.output ?? exampleDir('partial_adoption') })),
  );
}
