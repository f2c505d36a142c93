import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { lastJsonLine as json, readJsonl } from '../../../test-support/training_output.js';
import { initTinyArgs, runTrainCli, trainArgs } from './helpers.js';

const tokenizerDir = sharedPath('models', 'all-MiniLM-L6-v2-config');

/** SNLI dev entailment pairs and STS-B dev pairs as JSONL, read straight from ../shared. */
function writeData(dir: string, nPairs: number, nSts: number) {
  const read = (f: string) => readFileSync(join(sharedPath('data', 'snli'), f), 'utf8').split('\n');
  const [s1, s2, labels] = [read('s1.dev'), read('s2.dev'), read('labels.dev')];
  const pairs: string[] = [];
  const nli: string[] = [];
  for (let i = 0; i < labels.length && pairs.length < nPairs; i++) {
    if (labels[i] === 'entailment') pairs.push(JSON.stringify({ anchor: s1[i], positive: s2[i] }));
    if (nli.length < nPairs && labels[i])
      nli.push(
        JSON.stringify({
          premise: s1[i],
          hypothesis: s2[i],
          label: { contradiction: 0, entailment: 1, neutral: 2 }[labels[i]!],
        }),
      );
  }
  writeFileSync(join(dir, 'pairs.jsonl'), `${pairs.join('\n')}\n`);
  writeFileSync(join(dir, 'nli.jsonl'), `${nli.join('\n')}\n`);
  const sts = readFileSync(sharedPath('data', 'stsb', 'sts-dev.csv'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, nSts)
    .map((l) => {
      const f = l.split('\t');
      return JSON.stringify({ sentence1: f[5], sentence2: f[6], score: Number(f[4]) / 5 });
    });
  writeFileSync(join(dir, 'sts.jsonl'), `${sts.join('\n')}\n`);
}

/** A temp folder with `writeData`'s files and a tiny model made by `contrastive init` in `model/`. */
async function dataAndTinyModel(prefix: string, nPairs: number, nSts: number): Promise<string> {
  const dir = tempDir(prefix);
  writeData(dir, nPairs, nSts);
  expect((await runCli(initTinyArgs(tokenizerDir, join(dir, 'model')))).status).toBe(0);
  return dir;
}

describe('contrastive init + train', () => {
  it('init --preset tiny writes a loadable sentence-transformers folder of the fixture shape', async () => {
    const dir = tempDir('init-');
    const r = await runCli(
      initTinyArgs(tokenizerDir, join(dir, 'm'), ['--pooling', 'cls', '--normalize', '--seed', '7']),
    );
    expect(r.status, r.stderr).toBe(0);
    expect(json(r.stdout)).toMatchObject({ hidden_size: 32, layers: 2, pooling: 'cls', normalize: true });
    const config = JSON.parse(readFileSync(join(dir, 'm', 'config.json'), 'utf8'));
    expect([
      config.hidden_size,
      config.num_hidden_layers,
      config.num_attention_heads,
      config.intermediate_size,
      config.max_position_embeddings,
    ]).toEqual([32, 2, 4, 64, 64]);
    const modules = JSON.parse(readFileSync(join(dir, 'm', 'modules.json'), 'utf8'));
    expect(modules.map((m: { type: string }) => m.type.split('.').pop())).toEqual([
      'Transformer',
      'Pooling',
      'Normalize',
    ]);
    expect(
      JSON.parse(readFileSync(join(dir, 'm', '1_Pooling', 'config.json'), 'utf8')).pooling_mode_cls_token,
    ).toBe(true);
    const bad = await runCli([
      'init',
      '--preset',
      'huge',
      '--tokenizer',
      tokenizerDir,
      '--output',
      join(dir, 'x'),
    ]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('unknown preset "huge"');
  });

  it('train: MNRL with STS evaluation, checkpoints, metrics and the final JSON line; resume continues', async () => {
    const dir = await dataAndTinyModel('train-', 200, 100);
    const out = join(dir, 'run');
    const args = trainArgs(
      {
        model: join(dir, 'model'),
        train: join(dir, 'pairs.jsonl'),
        loss: 'mnrl',
        output: out,
        batchSize: 16,
      },
      [
        '--eval-sts',
        join(dir, 'sts.jsonl'),
        '--lr',
        '1e-3',
        '--logging-steps',
        '4',
        '--save-steps',
        '4',
        '--seed',
        '3',
      ],
    );
    const r = await runCli([...args, '--max-steps', '8']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/training engine: onnxruntime-node \(\d+ threads\)/);
    const res = json(r.stdout);
    expect(res).toMatchObject({ output: out, steps: 8 });
    expect(res.train_loss).toBeGreaterThan(0);
    expect(res.eval['eval_sts-dev_spearman_cosine']).toBeGreaterThan(-1);
    expect(existsSync(join(out, 'checkpoint-4', 'trainer_state.json'))).toBe(true);
    expect(existsSync(join(out, 'modules.json'))).toBe(true);
    const metrics = readJsonl(join(out, 'metrics.jsonl'));
    expect(metrics.filter((m) => 'loss' in m).map((m) => m.step)).toEqual([4, 8]);
    expect(metrics.some((m) => 'eval_sts-dev_spearman_cosine' in m && m.step === 4)).toBe(true);
    // Resuming from checkpoint-8 with --max-steps 12 continues at step 9 and ends at 12.
    const r2 = await runCli([...args, '--max-steps', '12', '--resume', join(out, 'checkpoint-8')]);
    expect(r2.status, r2.stderr).toBe(0);
    expect(json(r2.stdout).steps).toBe(12);
  });

  it('train: softmax on NLI infers the number of labels; --config YAML supplies options', async () => {
    const dir = await dataAndTinyModel('train-', 48, 10);
    writeFileSync(
      join(dir, 'cfg.yaml'),
      `model: ${join(dir, 'model')}\ntrain: ${join(dir, 'nli.jsonl')}\nloss: softmax\nmax_steps: 3\nbatch-size: 16\nsave_strategy: "no"\nengine: tfjs\n`,
    );
    const r = await runCli(['train', '--config', join(dir, 'cfg.yaml'), '--output', join(dir, 'run')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('training engine: tfjs');
    expect(json(r.stdout).steps).toBe(3);
  });

  it('train: clear errors for a wrong loss, wrong columns and bad flags', async () => {
    const dir = await dataAndTinyModel('train-', 16, 10);
    const run = (loss: string, flags: string[] = []) =>
      runTrainCli(
        {
          model: join(dir, 'model'),
          train: join(dir, 'pairs.jsonl'),
          loss,
          output: join(dir, 'run'),
          maxSteps: 1,
        },
        flags,
      );
    const unknown = await run('magic');
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown loss "magic"; known losses: .*mnrl/);
    const cols = await run('cosine');
    expect(cols.status).not.toBe(0);
    expect(cols.stderr).toMatch(/data set "pairs": .*label/i);
    const flag = await run('mnrl', ['--lr', 'fast']);
    expect(flag.status).not.toBe(0);
    expect(flag.stderr).toContain('--lr must be a number');
    const engine = await run('mnrl', ['--engine', 'gpu']);
    expect(engine.status).not.toBe(0);
    expect(engine.stderr).toContain('--engine must be auto, onnx or tfjs, got "gpu"');
  });
});
