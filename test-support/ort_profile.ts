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
