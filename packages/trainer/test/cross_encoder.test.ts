import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CrossEncoder } from '@contrastive/bert';
import { createLoss } from '@contrastive/losses';
import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { SentenceTransformerTrainer } from '../src/index.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

function snli(split: 'dev' | 'test') {
  const lines = (f: string) => readFileSync(sharedPath('data', 'snli', `${f}.${split}`), 'utf8').split('\n');
  const s1 = lines('s1');
  const s2 = lines('s2');
  const labels = lines('labels');
  const rows = labels.map((l, i) => ({ s1: s1[i]!, s2: s2[i]!, label: l.trim() === 'entailment' ? 1 : 0 }));
  return rows.filter((r, i) => labels[i]!.trim() !== '' && r.s1 !== '');
}

/** SNLI rows as the trainer's (sentence1, sentence2, label) data set. */
function pairDataset(rows: ReturnType<typeof snli>) {
  return {
    columnNames: ['sentence1', 'sentence2', 'label'],
    numRows: rows.length,
    column: (name: string) =>
      name === 'sentence1'
        ? rows.map((r) => r.s1)
        : name === 'sentence2'
          ? rows.map((r) => r.s2)
          : rows.map((r) => r.label),
  };
}

describe('SentenceTransformerTrainer trains a CrossEncoder unchanged', () => {
  it('bce on SNLI dev (entailment vs not) beats the majority baseline on SNLI test', async () => {
    const started = Date.now();
    const model = await CrossEncoder.load(sharedPath('fixtures', 'tiny-cross-encoder'), { maxLength: 40 });
    model.onnxOptions = { threads: 2 };
    const train = snli('dev');
    const data = pairDataset(train);
    const out = tempDir('ce-train-');
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

  it("picks the best model by a cross-encoder evaluator's declared main score, as for a bi-encoder", async () => {
    const model = await CrossEncoder.load(sharedPath('fixtures', 'tiny-cross-encoder'), { maxLength: 24 });
    model.onnxOptions = { threads: 2 };
    const train = snli('dev').slice(0, 48);
    const data = pairDataset(train);
    // The main score peaks at the second evaluation (step 4); the first-listed metric, the trainer's last
    // resort, peaks at the first (step 2), so each rule picks a different checkpoint. The fourth evaluation
    // runs after the best model is reloaded.
    const main = [0.2, 0.9, 0.5, 0];
    const first = [0.9, 0.1, 0.3, 0];
    const predicted: number[] = [];
    let call = 0;
    const pairs = train.slice(0, 4).map((r) => [r.s1, r.s2] as [string, string]);
    const out = tempDir('ce-best-');
    const trainer = new SentenceTransformerTrainer({
      model,
      args: {
        outputDir: out,
        maxSteps: 6,
        perDeviceTrainBatchSize: 8,
        learningRate: 1e-3,
        evalStrategy: 'steps',
        evalSteps: 2,
        saveSteps: 2,
        loadBestModelAtEnd: true,
        loggingStrategy: 'no',
        progress: false,
        engineThreads: 2,
      },
      trainDataset: data,
      loss: createLoss('bce'),
      // An evaluator object as eval-mteb's cross-encoder evaluators are: it scores pairs with `predict`.
      evaluator: {
        name: 'pairs',
        mainScoreName: 'main',
        evaluate: async (m) => {
          const scores = (await m.predict(pairs)) as number[];
          predicted.push(...scores);
          const i = call++;
          return { scores: { first: first[i]!, main: main[i]! }, mainScore: main[i]! };
        },
      },
    });
    const r = await trainer.train();
    expect(call).toBe(4);
    // The trained model's sigmoid scores reached the evaluator.
    expect(predicted).toHaveLength(16);
    for (const p of predicted) expect(p > 0 && p < 1).toBe(true);
    expect(r.bestModelCheckpoint).toBe(join(out, 'checkpoint-4'));
    // The reloaded best model scores as it did at step 4, not as at step 6.
    expect(predicted.slice(12)).toEqual(predicted.slice(4, 8));
    expect(predicted.slice(12)).not.toEqual(predicted.slice(8, 12));
    // Reloaded at the end: the model scores as the checkpoint does.
    const best = await CrossEncoder.load(join(out, 'checkpoint-4'));
    expect(await model.predict(pairs, { engine: 'tfjs' })).toEqual(
      await best.predict(pairs, { engine: 'tfjs' }),
    );
    best.dispose();
    model.dispose();
  }, 120_000);
});
