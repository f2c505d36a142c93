import { AUTO_WORKERS_MIN_TEXTS, CrossEncoder } from '@contrastive/bert';
import { writeFileAtomic } from '@contrastive/core';
import { readDataFile } from '@contrastive/data-nli';
import { initBackend, parseEngineChoice } from '@contrastive/tensor-gpu';
import { createProgress } from '@contrastive/trainer';
import type { Command } from 'commander';
import { parsePositiveInt } from '../options.js';

export interface ScoreOptions {
  model: string;
  input: string;
  output: string;
  maxLength?: number;
  softmax?: boolean;
  batchSize: number;
  engine: string;
}

/**
 * `contrastive score`: a cross-encoder's score of every (sentence1, sentence2) pair of a file, written as the
 * input rows plus `score` (one label: sentence-transformers' default activation, sigmoid) or `scores` (several
 * labels; softmax with --softmax).
 */
export async function runScore(o: ScoreOptions): Promise<Record<string, unknown>> {
  const data = await readDataFile(o.input);
  for (const c of ['sentence1', 'sentence2'])
    if (!data.columnNames.includes(c))
      throw new Error(`${o.input}: no "${c}" column (columns: ${data.columnNames.join(', ') || 'none'})`);
  const s1 = data.column('sentence1');
  const s2 = data.column('sentence2');
  const pairs = s1.map((a, i) => {
    const b = s2[i];
    if (typeof a !== 'string' || typeof b !== 'string')
      throw new Error(`${o.input}: row ${i + 1}: sentence1 and sentence2 must be texts`);
    return [a, b] as [string, string];
  });
  const engine = parseEngineChoice(o.engine, '--engine');
  await initBackend();
  const model = await CrossEncoder.load(o.model, { maxLength: o.maxLength });
  const report = (line: string) => process.stderr.write(`${line}\n`);
  await model.selectEncodeEngine(engine, report, { bulk: pairs.length >= AUTO_WORKERS_MIN_TEXTS });
  const progress = createProgress('score', pairs.length);
  const scores = await model.predict(pairs, {
    batchSize: o.batchSize,
    applySoftmax: !!o.softmax,
    progress: (done) => progress.update(done),
  });
  progress.stop();
  const rows = data.toRows();
  const lines = rows.map((row, i) => {
    const s = scores[i]!;
    return `${JSON.stringify(typeof s === 'number' ? { ...row, score: s } : { ...row, scores: s })}\n`;
  });
  try {
    writeFileAtomic(o.output, lines.join(''));
  } catch (e) {
    throw new Error(`${o.output}: cannot write output (${(e as Error).message})`);
  }
  await model.release();
  const result = {
    command: 'score',
    model: o.model,
    input: o.input,
    output: o.output,
    pairs: pairs.length,
    num_labels: model.numLabels,
    max_length: model.maxLength,
    engine: model.encodeEngine,
  };
  model.dispose();
  return result;
}

export function registerScore(program: Command): void {
  program
    .command('score')
    .description('Score sentence pairs with a cross-encoder (writes each pair with "score" or "scores")')
    .requiredOption(
      '--model <dir|hub id>',
      'a cross-encoder (BertForSequenceClassification) folder or hub id',
    )
    .requiredOption('--input <file>', 'pairs: JSONL/CSV/TSV/Parquet with sentence1 and sentence2 columns')
    .requiredOption('--output <file.jsonl>', 'each input row with "score" (one label) or "scores"')
    .option(
      '--max-length <n>',
      "pair length in tokens (default the model's)",
      parsePositiveInt('--max-length'),
    )
    .option('--softmax', 'softmax over the labels (several labels)')
    .option('--batch-size <n>', 'pairs per batch', parsePositiveInt('--batch-size'), 32)
    .option('--engine <name>', 'auto | onnx | tfjs', 'auto')
    .action(async (opts: ScoreOptions) => {
      process.stdout.write(`${JSON.stringify(await runScore(opts))}\n`);
    });
}
