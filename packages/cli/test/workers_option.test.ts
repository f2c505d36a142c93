import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkWorkersEngine, warnUnusedWorkers, withWorkers } from '../src/engine.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('--workers against the engine', () => {
  it('refuses --engine tfjs with --workers, and takes it with onnx or auto', () => {
    expect(() => checkWorkersEngine('tfjs', 2)).toThrow(
      '--workers runs onnxruntime sessions in worker threads; it does not apply to --engine tfjs',
    );
    expect(() => checkWorkersEngine('tfjs', undefined)).not.toThrow();
    expect(() => checkWorkersEngine('onnx', 2)).not.toThrow();
    expect(() => checkWorkersEngine('auto', 2)).not.toThrow();
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

  it('adds the workers to the onnx options only when given', () => {
    const options = { threads: 4 };
    expect(withWorkers(options, undefined)).toBe(options);
    expect(withWorkers(options, 2)).toEqual({ threads: 4, workers: 2 });
    expect(options).toEqual({ threads: 4 });
  });
});
