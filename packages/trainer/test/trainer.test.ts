import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SentenceEncoder } from '@contrastive/bert';
import { type Loss, computeLoss, createLoss } from '@contrastive/losses';
import { initBackend, readSafetensors, tf } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { runProcess } from '../../../test-support/cli.js';
import { repoRoot } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import {
  EarlyStoppingCallback,
  NonFiniteLossError,
  SentenceTransformerTrainer,
  listCheckpoints,
  loadCheckpoint,
} from '../src/index.js';
import { columnar, loadTiny, maxWeightDiff, snliPairs, weightsOf } from './helpers.js';

const pairs = snliPairs(64);
const pairData = columnar({ anchor: pairs.anchor, positive: pairs.positive });

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('SentenceTransformerTrainer', () => {
  it.each(['onnx', 'tfjs'] as const)('leaks no tensors over 20 steps (%s engine)', async (trainEngine) => {
    const counts: number[] = [];
    const trainer = new SentenceTransformerTrainer({
      model: await loadTiny(),
      args: {
        trainEngine,
        outputDir: tempDir('leak-'),
        maxSteps: 20,
        perDeviceTrainBatchSize: 8,
        loggingSteps: 1,
        saveStrategy: 'no',
        progress: false,
      },
      trainDataset: pairData,
      loss: createLoss('mnrl'),
      callbacks: [{ onLog: () => void counts.push(tf.memory().numTensors) }],
    });
    await trainer.train();
    expect(counts.length).toBeGreaterThanOrEqual(20);
    // Step 1 creates the optimizer moments; from then on the count must not move.
    expect(new Set(counts.slice(1, 20)).size).toBe(1);
  });

  it('writes metrics.jsonl, a plot, a model card and the final model; the loss goes down', async () => {
    const out = tempDir('outputs-');
    let evals = 0;
    const trainer = new SentenceTransformerTrainer({
      model: await loadTiny(),
      args: {
        outputDir: out,
        maxSteps: 12,
        perDeviceTrainBatchSize: 16,
        loggingSteps: 4,
        evalStrategy: 'steps',
        evalSteps: 6,
        saveStrategy: 'no',
        learningRate: 2e-3,
        progress: false,
      },
      trainDataset: pairData,
      loss: createLoss('mnrl'),
      evaluator: async () => ({ fake_score: ++evals / 10 }),
    });
    const r = await trainer.train();
    expect(r.globalStep).toBe(12);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const logs = lines.filter((l) => 'loss' in l);
    expect(logs.map((l) => l.step)).toEqual([4, 8, 12]);
    for (const l of logs)
      expect(Object.keys(l)).toEqual(
        expect.arrayContaining(['step', 'loss', 'learning_rate', 'epoch', 'grad_norm']),
      );
    expect(logs[2].loss).toBeLessThan(logs[0].loss);
    // linear decay without warmup: lr at step index 11 of 12 = 2e-3 * 1/12
    expect(logs[2].learning_rate).toBeCloseTo(2e-3 / 12, 10);
    expect(lines.filter((l) => 'eval_fake_score' in l).map((l) => [l.step, l.eval_fake_score])).toEqual([
      [6, 0.1],
      [12, 0.2],
      [12, 0.3],
    ]);
    expect(r.eval).toEqual({ eval_fake_score: 0.3 });
    expect(readFileSync(join(out, 'training_curves.svg'), 'utf8')).toContain('<svg');
    const card = readFileSync(join(out, 'README.md'), 'utf8');
    expect(card).toContain('MultipleNegativesRankingLoss');
    expect(card).toContain('`per_device_train_batch_size`: 16');
    const saved = await SentenceEncoder.load(out);
    expect(maxWeightDiff(await weightsOf(saved), await weightsOf(trainer.model))).toBe(0);
  });

  it.each(['onnx', 'tfjs'] as const)(
    'a run interrupted at step k and resumed ends with the same weights as an uninterrupted run (%s engine)',
    async (trainEngine) => {
      const triplets = columnar({
        anchor: pairs.anchor.slice(0, 40),
        positive: pairs.positive.slice(0, 40),
        negative: pairs.negative.slice(0, 40),
      });
      const args = {
        maxSteps: 6,
        perDeviceTrainBatchSize: 8,
        saveSteps: 3,
        loggingSteps: 2,
        learningRate: 1e-3,
        warmupSteps: 2,
        weightDecay: 0.01,
        progress: false,
        trainEngine,
      };
      const outA = tempDir('resume-a-');
      const a = new SentenceTransformerTrainer({
        model: await loadTiny(),
        args: { ...args, outputDir: outA },
        trainDataset: triplets,
        loss: createLoss('mnrl'),
      });
      await a.train();
      expect(listCheckpoints(outA).map((d) => d.split('/').pop())).toEqual(['checkpoint-3', 'checkpoint-6']);
      const outB = tempDir('resume-b-');
      const b = new SentenceTransformerTrainer({
        model: await loadTiny(),
        args: { ...args, outputDir: outB },
        trainDataset: triplets,
        loss: createLoss('mnrl'),
      });
      const rb = await b.train({ resumeFromCheckpoint: join(outA, 'checkpoint-3') });
      expect(rb.globalStep).toBe(6);
      expect(maxWeightDiff(await weightsOf(a.model), await weightsOf(b.model))).toBeLessThan(1e-6);
      // The mean loss logged after resuming matches the uninterrupted run's log at the same step.
      const last = (dir: string) =>
        readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
          .filter((l) => l.step === 6 && 'loss' in l)[0];
      expect(last(outB).loss).toBeCloseTo(last(outA).loss, 5);
    },
  );

  it.each(['onnx', 'tfjs'] as const)(
    'prompts with include_prompt false: the prompt is left out of the pooling, as sentence-transformers (%s engine)',
    async (trainEngine) => {
      const rows = { anchor: pairs.anchor.slice(0, 8), positive: pairs.positive.slice(0, 8) };
      const model = await loadTiny();
      model.pooling = { ...model.pooling, includePrompt: false };
      const out = tempDir('prompts-');
      const t = new SentenceTransformerTrainer({
        model,
        args: {
          outputDir: out,
          maxSteps: 1,
          perDeviceTrainBatchSize: 8,
          dropout: 0,
          loggingSteps: 1,
          saveStrategy: 'no',
          progress: false,
          prompts: { anchor: 'query: ' },
          trainEngine,
        },
        trainDataset: columnar(rows),
        loss: createLoss('mnrl'),
      });
      // The loss before the first update, as logged at step 1 (MNRL does not depend on the row order).
      const fresh = await loadTiny();
      fresh.pooling = { ...fresh.pooling, includePrompt: false };
      const batch = { columnNames: ['anchor', 'positive'], columns: rows, size: 8 };
      const ctx = { training: true, dropoutRate: 0, seed: 1 };
      const excluded = computeLoss(createLoss('mnrl'), fresh, batch, {
        ...ctx,
        prompts: ['query: ', undefined],
      });
      const prefixed = computeLoss(
        createLoss('mnrl'),
        fresh,
        { ...batch, columns: { ...rows, anchor: rows.anchor.map((a) => `query: ${a}`) } },
        ctx,
      );
      expect(Math.abs(excluded - prefixed)).toBeGreaterThan(1e-4); // the exclusion matters for this model
      await t.train();
      const logged = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .find((l) => l.step === 1 && 'loss' in l);
      expect(logged.loss).toBeCloseTo(excluded, 5);
    },
  );

  it('the onnx and tfjs engines train to the same weights (MNRL with hard negatives, dropout off)', async () => {
    const triplets = columnar({
      anchor: pairs.anchor.slice(0, 24),
      positive: pairs.positive.slice(0, 24),
      negative: pairs.negative.slice(0, 24),
    });
    const run = async (trainEngine: 'onnx' | 'tfjs') => {
      const t = new SentenceTransformerTrainer({
        model: await loadTiny(),
        args: {
          outputDir: tempDir(`engines-${trainEngine}-`),
          maxSteps: 3,
          perDeviceTrainBatchSize: 8,
          learningRate: 1e-3,
          weightDecay: 0.01,
          dropout: 0,
          saveStrategy: 'no',
          progress: false,
          trainEngine,
        },
        trainDataset: triplets,
        loss: createLoss('mnrl'),
      });
      const r = await t.train();
      return { weights: await weightsOf(t.model), loss: r.trainLoss };
    };
    const onnx = await run('onnx');
    const tfjs = await run('tfjs');
    expect(onnx.loss).toBeCloseTo(tfjs.loss, 4);
    // Three AdamW steps at lr 1e-3 move a weight by up to 3e-3; the engines agree far below that. Not to ~1e-6:
    // Adam divides by √v + 1e-8, so for an element whose gradient is near zero the engines' float32 rounding
    // differences become a visible share of its step (the largest difference seen: 2.4e-5).
    expect(maxWeightDiff(onnx.weights, tfjs.weights)).toBeLessThan(1e-4);
  });

  it('a kill during a checkpoint save leaves the previous checkpoint loadable and no partial one', async () => {
    const out = tempDir('kill-');
    const r = await runProcess(
      process.execPath,
      [
        '--conditions=@contrastive/source',
        '--import',
        'tsx',
        join(__dirname, 'fixtures', 'train_child.ts'),
        out,
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, CONTRASTIVE_TEST_KILL_DURING_SAVE: '4' },
        timeoutMs: 120_000,
      },
    );
    expect(r.signal).toBe('SIGKILL');
    expect(listCheckpoints(out).map((d) => d.split('/').pop())).toEqual(['checkpoint-2']);
    expect(existsSync(join(out, 'checkpoint-4'))).toBe(false);
    expect(readdirSync(out).some((n) => n.startsWith('.checkpoint-4.tmp'))).toBe(true);
    return (async () => {
      const model = await SentenceEncoder.load(join(out, 'checkpoint-2'));
      expect(model.dimension).toBe(32);
      // And training resumes from it (the newest complete checkpoint).
      const t = new SentenceTransformerTrainer({
        model,
        args: {
          outputDir: out,
          maxSteps: 4,
          perDeviceTrainBatchSize: 8,
          saveSteps: 2,
          learningRate: 1e-3,
          progress: false,
        },
        trainDataset: columnar({ anchor: pairs.anchor.slice(0, 48), positive: pairs.positive.slice(0, 48) }),
        loss: createLoss('mnrl'),
      });
      const res = await t.train({ resumeFromCheckpoint: true });
      expect(res.globalStep).toBe(4);
      expect(listCheckpoints(out).map((d) => d.split('/').pop())).toEqual(['checkpoint-2', 'checkpoint-4']);
    })();
  });

  it('stops on a non-finite loss naming the step, the batch and the last good checkpoint', async () => {
    const inner = createLoss('cosine');
    // NaN from the third batch on: counted by batch, since an engine may run forward twice per batch.
    const batches: string[] = [];
    const nanLoss: Loss = {
      name: 'NaNAtThirdStep',
      columns: inner.columns,
      forward: (m, b, c) => {
        const key = JSON.stringify(b.columns);
        if (!batches.includes(key)) batches.push(key);
        const l = inner.forward!(m, b, c);
        return batches.indexOf(key) === 2 ? (tf.mul(l, Number.NaN) as tf.Scalar) : l;
      },
    };
    const out = tempDir('nan-');
    const t = new SentenceTransformerTrainer({
      model: await loadTiny(),
      args: { outputDir: out, maxSteps: 5, perDeviceTrainBatchSize: 4, saveSteps: 2, progress: false },
      trainDataset: columnar({
        sentence1: pairs.anchor.slice(0, 20),
        sentence2: pairs.positive.slice(0, 20),
        score: pairs.anchor.slice(0, 20).map((_, i) => (i % 3) / 2),
      }),
      loss: nanLoss,
    });
    const err = await t.train().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as Error).message).toMatch(/loss is NaN at step 3; the batch starts with ".+", ".+"/);
    expect((err as Error).message).toContain(`last good checkpoint: ${join(out, 'checkpoint-2')}`);
  });

  it('rejects a data set whose columns do not fit the loss before any step', async () => {
    const model = await loadTiny();
    expect(
      () =>
        new SentenceTransformerTrainer({
          model,
          args: { outputDir: tempDir('cols-') },
          trainDataset: columnar({ anchor: ['a', 'b'] }),
          loss: createLoss('mnrl'),
        }),
    ).toThrow(/data set "train": .*MultipleNegativesRankingLoss/);
    expect(
      () =>
        new SentenceTransformerTrainer({
          model,
          args: { outputDir: tempDir('cols-') },
          trainDataset: columnar({ sentence1: ['a'], sentence2: ['b'] }),
          loss: createLoss('cosine'),
        }),
    ).toThrow(/data set "train": .*label/i);
    expect(
      () =>
        new SentenceTransformerTrainer({
          model,
          args: { outputDir: tempDir('cols-') },
          trainDataset: columnar({ a: ['x'], b: [3] }),
          loss: createLoss('mnrl'),
        }),
    ).toThrow(/column "b" must hold texts, row 1 has 3/);
  });

  it('SoftmaxLoss: classifier trained and checkpointed, but not part of the saved encoder', async () => {
    const out = tempDir('softmax-');
    const n = 24;
    const t = new SentenceTransformerTrainer({
      model: await loadTiny(),
      args: { outputDir: out, maxSteps: 3, perDeviceTrainBatchSize: 8, saveSteps: 3, progress: false },
      trainDataset: columnar({
        premise: pairs.anchor.slice(0, n),
        hypothesis: pairs.positive.slice(0, n),
        label: Array.from({ length: n }, (_, i) => i % 3),
      }),
      loss: createLoss('softmax', { numLabels: 3 }),
    });
    await t.train();
    const lossParams = readSafetensors(join(out, 'checkpoint-3', 'loss.safetensors')).tensors;
    expect([...lossParams.keys()].some((k) => k.includes('classifier'))).toBe(true);
    const encoderKeys = [...readSafetensors(join(out, 'model.safetensors')).tensors.keys()];
    expect(encoderKeys.some((k) => k.includes('classifier'))).toBe(false);
  });

  it('loads the best checkpoint at the end, keeps it through rotation, and stops early', async () => {
    const out = tempDir('best-');
    const scores = [0.2, 0.9, 0.5, 0.4, 0.3];
    let i = 0;
    const t = new SentenceTransformerTrainer({
      model: await loadTiny(),
      args: {
        outputDir: out,
        maxSteps: 10,
        perDeviceTrainBatchSize: 8,
        learningRate: 1e-3,
        evalStrategy: 'steps',
        evalSteps: 2,
        saveSteps: 2,
        saveTotalLimit: 2,
        loadBestModelAtEnd: true,
        metricForBestModel: 'score',
        progress: false,
      },
      trainDataset: pairData,
      loss: createLoss('mnrl'),
      evaluator: async () => ({ score: scores[Math.min(i++, scores.length - 1)]! }),
      callbacks: [new EarlyStoppingCallback('score', { patience: 2 })],
    });
    const r = await t.train();
    expect(r.globalStep).toBe(8); // evaluations at 2 (0.2), 4 (0.9), 6 (0.5), 8 (0.4): two without improvement
    expect(r.bestMetricKey).toBe('eval_score');
    expect(t.state.bestMetricKey).toBe('eval_score');
    expect(r.bestModelCheckpoint).toBe(join(out, 'checkpoint-4'));
    expect(listCheckpoints(out).map((d) => d.split('/').pop())).toEqual(['checkpoint-4', 'checkpoint-8']);
    const best = await SentenceEncoder.load(join(out, 'checkpoint-4'));
    expect(maxWeightDiff(await weightsOf(best), await weightsOf(t.model))).toBe(0);
  });

  it('names the metric it picks the best model by: the main score its evaluator reports, or metricForBestModel found without eval_', async () => {
    // The evaluator declares "declared" up front, but its results name "actual" as the main score (the results
    // win). "declared" peaks at the 1st evaluation, "actual" at the 2nd, "other" at the 3rd.
    const trainer = async (out: string, metricForBestModel?: string, progress = false) => {
      let calls = 0;
      const seen: Array<string | undefined> = [];
      const t = new SentenceTransformerTrainer({
        model: await loadTiny(),
        args: {
          outputDir: out,
          maxSteps: 3,
          perDeviceTrainBatchSize: 8,
          evalStrategy: 'steps',
          evalSteps: 1,
          saveSteps: 1,
          metricForBestModel,
          progress,
        },
        trainDataset: pairData,
        loss: createLoss('mnrl'),
        evaluator: {
          name: 'probe',
          mainScoreName: 'declared',
          evaluate: async () => {
            calls++;
            const peak = (at: number) => (calls === at ? 10 : 1);
            return {
              scores: { declared: peak(1), actual: peak(2), other: peak(3) },
              mainScoreName: 'actual',
            };
          },
        },
        callbacks: [{ onEvaluate: (state) => void seen.push(state.bestMetricKey) }],
      });
      return { t, seen };
    };
    const byMain = await trainer(tempDir('best-key-'));
    const r = await byMain.t.train();
    expect(r.bestMetricKey).toBe('eval_probe_actual');
    // Known from the first evaluation on, to callbacks too.
    expect(byMain.seen).toEqual(['eval_probe_actual', 'eval_probe_actual', 'eval_probe_actual']);
    expect(r.bestModelCheckpoint).toBe(join(r.outputDir, 'checkpoint-2'));
    const state = JSON.parse(readFileSync(join(r.outputDir, 'checkpoint-3', 'trainer_state.json'), 'utf8'));
    expect(state).toMatchObject({ bestMetricKey: 'eval_probe_actual', bestMetric: 10 });

    const out = tempDir('best-key-named-');
    const byName = await (await trainer(out, 'other')).t.train();
    expect(byName.bestMetricKey).toBe('eval_probe_other');
    expect(byName.bestModelCheckpoint).toBe(join(out, 'checkpoint-3'));
    // A resumed run that evaluates no more still names the key, from the checkpoint.
    const again = await trainer(out, 'other');
    const resumed = await again.t.train({ resumeFromCheckpoint: join(out, 'checkpoint-3') });
    expect(again.seen).toEqual([]);
    expect(resumed.globalStep).toBe(3);
    expect(resumed.bestMetricKey).toBe('eval_probe_other');
    expect(resumed.bestModelCheckpoint).toBe(join(out, 'checkpoint-3'));

    // A name that matches no metric picks nothing, names no key, and says so once (progress on).
    const lines: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const none = await trainer(tempDir('best-key-none-'), 'nope', true);
      const r = await none.t.train();
      expect(r.bestMetricKey).toBeUndefined();
      expect(r.bestModelCheckpoint).toBeUndefined();
      expect(none.seen).toEqual([undefined, undefined, undefined]);
    } finally {
      write.mockRestore();
    }
    expect(lines.filter((l) => l.includes('metricForBestModel'))).toEqual([
      'contrastive: warning: metricForBestModel "nope" names none of the evaluation\'s metrics (eval_probe_declared, eval_probe_actual, eval_probe_other); no best model is picked\n',
    ]);
  });

  it('gradient accumulation 2×4 equals one batch of 8 for a per-pair loss', async () => {
    const data = columnar({
      sentence1: pairs.anchor.slice(0, 8),
      sentence2: pairs.positive.slice(0, 8),
      score: [0.1, 0.9, 0.4, 0.6, 0.3, 0.8, 0.2, 0.7],
    });
    const run = async (batch: number, accum: number) => {
      const t = new SentenceTransformerTrainer({
        model: await loadTiny(),
        args: {
          outputDir: tempDir('accum-'),
          maxSteps: 1,
          perDeviceTrainBatchSize: batch,
          gradientAccumulationSteps: accum,
          learningRate: 1e-2,
          dropout: 0,
          saveStrategy: 'no',
          maxGradNorm: 0,
          progress: false,
        },
        trainDataset: data,
        loss: createLoss('cosine'),
      });
      await t.train();
      return weightsOf(t.model);
    };
    // One kernel for every matmul: the native matmul takes only products above a size threshold, and 8-row and
    // 4-row batches would otherwise round differently.
    await initBackend({ backend: 'wasm', nativeMatMul: false });
    try {
      // Adam normalizes each element's step (g / (|g| + ε)): where a gradient nearly cancels, the two runs'
      // different summation orders move that step by up to ~1e-3 of lr; a wrong accumulation (a micro-batch
      // dropped, no mean) moves weights by ~lr (1e-2).
      expect(maxWeightDiff(await run(8, 1), await run(4, 2))).toBeLessThan(5e-5);
    } finally {
      await initBackend({ backend: 'wasm' });
    }
  });

  it('evaluators embed through an ONNX snapshot of the current weights or tfjs, with the same scores', async () => {
    const probe = {
      name: 'probe',
      evaluate: async (m: { embed(t: string[]): Promise<ArrayLike<number>[]>; engine?: string }) => {
        const e = await m.embed(pairs.anchor.slice(0, 6));
        return { scores: { first: e[0]![0]!, last: e[5]![31]!, engine: m.engine === 'onnx' ? 1 : 0 } };
      },
    };
    const make = async (evalEngine: 'onnx' | 'tfjs') =>
      new SentenceTransformerTrainer({
        model: await loadTiny(),
        args: { outputDir: tempDir('evalengine-'), evalEngine, progress: false },
        trainDataset: pairData,
        loss: createLoss('mnrl'),
        evaluator: probe,
      }).evaluate();
    const onnx = await make('onnx');
    const tfjs = await make('tfjs');
    expect(onnx.eval_probe_engine).toBe(1);
    expect(tfjs.eval_probe_engine).toBe(0);
    expect(Math.abs(onnx.eval_probe_first! - tfjs.eval_probe_first!)).toBeLessThan(1e-4);
    expect(Math.abs(onnx.eval_probe_last! - tfjs.eval_probe_last!)).toBeLessThan(1e-4);
  });

  it('frees the snapshot its evaluators embedded with once they ran, also when one fails', async () => {
    // The snapshot holds its own copy of the weights (two with worker sessions) and is stale after the next step.
    const model = await loadTiny();
    const release = vi.spyOn(model, 'release');
    let releasedWhileEvaluating = -1;
    const evaluator = (fail: boolean) => ({
      name: 'probe',
      evaluate: async (m: { embed(t: string[]): Promise<ArrayLike<number>[]> }) => {
        await m.embed(pairs.anchor.slice(0, 2));
        releasedWhileEvaluating = release.mock.calls.length;
        if (fail) throw new Error('evaluator failed');
        return { scores: { one: 1 } };
      },
    });
    const trainer = (fail: boolean) =>
      new SentenceTransformerTrainer({
        model,
        args: { outputDir: tempDir('evalrelease-'), evalEngine: 'onnx', progress: false },
        trainDataset: pairData,
        loss: createLoss('mnrl'),
        evaluator: evaluator(fail),
      });
    expect(await trainer(false).evaluate()).toEqual({ eval_probe_one: 1 });
    expect(releasedWhileEvaluating).toBe(0);
    expect(release).toHaveBeenCalledTimes(1);
    await expect(trainer(true).evaluate()).rejects.toThrow('evaluator failed');
    expect(releasedWhileEvaluating).toBe(1);
    expect(release).toHaveBeenCalledTimes(2);
  });

  it('restores optimizer moments from a checkpoint', async () => {
    const out = tempDir('opt-');
    const t = new SentenceTransformerTrainer({
      model: await loadTiny(),
      args: { outputDir: out, maxSteps: 2, perDeviceTrainBatchSize: 8, saveSteps: 2, progress: false },
      trainDataset: pairData,
      loss: createLoss('mnrl'),
    });
    await t.train();
    const { AdamW } = await import('@contrastive/tensor-gpu');
    const m = await loadTiny();
    const opt = new AdamW(m.namedVariables());
    const state = loadCheckpoint(join(out, 'checkpoint-2'), { model: m, optimizer: opt, lossVariables: [] });
    expect(state.globalStep).toBe(2);
    expect(opt.step).toBe(2);
    expect(maxWeightDiff(await weightsOf(m), await weightsOf(t.model))).toBe(0);
  });
});
