import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { deviceAvailable } from '../../../test-support/onnx_device.js';
import { tempDir } from '../../../test-support/temp.js';
import { lastJsonLine, loggedLosses, readJsonl } from '../../../test-support/training_output.js';
import { REFERENCE_STS, encodeArgs, evalArgs, runTrainCli, tinyBert, writeReferenceSts } from './helpers.js';

const ref = JSON.parse(readFileSync(join(tinyBert, 'reference.json'), 'utf8')) as {
  texts: string[];
  embeddings: number[][];
};
const webgpu = await deviceAvailable('webgpu');
const cuda = await deviceAvailable('cuda');

/** A folder with the reference texts one a line (`in.txt`). */
function textsDir(): { dir: string; texts: string[] } {
  const dir = tempDir('device-');
  const texts = ref.texts.filter((t) => !t.includes('\n') && t.trim() !== '');
  writeFileSync(join(dir, 'in.txt'), `${texts.join('\n')}\n`);
  return { dir, texts };
}

describe('--device', () => {
  it('refuses an unknown device, --engine tfjs with a GPU, and workers on a GPU', async () => {
    const { dir } = textsDir();
    const run = (flags: string[]) =>
      runCli(encodeArgs({ input: join(dir, 'in.txt'), output: join(dir, 'o.jsonl') }, flags));
    const unknown = await run(['--device', 'gpu']);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain('--device must be cpu, webgpu, cuda or cuda:<index>, got "gpu"');
    const tfjs = await run(['--engine', 'tfjs', '--device', 'webgpu']);
    expect(tfjs.status).toBe(1);
    expect(tfjs.stderr).toContain(
      '--device webgpu runs the onnx engine on that device; it does not apply to --engine tfjs',
    );
    const workers = await run(['--device', 'webgpu', '--workers', '2']);
    expect(workers.status).toBe(1);
    expect(workers.stderr).toContain(
      'workers share out CPU threads; on device webgpu one session runs the batches',
    );
    const train = await runTrainCli(
      { train: join(dir, 'in.txt'), loss: 'simcse', output: join(dir, 'run'), maxSteps: 1 },
      ['--engine', 'tfjs', '--device', 'cuda:1'],
    );
    expect(train.status).toBe(1);
    expect(train.stderr).toContain('--device cuda:1 runs the onnx engine on that device');
  });

  it('contrastive devices: one JSON line per device, whether it starts here and why not', async () => {
    const r = await runCli(['devices']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { device: string; available: boolean; reason?: string });
    expect(lines.map((l) => [l.device, l.available])).toEqual([
      ['cpu', true],
      ['webgpu', webgpu],
      ['cuda', cuda],
    ]);
    expect(lines[0]!.reason).toBeUndefined();
    if (!cuda) expect(lines[2]!.reason).toContain('device cuda is not available here');
    const named = await runCli(['devices', 'cuda:3']);
    expect(named.status, named.stderr).toBe(0);
    expect(JSON.parse(named.stdout.trim())).toMatchObject({ device: 'cuda:3' });
    const bad = await runCli(['devices', 'gpu']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('--device must be cpu, webgpu, cuda or cuda:<index>, got "gpu"');
  });

  it.skipIf(cuda)(
    'fails with what the CUDA provider needs where it is missing (no quiet fallback)',
    async () => {
      const { dir } = textsDir();
      const r = await runCli(
        encodeArgs({ input: join(dir, 'in.txt'), output: join(dir, 'o.jsonl') }, ['--device', 'cuda']),
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('ONNX engine: device cuda is not available here');
      expect(r.stderr).toContain('CUDA 12 and cuDNN 9');
      expect(r.stderr).not.toContain('inference engine: tfjs');
    },
  );

  // Where onnxruntime-node's WebGPU provider finds a device (a GPU, or Mesa's lavapipe on the CPU).
  it.skipIf(!webgpu)(
    'encode --device webgpu: the PyTorch reference embeddings, the device in the engine line',
    async () => {
      const { dir, texts } = textsDir();
      const out = join(dir, 'gpu.jsonl');
      const r = await runCli(encodeArgs({ input: join(dir, 'in.txt'), output: out }, ['--device', 'webgpu']));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/inference engine: onnxruntime-node \(webgpu, \d+ threads\)/);
      readJsonl<{ embedding: number[] }>(out).forEach((row, i) => {
        const want = ref.embeddings[ref.texts.indexOf(texts[i]!)]!;
        row.embedding.forEach((x, k) => expect(Math.abs(x - want[k]!)).toBeLessThan(1e-5));
      });
    },
  );

  it.skipIf(!webgpu)(
    'eval --device webgpu: the STS figures scipy gives on the PyTorch embeddings',
    async () => {
      const dir = tempDir('device-eval-');
      const sts = writeReferenceSts(dir);
      const out = join(dir, 'results.json');
      const r = await runCli(evalArgs({ task: 'sts', data: sts, output: out }, ['--device', 'webgpu']));
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/inference engine: onnxruntime-node \(webgpu, \d+ threads\)/);
      const json = JSON.parse(readFileSync(out, 'utf8'));
      expect(Math.abs(json.main_score - REFERENCE_STS.spearman_cosine)).toBeLessThan(1e-4);
      expect(Math.abs(json.scores.pearson_dot - REFERENCE_STS.pearson_dot)).toBeLessThan(1e-4);
    },
  );

  it.skipIf(!webgpu)('train --device webgpu: the losses of the same run on the CPU', async () => {
    const { dir } = textsDir();
    const run = async (device: string) => {
      const r = await runTrainCli(
        { train: join(dir, 'in.txt'), loss: 'simcse', output: join(dir, device), maxSteps: 3, batchSize: 4 },
        [
          '--engine',
          'onnx',
          '--device',
          device,
          '--seed',
          '5',
          '--logging-steps',
          '1',
          '--save-strategy',
          'no',
        ],
      );
      expect(r.status, r.stderr).toBe(0);
      return { stderr: r.stderr, result: lastJsonLine(r.stdout) as { train_loss: number } };
    };
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    expect(gpu.stderr).toMatch(/training engine: onnxruntime-node \(webgpu, \d+ threads\)/);
    expect(cpu.stderr).toMatch(/training engine: onnxruntime-node \(\d+ threads\)/);
    expect(gpu.result.train_loss).toBeGreaterThan(0);
    expect(Math.abs(gpu.result.train_loss - cpu.result.train_loss)).toBeLessThan(1e-4);
    const losses = (device: string) => loggedLosses(join(dir, device));
    expect(losses('webgpu')).toHaveLength(3);
    losses('webgpu').forEach((l, i) => expect(Math.abs(l - losses('cpu')[i]!)).toBeLessThan(1e-4));
  });

  it.skipIf(!webgpu)('pretrain-mlm --device webgpu: the losses of the same run on the CPU', async () => {
    const { dir } = textsDir();
    const losses = async (device: string) => {
      const out = join(dir, `mlm-${device}`);
      const r = await runCli(
        ['pretrain-mlm', '--model', tinyBert, '--corpus', join(dir, 'in.txt'), '--output', out]
          .concat(['--max-steps', '3', '--batch-size', '4', '--logging-steps', '1', '--seed', '2'])
          .concat(['--engine', 'onnx', '--device', device]),
      );
      expect(r.status, r.stderr).toBe(0);
      if (device === 'webgpu')
        expect(r.stderr).toMatch(/training engine: onnxruntime-node \(webgpu, \d+ threads\)/);
      return loggedLosses(out);
    };
    const cpu = await losses('cpu');
    const gpu = await losses('webgpu');
    expect(gpu).toHaveLength(3);
    gpu.forEach((l, i) => expect(Math.abs(l - cpu[i]!)).toBeLessThan(1e-4));
  });
});
