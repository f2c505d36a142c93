import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SentenceEncoder } from '@contrastive/bert';
import { initBackend, readSafetensors } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import {
  lastJsonLine,
  loggedLosses,
  readJsonl,
  stsSentences,
} from '../../../test-support/training_output.js';
import { type TrainRun, initTinyArgs, trainArgs } from './helpers.js';

const tokenizerDir = sharedPath('models', 'all-MiniLM-L6-v2-config');
let dir: string;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  dir = tempDir('tsdae-cli-');
  const r = await runCli(initTinyArgs(tokenizerDir, join(dir, 'model'), ['--pooling', 'cls']));
  expect(r.status, r.stderr).toBe(0);
});

/** `contrastive train --loss tsdae` of batch 8 on `dir`/`file`, from this file's tiny model unless `run.model`. */
const tsdaeArgs = (file: string, run: Omit<TrainRun, 'train' | 'loss'>, flags: string[]) =>
  trainArgs(
    {
      model: join(dir, 'model'),
      train: join(dir, file),
      loss: 'tsdae',
      batchSize: 8,
      progress: false,
      ...run,
    },
    [...flags, '--seed', '1'],
  );

describe('contrastive train --loss tsdae on plain sentences', () => {
  // 150 steps take ~70 s of CPU on this tiny model (the 30522-word LM head dominates), over the test budget on a
  // loaded 2-core machine: the test runs 40 at a higher constant rate; examples/src/tsdae.ts runs the 150.
  it('2k STS-B sentences (.txt): the logged loss falls by ≥ 20% in 40 steps; the encoder alone is saved', async () => {
    writeFileSync(join(dir, 'sts.txt'), `${stsSentences(2000).join('\n')}\n`);
    const out = join(dir, 'tsdae');
    const r = await runCli(
      tsdaeArgs('sts.txt', { output: out, maxSteps: 40 }, [
        '--lr',
        '2e-3',
        '--lr-scheduler',
        'constant',
        '--logging-steps',
        '10',
        '--save-strategy',
        'no',
      ]),
    );
    expect(r.status, r.stderr).toBe(0);
    expect(lastJsonLine(r.stdout).steps).toBe(40);
    const losses = loggedLosses(out);
    expect(losses).toHaveLength(4);
    // A fresh decoder starts near ln(30522) ≈ 10.3.
    expect(losses[0]!).toBeGreaterThan(8);
    expect(losses[losses.length - 1]!).toBeLessThan(0.8 * losses[0]!);
    // The saved folder is the sentence encoder (CLS pooling kept); the decoder is training-only.
    const tensors = [...readSafetensors(join(out, 'model.safetensors')).tensors.keys()];
    expect(tensors.some((n) => n.includes('crossattention') || n.startsWith('cls.'))).toBe(false);
    const pooling = JSON.parse(readFileSync(join(out, '1_Pooling', 'config.json'), 'utf8'));
    expect(pooling.pooling_mode_cls_token).toBe(true);
    const model = await SentenceEncoder.load(out);
    expect(model.dimension).toBe(32);
    model.dispose();
  }, 300_000);

  it('{"text"} JSONL resumes exactly (the noise is seeded by the step); default lr 3e-5 is used', async () => {
    const rows = stsSentences(48).map((text) => JSON.stringify({ text }));
    writeFileSync(join(dir, 'sentences.jsonl'), `${rows.join('\n')}\n`);
    const args = (output: string, maxSteps: number) =>
      tsdaeArgs('sentences.jsonl', { output, maxSteps }, [
        '--save-steps',
        '3',
        '--logging-steps',
        '1',
        '--lr-scheduler',
        'constant',
      ]);
    const whole = join(dir, 'whole');
    const r1 = await runCli(args(whole, 6));
    expect(r1.status, r1.stderr).toBe(0);
    const lrs = readJsonl(join(whole, 'metrics.jsonl'))
      .filter((m) => 'learning_rate' in m)
      .map((m) => m.learning_rate as number);
    expect(lrs.every((lr) => Math.abs(lr - 3e-5) < 1e-12)).toBe(true);
    // Interrupted after step 3 (the constant schedule makes a 3-step run the first half of the 6-step one), resumed from its checkpoint (decoder weights and optimizer moments restored).
    const split = join(dir, 'split');
    const r2 = await runCli(args(split, 3));
    expect(r2.status, r2.stderr).toBe(0);
    const r3 = await runCli([...args(split, 6), '--resume', join(split, 'checkpoint-3')]);
    expect(r3.status, r3.stderr).toBe(0);
    expect(lastJsonLine(r3.stdout).train_loss).toBeCloseTo(lastJsonLine(r1.stdout).train_loss, 5);
    const a = readSafetensors(join(whole, 'model.safetensors')).tensors;
    const b = readSafetensors(join(split, 'model.safetensors')).tensors;
    for (const [name, t] of a) {
      const u = b.get(name)!.data as Float32Array;
      const diff = (t.data as Float32Array).reduce((m, x, i) => Math.max(m, Math.abs(x - u[i]!)), 0);
      expect(diff, name).toBeLessThan(1e-6);
    }
  }, 300_000);

  it('a plain BERT folder (no modules.json) trains with CLS pooling (as the reference), not mean; tfjs engine', async () => {
    writeFileSync(join(dir, 'few.txt'), `${stsSentences(16).join('\n')}\n`);
    const out = join(dir, 'from-mlm');
    const r = await runCli(
      tsdaeArgs('few.txt', { model: sharedPath('fixtures', 'tiny-mlm'), output: out, maxSteps: 2 }, [
        '--save-strategy',
        'no',
        '--engine',
        'tfjs',
      ]),
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/DenoisingAutoEncoderLoss: cls pooling/);
    expect(Number.isFinite(lastJsonLine(r.stdout).train_loss)).toBe(true);
    expect(existsSync(join(out, 'modules.json'))).toBe(true);
    const pooling = JSON.parse(readFileSync(join(out, '1_Pooling', 'config.json'), 'utf8'));
    expect(pooling.pooling_mode_cls_token).toBe(true);
    expect(pooling.pooling_mode_mean_tokens).toBe(false);
  }, 120_000);
});
