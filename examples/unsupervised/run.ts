// Example 8: training without labels. (a) SimCSE and Contrastive Tension on unlabeled STS-B train sentences;
// (b) MLM domain adaptation (`contrastive pretrain-mlm`) then MNRL fine-tuning on SNLI, against fine-tuning alone;
// (c) GPL (`contrastive gpl`) on Financial-QA passages, its queries written by an OpenAI-compatible chat server —
// offline by default an in-process fake server (it answers with word spans of the passage), or --llm-config with
// a real local server (JSON: base_url, model, api_key). TSDAE is its own example (examples/tsdae). Every model starts from the same
// tiny random init; STS-B dev Spearman (cosine) or Financial-QA nDCG@10 before/after go to results.json.
// Usage: pnpm --filter @contrastive/examples unsupervised [--sentences N] [--steps N] [--llm-config FILE] [--output DIR]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SentenceEncoder } from '@contrastive/bert';
import { exitOnFatalErrors } from '@contrastive/core';
import { Dataset, loadFinancialQa, loadStsb } from '@contrastive/data-nli';
import { createLoss } from '@contrastive/losses';
import { initBackend } from '@contrastive/tensor-gpu';
import { SentenceTransformerTrainer } from '@contrastive/trainer';
import { Command } from 'commander';
import { sharedPath } from '../../test-support/shared.js';
import { contrastive } from '../common/cli.js';
import { financialQaRetrieval } from '../common/evaluate.js';
import { freshTinyModel, nliData, outputRoot, stsEvaluator } from '../common/nli.js';
import { exampleDir, isMain, writeResultsJson } from '../common/results.js';

export interface UnsupervisedOptions {
  sentences?: number;
  steps?: number;
  llmConfig?: string;
  outputDir: string;
  progress?: boolean;
}

/** A stand-in for a chat server: three "queries" per passage, word spans of the passage in the prompt. */
async function fakeChatServer(): Promise<{ url: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      messages: Array<{ content: string }>;
    };
    const words = (body.messages.at(-1)?.content ?? '')
      .replace(/[^\w\s]/g, ' ')
      .split(/\s+/)
      .filter(Boolean)
      .slice(-40);
    const content = [0, 8, 16].map((s, i) => `${i + 1}. ${words.slice(s, s + 6).join(' ')}`).join('\n');
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, server };
}

async function train(model: SentenceEncoder, data: Dataset, loss: string, steps: number, progress: boolean) {
  await new SentenceTransformerTrainer({
    model,
    args: {
      outputDir: join(outputRoot, `unsupervised-${loss}`),
      maxSteps: steps,
      perDeviceTrainBatchSize: 32,
      learningRate: 2e-3,
      warmupRatio: 0.1,
      saveStrategy: 'no',
      batchSampler: loss === 'mnrl' ? 'no_duplicates' : 'batch_sampler',
      progress,
    },
    trainDataset: data,
    loss: createLoss(loss, {}),
    modelName: `tiny-bert ${loss}`,
  }).train();
}

export async function runUnsupervised(o: UnsupervisedOptions) {
  const t0 = Date.now();
  const steps = o.steps ?? 60;
  const progress = o.progress ?? process.stderr.isTTY;
  const sts = await stsEvaluator('dev');
  const stsTrain = await loadStsb(sharedPath('data', 'stsb'), { split: 'train' });
  const sentences = [
    ...new Set([...stsTrain.stringColumn('sentence1'), ...stsTrain.stringColumn('sentence2')]),
  ].slice(0, o.sentences ?? 2000);
  const unlabeled = Dataset.fromColumns({ text: sentences });
  const before = (await sts.evaluate(freshTinyModel())).mainScore;
  const stsDev: Record<string, number> = { before };
  for (const loss of ['simcse', 'ct']) {
    const model = freshTinyModel();
    await trainUnlabeled(model, unlabeled, loss, steps, progress);
    stsDev[loss] = (await sts.evaluate(model)).mainScore;
  }

  // MLM domain adaptation on the same sentences, then MNRL on SNLI; fine-tuning alone for comparison.
  const work = mkdtempSync(join(outputRoot, 'unsupervised-'));
  try {
    writeFileSync(join(work, 'corpus.txt'), `${sentences.join('\n')}\n`);
    const init = join(work, 'init');
    await freshTinyModel().save(init);
    await contrastive(
      [
        'pretrain-mlm',
        '--model',
        init,
        '--corpus',
        join(work, 'corpus.txt'),
        '--output',
        join(work, 'mlm'),
      ].concat(['--max-steps', String(steps), '--batch-size', '32', '--lr', '1e-3', '--no-progress']),
      { quiet: true },
    );
    const nli = await nliData('mnrl', ['dev'], 32 * steps);
    const adapted = await SentenceEncoder.load(join(work, 'mlm'));
    await train(adapted, nli, 'mnrl', steps, progress);
    const plain = freshTinyModel();
    await train(plain, nli, 'mnrl', steps, progress);
    const mlm = {
      mlm_then_mnrl: (await sts.evaluate(adapted)).mainScore,
      mnrl_only: (await sts.evaluate(plain)).mainScore,
    };

    // GPL on Financial-QA passages.
    const retrieval = await financialQaRetrieval(100);
    const qa = await loadFinancialQa(sharedPath('data', 'financial-qa-10k', 'Financial-QA-10k.csv'));
    const passages = [...new Set(qa.stringColumn('positive'))].slice(0, 60);
    writeFileSync(
      join(work, 'corpus.jsonl'),
      passages.map((text, i) => `${JSON.stringify({ _id: `d${i}`, title: '', text })}\n`).join(''),
    );
    const fake = o.llmConfig ? undefined : await fakeChatServer();
    const config = o.llmConfig ?? join(work, 'generator.json');
    if (fake) writeFileSync(config, JSON.stringify({ base_url: fake.url, model: 'fake', api_key: 'unused' }));
    const ce = join(work, 'ce');
    await contrastive(
      [
        'init',
        '--cross-encoder',
        '--num-labels',
        '1',
        '--preset',
        'tiny',
        '--tokenizer',
        sharedPath('fixtures', 'tiny-bert'),
        '--output',
        ce,
      ],
      { quiet: true },
    );
    const gplBefore = (await retrieval.evaluate(await SentenceEncoder.load(init))).mainScore;
    let gplSummary: Record<string, unknown>;
    try {
      gplSummary = await contrastive(
        [
          'gpl',
          '--model',
          init,
          '--corpus',
          join(work, 'corpus.jsonl'),
          '--cross-encoder',
          ce,
          '--generator',
          config,
        ]
          .concat([
            '--output',
            join(work, 'gpl'),
            '--negatives',
            '3',
            '--retriever',
            'bm25',
            '--steps',
            String(steps),
          ])
          .concat(['--batch-size', '16', '--lr', '1e-3', '--concurrency', '2', '--no-progress']),
        { quiet: true },
      );
    } finally {
      await new Promise((r) => fake?.server.close(r) ?? r(undefined));
    }
    const gplAfter = (await retrieval.evaluate(await SentenceEncoder.load(join(work, 'gpl')))).mainScore;
    const results = {
      example: 'unsupervised',
      date: new Date().toISOString().slice(0, 10),
      sentences: sentences.length,
      steps,
      sts_dev_spearman_cosine: { ...stsDev, ...mlm },
      gpl: {
        generator: fake ? 'in-process fake OpenAI-compatible server' : o.llmConfig,
        passages: passages.length,
        financial_qa_ndcg_at_10: { before: gplBefore, after: gplAfter },
        summary: gplSummary,
      },
      tsdae: 'see examples/tsdae (pnpm --filter @contrastive/examples tsdae)',
      seconds: (Date.now() - t0) / 1000,
    };
    writeResultsJson(o.outputDir, results);
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function trainUnlabeled(
  model: SentenceEncoder,
  data: Dataset,
  loss: string,
  steps: number,
  progress: boolean,
) {
  await train(model, data, loss, steps, progress);
}

if (isMain(import.meta.url)) {
  exitOnFatalErrors('unsupervised');
  const int = (flag: string) => (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: expected a positive integer, got "${v}"`);
    return n;
  };
  const opts = new Command('unsupervised')
    .option('--sentences <n>', 'unlabeled STS-B train sentences (default 2000)', int('--sentences'))
    .option('--steps <n>', 'training steps of every run (default 60)', int('--steps'))
    .option(
      '--llm-config <file>',
      'GPL query generator: JSON {base_url, model, api_key} of a real chat server',
    )
    .option('--output <dir>', 'folder for results.json (default: examples/unsupervised)')
    .parse(process.argv)
    .opts<{ sentences?: number; steps?: number; llmConfig?: string; output?: string }>();
  console.error((await initBackend()).summary);
  const r = await runUnsupervised({ ...opts, outputDir: opts.output ?? exampleDir('unsupervised') });
  console.log(JSON.stringify(r));
}
