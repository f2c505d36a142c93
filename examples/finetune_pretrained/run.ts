// Example 4: fine-tune a pretrained sentence model with MNRL on SNLI (anchor, entailment, contradiction) and
// compare STS-B dev and Banking77 before/after. The model is sentence-transformers/all-MiniLM-L6-v2 from the hub
// when the hub answers, else (offline, CI) the tiny fixture in ../shared; --model picks another.
// Usage: pnpm --filter @contrastive/examples finetune [--model DIR|HUB_ID] [--full] [--output DIR]
import { join } from 'node:path';
import { SentenceEncoder } from '@contrastive/bert';
import { exitOnFatalErrors } from '@contrastive/core';
import { createLoss } from '@contrastive/losses';
import { initBackend } from '@contrastive/tensor-gpu';
import { SentenceTransformerTrainer } from '@contrastive/trainer';
import { Command } from 'commander';
import { sharedPath } from '../../test-support/shared.js';
import { evaluateAll, evaluationSuite } from '../common/evaluate.js';
import { nliData, outputRoot } from '../common/nli.js';
import { exampleDir, isMain, markdownTable, writeResultsJson } from '../common/results.js';

export const HUB_MODEL = 'sentence-transformers/all-MiniLM-L6-v2';

/** The hub model when huggingface.co answers within 3 s (and HF_HUB_OFFLINE is unset), else the fixture. */
export async function defaultModel(): Promise<string> {
  if (!process.env.HF_HUB_OFFLINE) {
    try {
      const r = await fetch(`https://huggingface.co/api/models/${HUB_MODEL}`, {
        signal: AbortSignal.timeout(3000),
      });
      if (r.ok) return HUB_MODEL;
    } catch {
      // offline: fall through to the fixture
    }
  }
  return sharedPath('fixtures', 'tiny-bert');
}

export async function runFinetune(o: {
  model: string;
  full?: boolean;
  outputDir: string;
  progress?: boolean;
}) {
  const t0 = Date.now();
  const model = await SentenceEncoder.load(o.model);
  const suite = await evaluationSuite({ full: o.full, retrieval: false });
  const before = await evaluateAll(model, suite);
  const data = await nliData('mnrl', o.full ? ['dev', 'test'] : ['dev'], o.full ? undefined : 1600);
  const trainer = new SentenceTransformerTrainer({
    model,
    args: {
      outputDir: join(outputRoot, 'finetune'),
      numTrainEpochs: 1,
      perDeviceTrainBatchSize: 32,
      // A pretrained model wants a small rate; the random-weight fixture learns only with a larger one.
      learningRate: o.model.includes('tiny-bert') ? 2e-3 : 2e-5,
      warmupRatio: 0.1,
      saveStrategy: 'no',
      batchSampler: 'no_duplicates',
      progress: o.progress ?? process.stderr.isTTY,
    },
    trainDataset: data,
    loss: createLoss('mnrl', {}),
    modelName: `${o.model} + MNRL on SNLI`,
  });
  const r = await trainer.train();
  const after = await evaluateAll(model, suite);
  const rows = before.map((b, i) => ({
    task: b.task,
    metric: b.mainScoreName,
    before: b.mainScore,
    after: after[i]!.mainScore,
  }));
  const results = {
    example: 'finetune_pretrained',
    model: o.model,
    offline_fixture: o.model.includes('tiny-bert'),
    size: o.full ? 'full' : 'small',
    date: new Date().toISOString().slice(0, 10),
    training_rows: data.numRows,
    steps: r.globalStep,
    rows,
    seconds: (Date.now() - t0) / 1000,
  };
  writeResultsJson(o.outputDir, results);
  return results;
}

if (isMain(import.meta.url)) {
  exitOnFatalErrors('finetune');
  const opts = new Command('finetune')
    .option(
      '--model <dir|hub id>',
      `model to fine-tune (default: ${HUB_MODEL} when online, else the tiny fixture)`,
    )
    .option('--full', 'SNLI dev + test, all of STS-B dev and Banking77')
    .option('--output <dir>', 'folder for results.json (default: examples/finetune_pretrained)')
    .parse(process.argv)
    .opts<{ model?: string; full?: boolean; output?: string }>();
  console.error((await initBackend()).summary);
  const model = opts.model ?? (await defaultModel());
  console.error(`model: ${model}`);
  const r = await runFinetune({
    model,
    full: opts.full,
    outputDir: opts.output ?? exampleDir('finetune_pretrained'),
  });
  console.log(
    markdownTable(
      ['task', 'metric', 'before', 'after'],
      r.rows.map((x) => [x.task, x.metric, x.before, x.after]),
    ),
  );
}
