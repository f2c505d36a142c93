import { existsSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createLoss } from '@contrastive/losses';
import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../../test-support/cli.js';
import { tempDir } from '../../../test-support/temp.js';
import { type BatchSampler, SentenceTransformerTrainer } from '../src/index.js';
import { columnar, loadTiny, snliPairs } from './helpers.js';

const pairs = snliPairs(48);
const data = () => columnar({ anchor: pairs.anchor, positive: pairs.positive });
const child = (out: string, env: Record<string, string> = {}) =>
  runProcess(
    process.execPath,
    [
      '--conditions=@contrastive/source',
      '--import',
      'tsx',
      join(__dirname, 'fixtures', 'train_child.ts'),
      out,
    ],
    { env: { ...process.env, ...env }, timeoutMs: 120_000 },
  );
const metricLines = (out: string) =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, number>);

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('trainer reliability', () => {
  it('a kill during a save, then resume: metrics.jsonl and train_loss equal the uninterrupted run; temporaries removed', async () => {
    const whole = tempDir('whole-');
    const wholeRun = await child(whole);
    expect(wholeRun.status, wholeRun.stderr).toBe(0);
    const expected = JSON.parse(wholeRun.stdout.trim()) as { trainLoss: number };

    const out = tempDir('killed-');
    expect((await child(out, { CONTRASTIVE_TEST_KILL_DURING_SAVE: '4' })).signal).toBe('SIGKILL');
    expect(readdirSync(out).some((n) => n.startsWith('.checkpoint-4.tmp'))).toBe(true);
    // The killed run's lock is stale (its pid is gone): resuming takes it over.
    expect(existsSync(join(out, '.contrastive-train.lock'))).toBe(true);
    const t = new SentenceTransformerTrainer({
      model: await loadTiny(),
      args: {
        outputDir: out,
        maxSteps: 6,
        perDeviceTrainBatchSize: 8,
        saveSteps: 2,
        loggingSteps: 1,
        learningRate: 1e-3,
        progress: false,
      },
      trainDataset: data(),
      loss: createLoss('mnrl'),
    });
    const res = await t.train({ resumeFromCheckpoint: true });
    expect(res.globalStep).toBe(6);
    expect(res.trainLoss).toBeCloseTo(expected.trainLoss, 6);
    const got = metricLines(out);
    expect(got.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(got).toEqual(metricLines(whole));
    expect(readdirSync(out).filter((n) => n.includes('.tmp') || n.includes('.old-'))).toEqual([]);
    expect(existsSync(join(out, '.contrastive-train.lock'))).toBe(false);

    // Resuming from the final checkpoint: nothing left to train, the whole run's loss still reported.
    const again = new SentenceTransformerTrainer({
      model: await loadTiny(),
      args: {
        outputDir: out,
        maxSteps: 6,
        perDeviceTrainBatchSize: 8,
        saveSteps: 2,
        loggingSteps: 1,
        progress: false,
      },
      trainDataset: data(),
      loss: createLoss('mnrl'),
    });
    const final = await again.train({ resumeFromCheckpoint: join(out, 'checkpoint-6') });
    expect(final.trainLoss).toBeCloseTo(expected.trainLoss, 6);
    expect(metricLines(out).map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a second run into an output folder in use refuses at once, naming the other run', async () => {
    const out = tempDir('locked-');
    writeFileSync(
      join(out, '.contrastive-train.lock'),
      JSON.stringify({ pid: process.pid, host: hostname(), started: '2026-01-01T00:00:00Z' }),
    );
    const t = new SentenceTransformerTrainer({
      model: await loadTiny(),
      args: { outputDir: out, maxSteps: 1, perDeviceTrainBatchSize: 8, progress: false },
      trainDataset: data(),
      loss: createLoss('mnrl'),
    });
    await expect(t.train()).rejects.toThrow(
      new RegExp(
        `another training run \\(pid ${process.pid} on ${hostname()}.*is writing to this output folder`,
      ),
    );
    expect(existsSync(join(out, 'metrics.jsonl'))).toBe(false);
    // A lock whose process is gone is taken over.
    writeFileSync(
      join(out, '.contrastive-train.lock'),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), started: 'x' }),
    );
    await expect(t.train()).resolves.toMatchObject({ globalStep: 1 });
  });

  it('a failed write names the file and the step (disk full: /dev/full fails every write with ENOSPC)', async () => {
    const out = tempDir('full-');
    symlinkSync('/dev/full', join(out, 'metrics.jsonl'));
    const args = {
      outputDir: out,
      maxSteps: 2,
      saveSteps: 2,
      loggingSteps: 2,
      perDeviceTrainBatchSize: 8,
      progress: false,
    };
    const t = new SentenceTransformerTrainer({
      model: await loadTiny(),
      args,
      trainDataset: data(),
      loss: createLoss('mnrl'),
    });
    await expect(t.train()).rejects.toThrow(/metrics\.jsonl: cannot write metrics at step 2 \(ENOSPC/);

    // A checkpoint save that fails (here the model's own writer, as on a full disk) names the step and the path.
    const out2 = tempDir('fullsave-');
    const model = await loadTiny();
    const failing = Object.assign(Object.create(model) as typeof model, {
      save: async () => {
        throw new Error('ENOSPC: no space left on device, write');
      },
    });
    const t2 = new SentenceTransformerTrainer({
      model: failing,
      args: { ...args, outputDir: out2 },
      trainDataset: data(),
      loss: createLoss('mnrl'),
    });
    await expect(t2.train()).rejects.toThrow(
      new RegExp(`saving the checkpoint of step 2 to ${join(out2, 'checkpoint-2')} failed: ENOSPC`),
    );
    expect(readdirSync(out2).filter((n) => n.includes('checkpoint'))).toEqual([]);
  });

  it('takes a batch sampler as a function, and best-model selection follows the evaluator main score', async () => {
    const seen: number[][] = [];
    const reversed: BatchSampler = (d, o) => {
      const rows = Array.from({ length: d.numRows }, (_, i) => d.numRows - 1 - i);
      const out: number[][] = [];
      for (let s = 0; s < rows.length; s += o.batchSize) out.push(rows.slice(s, s + o.batchSize));
      seen.push(...out);
      return out;
    };
    let calls = 0;
    const evaluator = {
      name: 'probe',
      mainScoreName: 'main',
      // "main" peaks at the 2nd evaluation; "other" keeps rising (a regex guess would not pick "main").
      evaluate: async () => {
        calls++;
        return { scores: { other: calls, main: calls === 2 ? 10 : 1 }, mainScoreName: 'main' };
      },
    };
    const out = tempDir('sampler-');
    const t = new SentenceTransformerTrainer({
      model: await loadTiny(),
      args: {
        outputDir: out,
        maxSteps: 3,
        perDeviceTrainBatchSize: 16,
        batchSampler: reversed,
        evalStrategy: 'steps',
        evalSteps: 1,
        saveSteps: 1,
        loadBestModelAtEnd: true,
        progress: false,
      },
      trainDataset: data(),
      loss: createLoss('mnrl'),
      evaluator,
    });
    const r = await t.train();
    expect(seen[0]!.slice(0, 3)).toEqual([47, 46, 45]);
    expect(r.bestModelCheckpoint).toBe(join(out, 'checkpoint-2'));
  });
});
