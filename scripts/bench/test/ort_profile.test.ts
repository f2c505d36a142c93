import { describe, expect, it } from 'vitest';
import {
  type OrtProfileEvent,
  eventsFromRun,
  kernelKind,
  runSummary,
} from '../../../test-support/ort_profile.js';

/** A kernel event as onnxruntime's profiler writes it: `<node>_kernel_time`, its operator and input shapes. */
const kernel = (ts: number, dur: number, op: string, ...shapes: number[][]): OrtProfileEvent => ({
  cat: 'Node',
  name: `node_${op.toLowerCase()}_${ts}_kernel_time`,
  ts,
  dur,
  args: { op_name: op, input_type_shape: shapes.map((s) => ({ float: s })) },
});
const run = (ts: number, dur: number): OrtProfileEvent => ({ cat: 'Session', name: 'model_run', ts, dur });

describe('the profile scripts’ kernel summary', () => {
  it('sorts kernels by operator and input ranks', () => {
    expect(kernelKind(kernel(0, 1, 'Gemm', [900, 384], [900, 384]))).toBe('matrix products');
    expect(kernelKind(kernel(0, 1, 'MatMul', [1, 900], [900, 384]))).toBe('matrix products');
    // Attention's batched products and everything else on the head-major layout.
    expect(kernelKind(kernel(0, 1, 'FusedMatMul', [12, 8, 14, 32], [12, 8, 14, 32]))).toBe(
      'attention and head layout',
    );
    expect(kernelKind(kernel(0, 1, 'Gather', [12, 900, 32], [8, 14]))).toBe('attention and head layout');
    expect(kernelKind(kernel(0, 1, 'Softmax', [12, 8, 14, 14]))).toBe('attention and head layout');
    expect(kernelKind(kernel(0, 1, 'Mul', [900, 1536], [900, 1536]))).toBe('elementwise and normalization');
    expect(kernelKind(kernel(0, 1, 'Gather', [30522, 384], [900]))).toBe('elementwise and normalization');
    expect(kernelKind(kernel(0, 1, 'Reshape', [12, 8, 14, 32], [3]))).toBe('shape');
  });

  it('gives milliseconds and kernels over the runs after the warm-up, and the time between kernels', () => {
    // Two runs (µs): the warm-up at 0 (1,000 long), the timed one at 5,000 (400 long, 300 of it in kernels).
    const events = [
      run(0, 1000),
      kernel(10, 900, 'Gemm', [900, 384], [900, 384]),
      run(5000, 400),
      kernel(5010, 100, 'Gemm', [900, 384], [900, 384]),
      kernel(5110, 50, 'MatMul', [900, 384], [384, 384]),
      kernel(5160, 60, 'FusedMatMul', [12, 8, 14, 32], [12, 8, 14, 32]),
      kernel(5220, 80, 'Add', [900, 384], [384]),
      kernel(5300, 10, 'Reshape', [900, 384], [3]),
    ];
    const s = runSummary(events, 1)!;
    expect(s.runs).toBe(1);
    expect(s.runMs).toBeCloseTo(0.4, 12);
    expect(s.kernels).toBe(5);
    expect(s.byKind['matrix products']).toEqual({ ms: 0.15, kernels: 2 });
    expect(s.byKind['attention and head layout']).toEqual({ ms: 0.06, kernels: 1 });
    expect(s.byKind['elementwise and normalization']).toEqual({ ms: 0.08, kernels: 1 });
    expect(s.byKind.shape).toEqual({ ms: 0.01, kernels: 1 });
    expect(s.betweenKernelsMs).toBeCloseTo(0.1, 12);
    // With the warm-up: two runs, their totals.
    const all = runSummary(events)!;
    expect(all.runs).toBe(2);
    expect(all.runMs).toBeCloseTo(1.4, 12);
    expect(all.kernels).toBe(6);
    expect(all.byKind['matrix products']).toEqual({ ms: 1.05, kernels: 3 });
    expect(all.betweenKernelsMs).toBeCloseTo((1400 - 1200) / 1000, 12);
    expect(eventsFromRun(events, 1)).toEqual(events.slice(2));
    // No run left after the skipped ones.
    expect(runSummary(events, 2)).toBeUndefined();
    expect(eventsFromRun(events, 2)).toEqual([]);
  });
});
