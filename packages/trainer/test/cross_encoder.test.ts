import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CrossEncoder } from '@contrastive/bert';
import { createLoss } from '@contrastive/losses';
import { initBackend } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import { SentenceTransformerTrainer } from '../src/index.js';

const dirs: string[] = [];
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function snli(split: 'dev' | 'test') {
  const lines = (f: string) => readFileSync(sharedPath('data', 'snli', `${f}.${split}`), 'utf8').split('\n');
  const s1 = lines('s1');
  const s2 = lines('s2');
  const labels = lines('labels');
  const rows = labels.map((l, i) => ({ s1: s1[i]!, s2: s2[i]!, label: l.trim() === 'entailment' ? 1 : 0 }));
  return rows.filter((r, i) => labels[i]!.trim() !== '' && r.s1 !== '');
}

describe('SentenceTransformerTrainer trains a CrossEncoder unchanged', () => {
  it('bce on SNLI dev (entailment vs not) beats the majority baseline on SNLI test', async () => {
    const started = Date.now();
    const model = await CrossEncoder.load(sharedPath('fixtures', 'tiny-cross-encoder'), { maxLength: 40 });
    model.onnxOptions = { threads: 2 };
    const train = snli('dev');
    const data = {
      columnNames: ['sentence1', 'sentence2', 'label'],
      numRows: train.length,
      column: (name: string) =>
        name === 'sentence1'
          ? train.map((r) => r.s1)
          : name === 'sentence2'
            ? train.map((r) => r.s2)
            : train.map((r) => r.label),
    };
    const out = mkdtempSync(join(tmpdir(), 'ce-train-'));
    dirs.push(out);
    const trainer = new SentenceTransformerTrainer({
      model,
      args: {
        outputDir: out,
        numTrainEpochs: 1,
        perDeviceTrainBatchSize: 32,
        learningRate: 2e-3,
        warmupRatio: 0.1,
        saveStrategy: 'no',
        loggingStrategy: 'no',
        progress: false,
        engineThreads: 2,
      },
      trainDataset: data,
      loss: createLoss('bce'),
    });
    await trainer.train();
    const test = snli('test').slice(0, 2000);
    const scores = (await model.predict(
      test.map((r) => [r.s1, r.s2] as [string, string]),
      { batchSize: 128 },
    )) as number[];
    const accuracy = test.filter((r, i) => (scores[i]! > 0.5 ? 1 : 0) === r.label).length / test.length;
    const majority = 1 - test.filter((r) => r.label === 1).length / test.length;
    console.log({ accuracy, majority, seconds: (Date.now() - started) / 1000 });
    expect(accuracy).toBeGreaterThan(majority + 0.02);
    // The trained model saved by the trainer is a cross-encoder folder that loads and scores the same.
    expect(CrossEncoder.isCrossEncoderFolder(out)).toBe(true);
    const again = await CrossEncoder.load(out);
    const pairs = test.slice(0, 8).map((r) => [r.s1, r.s2] as [string, string]);
    expect(await again.predict(pairs, { engine: 'tfjs' })).toEqual(
      await model.predict(pairs, { engine: 'tfjs' }),
    );
    again.dispose();
    model.dispose();
  }, 120_000);
});
