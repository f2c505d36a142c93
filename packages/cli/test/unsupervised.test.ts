import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SentenceEncoder } from '@contrastive/bert';
import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { lastJsonLine, loggedLosses, stsSentences } from '../../../test-support/training_output.js';
import { type TrainRun, initTinyArgs, runTrainCli } from './helpers.js';

const tokenizerDir = sharedPath('models', 'all-MiniLM-L6-v2-config');
let dir: string;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  dir = tempDir('unsupervised-cli-');
  const r = await runCli(initTinyArgs(tokenizerDir, join(dir, 'model')));
  expect(r.status, r.stderr).toBe(0);
});

/**
 * `contrastive train` on `dir`/`file` from this file's tiny model (unless `run.model`): no progress, no
 * checkpoints, seed 1, `flags` besides.
 */
const trainOn = (file: string, run: Omit<TrainRun, 'train'>, flags: string[] = []) =>
  runTrainCli({ model: join(dir, 'model'), train: join(dir, file), progress: false, ...run }, [
    ...flags,
    '--save-strategy',
    'no',
    '--seed',
    '1',
  ]);

describe('contrastive train on plain sentences', async () => {
  it('--loss simcse on 2k STS-B sentences (.txt) lowers the logged loss by ≥ 20% in 150 steps', async () => {
    writeFileSync(join(dir, 'sts.txt'), `${stsSentences(2000).join('\n')}\n`);
    const out = join(dir, 'simcse');
    const r = await trainOn('sts.txt', { loss: 'simcse', output: out, maxSteps: 150, batchSize: 16 }, [
      '--lr',
      '1e-3',
      '--logging-steps',
      '10',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(lastJsonLine(r.stdout).steps).toBe(150);
    const losses = loggedLosses(out);
    expect(losses).toHaveLength(15);
    expect(losses[losses.length - 1]!).toBeLessThan(0.8 * losses[0]!);
  }, 180_000);

  it('--loss ct on {"text"} JSONL trains and saves', async () => {
    const rows = stsSentences(64).map((text) => JSON.stringify({ text }));
    writeFileSync(join(dir, 'sentences.jsonl'), `${rows.join('\n')}\n`);
    const out = join(dir, 'ct');
    const r = await trainOn('sentences.jsonl', { loss: 'ct', output: out, maxSteps: 4, batchSize: 16 }, [
      '--logging-steps',
      '2',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(lastJsonLine(r.stdout).train_loss).toBeGreaterThan(0);
  }, 120_000);
});

describe('contrastive train: the triplet family and MegaBatchMarginLoss', async () => {
  it('batch-hard / batch-all / batch-semi-hard on (text, label); mega-batch-margin on (anchor, positive)', async () => {
    const lines = readFileSync(sharedPath('data', 'banking77', 'train.csv'), 'utf8')
      .split(/\r?\n/)
      .slice(1, 400);
    const rows = lines
      .map((l) => /^"?(.*?)"?,([a-z_]+)$/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null);
    const cats = [...new Set(rows.map((m) => m[2]!))];
    writeFileSync(
      join(dir, 'labelled.jsonl'),
      `${rows.map((m) => JSON.stringify({ text: m[1], label: cats.indexOf(m[2]!) })).join('\n')}\n`,
    );
    const s = stsSentences(64);
    writeFileSync(
      join(dir, 'pairs.jsonl'),
      `${s
        .slice(0, 32)
        .map((a, i) => JSON.stringify({ anchor: a, positive: s[32 + i] }))
        .join('\n')}\n`,
    );
    for (const [loss, file] of [
      ['batch-hard-triplet', 'labelled.jsonl'],
      ['batch-all-triplet', 'labelled.jsonl'],
      ['batch-semi-hard-triplet', 'labelled.jsonl'],
      ['mega-batch-margin', 'pairs.jsonl'],
    ] as const) {
      const out = join(dir, loss);
      const extra = file === 'labelled.jsonl' ? ['--batch-sampler', 'group_by_label'] : [];
      const r = await trainOn(file, { loss, output: out, maxSteps: 2, batchSize: 16 }, [
        '--logging-steps',
        '1',
        ...extra,
      ]);
      expect(r.status, `${loss}: ${r.stderr}`).toBe(0);
      expect(Number.isFinite(lastJsonLine(r.stdout).train_loss), loss).toBe(true);
    }
    // Wrong layout: a clear error naming what the loss needs.
    const bad = await trainOn('pairs.jsonl', {
      loss: 'batch-hard-triplet',
      output: join(dir, 'bad'),
      maxSteps: 1,
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/BatchHardTripletLoss needs \(text\) with an integer class label/);
  }, 180_000);
});

describe('contrastive pretrain-mlm', async () => {
  it('MLM loss falls on a small corpus; the output loads as a SentenceEncoder and fine-tunes', async () => {
    writeFileSync(join(dir, 'corpus.txt'), `${stsSentences(400).join('\n')}\n`);
    const out = join(dir, 'mlm');
    const r = await runCli(
      ['pretrain-mlm', '--model', join(dir, 'model'), '--corpus', join(dir, 'corpus.txt'), '--output', out]
        .concat(['--max-steps', '40', '--batch-size', '16', '--lr', '1e-3', '--logging-steps', '10'])
        .concat(['--save-steps', '20', '--whole-word-mask']),
    );
    expect(r.status, r.stderr).toBe(0);
    // BERT's passes on the native engine, the head on tfjs.
    expect(r.stderr).toMatch(/training engine: onnxruntime-node/);
    expect(r.stderr).toMatch(/no masked-LM head/);
    expect(lastJsonLine(r.stdout)).toMatchObject({ steps: 40, head: 'random', sentences: 400 });
    const losses = loggedLosses(out);
    expect(losses).toHaveLength(4);
    expect(losses[3]!).toBeLessThan(losses[0]! - 0.3);
    const encoder = await SentenceEncoder.load(out);
    expect(encoder.pooling.modes).toEqual(['mean']);
    encoder.dispose();
    const ft = await trainOn('corpus.txt', {
      model: out,
      loss: 'simcse',
      output: join(dir, 'ft'),
      maxSteps: 2,
      batchSize: 8,
    });
    expect(ft.status, ft.stderr).toBe(0);
    const bad = await runCli([
      'pretrain-mlm',
      '--model',
      join(dir, 'model'),
      '--corpus',
      join(dir, 'corpus.txt'),
    ]);
    expect(bad.stderr).toMatch(/--output is required/);
  }, 180_000);
});
