import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { parseEngineDevice } from './device.js';
import { onnxEngineName, resolveEngine, resolveTrainingEngine } from './engine.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

describe('engine devices', () => {
  it('parses cpu, webgpu, cuda and cuda:<index>; the error names the option', () => {
    for (const d of ['cpu', 'webgpu', 'cuda', 'cuda:0', 'cuda:7']) expect(parseEngineDevice(d)).toBe(d);
    for (const d of ['gpu', 'cuda:', 'cuda:x', 'cuda:01', ' cpu'])
      expect(() => parseEngineDevice(d, '--device')).toThrow(
        `--device must be cpu, webgpu, cuda or cuda:<index>, got "${d}"`,
      );
  });

  it('names the onnx engine with its device, threads and more', () => {
    expect(onnxEngineName('cpu', 2)).toBe('onnxruntime-node (2 threads)');
    expect(onnxEngineName('cpu', 2, '2 workers')).toBe('onnxruntime-node (2 threads, 2 workers)');
    expect(onnxEngineName('cuda:1', 4)).toBe('onnxruntime-node (cuda:1, 4 threads)');
  });
});

describe('resolveEngine with a device', () => {
  const failing = () => Promise.reject(new Error('no provider\nsecond line'));

  it('falls back to tfjs under auto on the cpu device, and reports why', async () => {
    const lines: string[] = [];
    const r = await resolveEngine({
      purpose: 'encode',
      requested: 'auto',
      threads: 2,
      createOnnx: failing,
      report: (l) => lines.push(l),
    });
    expect(r).toEqual({ kind: 'tfjs', reason: 'no provider' });
    expect(lines).toEqual(['contrastive: inference engine: tfjs (cpu); onnxruntime: no provider']);
  });

  it('does not fall back when another device was asked for: the failure is the answer', async () => {
    const lines: string[] = [];
    await expect(
      resolveEngine({
        purpose: 'encode',
        requested: 'auto',
        device: 'webgpu',
        threads: 2,
        createOnnx: failing,
        report: (l) => lines.push(l),
      }),
    ).rejects.toThrow('no provider');
    expect(lines).toEqual([]);
  });

  it('reports the device of the engine it made; tfjs asked for is tfjs whatever the device', async () => {
    const lines: string[] = [];
    const made = await resolveEngine({
      purpose: 'eval',
      requested: 'auto',
      device: 'webgpu',
      threads: 3,
      createOnnx: async (threads) => ({ threads }),
      report: (l) => lines.push(l),
    });
    expect(made).toEqual({ kind: 'onnx', threads: 3, engine: { threads: 3 } });
    let called = false;
    const tfjs = await resolveEngine({
      purpose: 'eval',
      requested: 'tfjs',
      device: 'webgpu',
      createOnnx: async () => {
        called = true;
      },
      report: (l) => lines.push(l),
    });
    expect(tfjs).toEqual({ kind: 'tfjs' });
    expect(called).toBe(false);
    expect(lines).toEqual([
      'contrastive: evaluation engine: onnxruntime-node (webgpu, 3 threads)',
      'contrastive: evaluation engine: tfjs (cpu)',
    ]);
  });

  it('gives the training engine its device and names it', async () => {
    const seen: Array<[number, string]> = [];
    const handle = await resolveTrainingEngine(
      { engine: 'onnx', threads: 2, device: 'cuda:1' },
      async (t, d) => {
        seen.push([t, d]);
        return { beginStep: () => 'step', release: async () => {} };
      },
    );
    expect(seen).toEqual([[2, 'cuda:1']]);
    expect(handle?.name).toBe('onnxruntime-node (cuda:1, 2 threads)');
    expect(handle?.beginStep()).toBe('step');
  });
});
