// Usage: pnpm --filter @contrastive/examples tsdae [--sentences N] [--steps N] [--batch-size N] [--lr X]
// TSDAE (sentence-transformers' DenoisingAutoEncoderLoss) on unlabeled STS-B train sentences: a fresh tiny BERT
// with CLS pooling, each sentence noised by word deletion (ratio 0.6) and reconstructed by a decoder tied to the
// encoder; reports the logged training loss (first/last) and STS-B dev Spearman before and after.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Dataset } from '@contrastive/data-nli';
import { DenoisingAutoEncoderLoss } from '@contrastive/losses';
import { initBackend } from '@contrastive/tensor-gpu';
import { SentenceTransformerTrainer } from '@contrastive/trainer';
import { sharedPath } from '../../test-support/shared.js';
import { freshTinyModel, outputRoot, stsEvaluator } from '../common/nli.js';

export interface TsdaeOptions {
  /** Unlabeled sentences: sentence1 then sentence2 of STS-B train, first N distinct (default 2000). */
  sentences?: number;
  steps?: number;
  batchSize?: number;
  /** Default 1e-3: a fresh tiny model (the reference's 3e-5 is for a pretrained BERT). */
  learningRate?: number;
  outputDir?: string;
  progress?: boolean;
  seed?: number;
}

export interface TsdaeResult {
  sentences: number;
  steps: number;
  loss: { first: number; last: number };
  stsb_dev_spearman: { before: number; after: number };
  seconds: number;
}

/** Distinct STS-B train sentences (the original release: columns 6 and 7, tab-separated), labels unused. */
export function stsbSentences(n: number): string[] {
  const out = new Set<string>();
  for (const line of readFileSync(sharedPath('data', 'stsb', 'sts-train.csv'), 'utf8').split('\n')) {
    const cols = line.split('\t');
    for (const s of [cols[5], cols[6]]) if (s && out.size < n) out.add(s.trim());
    if (out.size >= n) break;
  }
  return [...out];
}

export async function runTsdae(o: TsdaeOptions = {}): Promise<TsdaeResult> {
  const start = Date.now();
  const texts = stsbSentences(o.sentences ?? 2000);
  const model = freshTinyModel(o.seed ?? 42);
  model.pooling = { dimension: model.bert.config.hidden_size, modes: ['cls'], includePrompt: true };
  const evaluator = await stsEvaluator('dev');
  const before = (await evaluator.evaluate(model)).mainScore;
  const outputDir = o.outputDir ?? join(outputRoot, 'tsdae');
  rmSync(outputDir, { recursive: true, force: true });
  const loss = new DenoisingAutoEncoderLoss();
  const trainer = new SentenceTransformerTrainer({
    model,
    args: {
      outputDir,
      maxSteps: o.steps ?? 150,
      perDeviceTrainBatchSize: o.batchSize ?? 8,
      learningRate: o.learningRate ?? 1e-3,
      lrSchedulerType: 'constant',
      loggingSteps: 10,
      saveStrategy: 'no',
      seed: o.seed ?? 42,
      progress: o.progress ?? true,
    },
    trainDataset: Dataset.fromColumns({ text: texts }),
    loss,
  });
  const r = await trainer.train();
  const losses = trainer.state.logHistory.filter((m) => 'loss' in m).map((m) => Number(m.loss));
  const after = (await evaluator.evaluate(model)).mainScore;
  loss.dispose();
  model.dispose();
  return {
    sentences: texts.length,
    steps: r.globalStep,
    loss: { first: losses[0]!, last: losses[losses.length - 1]! },
    stsb_dev_spearman: { before, after },
    seconds: Math.round((Date.now() - start) / 1000),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  console.error((await initBackend()).summary);
  const r = await runTsdae({
    sentences: arg('sentences'),
    steps: arg('steps'),
    batchSize: arg('batch-size'),
    learningRate: arg('lr'),
  });
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
