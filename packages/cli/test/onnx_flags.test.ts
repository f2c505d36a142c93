import type { TrainingArguments } from '@contrastive/trainer';
import { InvalidArgumentError } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  checkOnnxFlags,
  parseDevice,
  setTrainingDevice,
  warnUnusedWorkers,
  withOnnxFlags,
  workersOption,
} from '../src/engine.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('--workers and --device against the engine', () => {
  it('refuses --engine tfjs with --workers, and takes it with onnx or auto', () => {
    expect(() => checkOnnxFlags('tfjs', { workers: 2 })).toThrow(
      '--workers runs onnxruntime sessions in worker threads; it does not apply to --engine tfjs',
    );
    expect(() => checkOnnxFlags('tfjs', {})).not.toThrow();
    expect(() => checkOnnxFlags('onnx', { workers: 2 })).not.toThrow();
    expect(() => checkOnnxFlags('auto', { workers: 2 })).not.toThrow();
  });

  it('refuses --engine tfjs with a --device other than cpu', () => {
    expect(() => checkOnnxFlags('tfjs', { device: 'webgpu' })).toThrow(
      '--device webgpu runs the onnx engine on that device; it does not apply to --engine tfjs',
    );
    expect(() => checkOnnxFlags('tfjs', { device: 'cpu' })).not.toThrow();
    expect(() => checkOnnxFlags('auto', { device: 'cuda:1' })).not.toThrow();
  });

  it("sets the trainer's engineDevice from --device, refused after --engine tfjs", () => {
    const args: Partial<TrainingArguments> = {};
    setTrainingDevice(args, undefined);
    expect(args).toEqual({});
    setTrainingDevice(args, 'webgpu');
    expect(args).toEqual({ engineDevice: 'webgpu' });
    expect(() => setTrainingDevice({ trainEngine: 'tfjs' }, 'cuda')).toThrow(
      '--device cuda runs the onnx engine on that device; it does not apply to --engine tfjs',
    );
  });

  it('parses --device names, and refuses others as a usage error', () => {
    for (const d of ['cpu', 'webgpu', 'cuda', 'cuda:0', 'cuda:12']) expect(parseDevice(d)).toBe(d);
    for (const d of ['gpu', 'cuda:', 'cuda:01', 'cuda:-1', 'CUDA', 'mps']) {
      expect(() => parseDevice(d)).toThrow(InvalidArgumentError);
      expect(() => parseDevice(d)).toThrow(`--device must be cpu, webgpu, cuda or cuda:<index>, got "${d}"`);
    }
  });

  it('warns when auto chose tfjs and --workers was given, and only then', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    warnUnusedWorkers('onnx', 2);
    warnUnusedWorkers('tfjs', undefined);
    expect(written).toEqual([]);
    warnUnusedWorkers('tfjs', 2);
    expect(written).toEqual([
      'contrastive: warning: --workers ignored: the tfjs engine encodes in this thread\n',
    ]);
  });

  it('parses --workers as a positive integer or auto', () => {
    const option = workersOption();
    expect([option.parseArg?.('3', undefined), option.parseArg?.('auto', undefined)]).toEqual([3, 'auto']);
    for (const v of ['0', '-1', '1.5', 'Auto', 'two'])
      expect(() => option.parseArg?.(v, undefined)).toThrow(
        `--workers must be a positive integer or auto, got "${v}"`,
      );
  });

  it('adds the workers and the device to the onnx options only when given', () => {
    const options = { threads: 4 };
    expect(withOnnxFlags(options, {})).toEqual({ threads: 4 });
    expect(withOnnxFlags(options, { workers: 2 })).toEqual({ threads: 4, workers: 2 });
    expect(withOnnxFlags(options, { device: 'webgpu' })).toEqual({ threads: 4, device: 'webgpu' });
    expect(options).toEqual({ threads: 4 });
  });
});
