// Examples 1–3 share this runner: train the tiny BERT on SNLI with one loss (from the same random init) and
// report STS-B dev Spearman (cosine) before and after, into the example's results.json.
import { join } from 'node:path';
import { exitOnFatalErrors } from '@contrastive/core';
import { Command } from 'commander';

import { initBackend } from '@contrastive/tensor-gpu';
import { type NliLossName, type NliRunResult, outputRoot, trainNli } from './nli.js';
import { exampleDir, markdownTable, writeResultsJson } from './results.js';

export interface NliVariant {
  /** Row label in the tables. */
  label: string;
  loss: NliLossName;
  hardNegatives?: boolean;
}

export const NLI_VARIANTS: Record<string, NliVariant> = {
  softmax: { label: 'SoftmaxLoss', loss: 'softmax' },
  cosine: { label: 'CosineSimilarityLoss', loss: 'cosine' },
  mnrl: { label: 'MNRL (+ contradiction as hard negative)', loss: 'mnrl', hardNegatives: true },
  'mnrl-pairs': { label: 'MNRL (anchor, entailment) only', loss: 'mnrl', hardNegatives: false },
};

export interface NliExampleOptions {
  /** Full size: SNLI dev + test (≈19.7k pairs). Small (default): SNLI dev, capped at maxRows. */
  full?: boolean;
  maxRows?: number;
  outputDir: string;
  progress?: boolean;
}

/** Small default: at most this many training rows per run (~100 steps of 32 on 2 cores). */
export const SMALL_MAX_ROWS = 3200;

export interface NliExampleRow extends NliRunResult {
  variant: string;
  label: string;
}

export interface NliExampleResults {
  example: string;
  size: 'small' | 'full';
  data: string;
  metric: string;
  date: string;
  rows: NliExampleRow[];
}

export async function runNliVariants(
  example: string,
  variants: readonly string[],
  o: NliExampleOptions,
): Promise<NliExampleResults> {
  const rows: NliExampleRow[] = [];
  for (const name of variants) {
    const v = NLI_VARIANTS[name];
    if (!v) throw new Error(`unknown NLI variant "${name}" (known: ${Object.keys(NLI_VARIANTS).join(', ')})`);
    const r = await trainNli({
      loss: v.loss,
      hardNegatives: v.hardNegatives,
      outputDir: join(outputRoot, `nli-${name}`),
      splits: o.full ? ['dev', 'test'] : ['dev'],
      maxRows: o.full ? o.maxRows : (o.maxRows ?? SMALL_MAX_ROWS),
      args: { progress: o.progress ?? process.stderr.isTTY },
    });
    rows.push({ variant: name, label: v.label, ...r });
    console.error(`${v.label}: STS-B dev spearman_cosine ${r.before.toFixed(4)} → ${r.after.toFixed(4)}`);
  }
  const results: NliExampleResults = {
    example,
    size: o.full ? 'full' : 'small',
    data: o.full ? 'SNLI dev+test' : `SNLI dev, at most ${o.maxRows ?? SMALL_MAX_ROWS} rows`,
    metric: 'STS-B dev Spearman (cosine), fresh tiny BERT (random init, seed 42), 1 epoch',
    date: new Date().toISOString().slice(0, 10),
    rows,
  };
  writeResultsJson(o.outputDir, results);
  return results;
}

export function nliTable(r: NliExampleResults): string {
  return markdownTable(
    ['loss', 'STS-B dev before', 'after', 'training rows', 'steps', 'seconds'],
    r.rows.map((x) => [x.label, x.before, x.after, x.rows, x.steps, Math.round(x.seconds)]),
  );
}

/** The command line every NLI example shares: `--full`, `--max-rows N`, `--output DIR`. */
export async function nliExampleMain(
  example: string,
  variants: readonly string[],
): Promise<NliExampleResults> {
  exitOnFatalErrors(example);
  const program = new Command(example)
    .option('--full', 'full size: SNLI dev + test, no row cap')
    .option('--max-rows <n>', 'cap on training rows', (s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n <= 0)
        throw new Error(`--max-rows: expected a positive integer, got "${s}"`);
      return n;
    })
    .option('--output <dir>', 'folder for results.json (default: the example folder)')
    .parse(process.argv);
  const opts = program.opts<{ full?: boolean; maxRows?: number; output?: string }>();
  console.error((await initBackend()).summary);
  const r = await runNliVariants(example, variants, {
    full: opts.full,
    maxRows: opts.maxRows,
    outputDir: opts.output ?? exampleDir(example),
  });
  console.log(nliTable(r));
  return r;
}
