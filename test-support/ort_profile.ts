/**
 * onnxruntime's own profiler for the profile scripts and the tests that check where kernels ran: switched on for
 * every session created after `profileSessions` (the engines create theirs lazily), and the JSON events of those
 * that ran read back.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadOnnxRuntime } from '../packages/bert/src/onnx/runtime.js';

export interface OrtProfileEvent {
  cat?: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string; provider?: string; input_type_shape?: Array<Record<string, number[]>> };
}

interface ProfiledSession {
  endProfiling(): void;
  run(...a: unknown[]): Promise<unknown>;
}

/**
 * Wraps `InferenceSession.create`: with `dir`, each new session profiles into `dir/session<n>_*.json`;
 * `onRun` gets each `run()`'s start time when it ends (the wall time inside onnxruntime). `finish()` puts
 * `create` back, ends the profiling and returns each profile file's events (sessions that never ran are left
 * out); `restore()` only puts `create` back (a test's `finally`).
 */
export async function profileSessions(options: {
  dir?: string;
  onRun?: (t0: number) => void;
}): Promise<{ finish(): OrtProfileEvent[][]; restore(): void }> {
  const { dir, onRun } = options;
  const sessions = (await loadOnnxRuntime()).InferenceSession as unknown as {
    create(model: unknown, options: object): Promise<ProfiledSession>;
  };
  const original = sessions.create;
  const create = original.bind(sessions);
  const profiled: ProfiledSession[] = [];
  let n = 0;
  sessions.create = async (model, sessionOptions) => {
    const s = await create(
      model,
      dir
        ? { ...sessionOptions, enableProfiling: true, profileFilePrefix: join(dir, `session${n++}`) }
        : sessionOptions,
    );
    if (onRun) {
      const run = s.run.bind(s);
      s.run = (...a: unknown[]) => {
        const t0 = performance.now();
        return run(...a).finally(() => onRun(t0));
      };
    }
    if (dir) profiled.push(s);
    return s;
  };
  const restore = () => {
    sessions.create = original;
  };
  return {
    restore,
    finish() {
      restore();
      if (!dir) return [];
      for (const s of profiled) s.endProfiling();
      return readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as OrtProfileEvent[])
        .filter((events) => events.some((e) => e.name === 'model_run'));
    },
  };
}

/** The operator kernels' events (one per node run). */
export function kernelEvents(events: OrtProfileEvent[]): OrtProfileEvent[] {
  return events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
}

/** Microseconds per operator type, largest first. */
export function microsecondsByOp(events: OrtProfileEvent[]): Array<[string, number]> {
  const byOp = new Map<string, number>();
  for (const e of kernelEvents(events)) {
    const op = e.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
  }
  return [...byOp].sort((a, b) => b[1] - a[1]);
}

/** Each operator type's execution providers (`CPUExecutionProvider`, `WebGpuExecutionProvider`, …). */
export function providersByOp(events: OrtProfileEvent[]): Map<string, Set<string>> {
  const byOp = new Map<string, Set<string>>();
  for (const e of kernelEvents(events)) {
    const op = e.args?.op_name ?? '?';
    byOp.set(op, (byOp.get(op) ?? new Set()).add(e.args?.provider ?? '?'));
  }
  return byOp;
}

/** The session's `model_run` events (one per `run()`), in order. */
function modelRuns(events: OrtProfileEvent[]): OrtProfileEvent[] {
  return events.filter((e) => e.name === 'model_run').sort((a, b) => a.ts - b.ts);
}

/** The events from the start of run `skipRuns` on (0: all of them): a profile without its warm-up runs. */
export function eventsFromRun(events: OrtProfileEvent[], skipRuns: number): OrtProfileEvent[] {
  const first = modelRuns(events)[skipRuns];
  return first ? events.filter((e) => e.ts >= first.ts) : [];
}

/** What `runSummary` sorts a kernel into (see there). */
export type KernelKind =
  | 'matrix products'
  | 'attention and head layout'
  | 'elementwise and normalization'
  | 'shape';

const PRODUCT_OPS = new Set(['MatMul', 'Gemm', 'FusedMatMul']);
const SHAPE_OPS = new Set(['Reshape', 'Shape', 'Squeeze', 'Unsqueeze', 'Expand', 'Flatten']);

/**
 * A kernel's kind by its operator and input ranks: products of 2-D operands (the dense layers' weights and
 * gradients, the pooling), anything with a 3-D or 4-D input (attention's batched products, softmax and masks, the
 * head-major gathers, transposes and concatenations), metadata-only shape operators, and the rest (2-D
 * elementwise work, LayerNorm and its backward, reductions, the embedding lookups).
 */
export function kernelKind(e: OrtProfileEvent): KernelKind {
  const op = e.args?.op_name ?? '?';
  if (SHAPE_OPS.has(op)) return 'shape';
  const ranks = (e.args?.input_type_shape ?? []).map((s) => Object.values(s)[0]?.length ?? 0);
  if (ranks.some((r) => r >= 3)) return 'attention and head layout';
  if (PRODUCT_OPS.has(op)) return 'matrix products';
  return 'elementwise and normalization';
}

/** Totals over the runs summarized (callers divide by what they count: steps, runs). */
export interface RunSummary {
  /** The `model_run`s summarized (after the skipped ones). */
  runs: number;
  /** Milliseconds: the runs as a whole, and inside kernels by kind. */
  runMs: number;
  byKind: Record<KernelKind, { ms: number; kernels: number }>;
  kernels: number;
  /** Milliseconds outside every kernel: onnxruntime's executor between kernels (and its profiler). */
  betweenKernelsMs: number;
}

/**
 * One session's profile, the first `skipRuns` runs left out (a warm-up run also grows the arena and touches its
 * pages for the first time). Undefined when no run is left.
 */
export function runSummary(events: OrtProfileEvent[], skipRuns = 0): RunSummary | undefined {
  const runs = modelRuns(events).slice(skipRuns);
  if (runs.length === 0) return undefined;
  const byKind: RunSummary['byKind'] = {
    'matrix products': { ms: 0, kernels: 0 },
    'attention and head layout': { ms: 0, kernels: 0 },
    'elementwise and normalization': { ms: 0, kernels: 0 },
    shape: { ms: 0, kernels: 0 },
  };
  let kernelUs = 0;
  let kernels = 0;
  for (const e of kernelEvents(eventsFromRun(events, skipRuns))) {
    const k = byKind[kernelKind(e)];
    k.ms += e.dur;
    k.kernels += 1;
    kernelUs += e.dur;
    kernels += 1;
  }
  const runUs = runs.reduce((a, r) => a + r.dur, 0);
  for (const k of Object.values(byKind)) k.ms /= 1000;
  return {
    runs: runs.length,
    runMs: runUs / 1000,
    byKind,
    kernels,
    betweenKernelsMs: (runUs - kernelUs) / 1000,
  };
}
