import { availableParallelism } from 'node:os';
import type { EngineDevice } from './device.js';
import { tf } from './tf.js';

/**
 * What runs a model's transformer passes: `onnx` (onnxruntime-node: native, multi-threaded, several times faster
 * on CPU), `tfjs` (the active tfjs backend), or `auto` (onnx where it loads, except on tfjs-node(-gpu), which is
 * native already and may be a GPU).
 */
export type EngineChoice = 'auto' | 'onnx' | 'tfjs';

/** What the engine is asked to do; names the engine in the one-line report. */
export type EnginePurpose = 'encode' | 'train' | 'eval';

export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'onnx', 'tfjs'];

/** Parses a user-given engine name; the error names the option. */
export function parseEngineChoice(value: string, option = 'engine'): EngineChoice {
  if (!(ENGINE_CHOICES as readonly string[]).includes(value))
    throw new Error(`${option} must be auto, onnx or tfjs, got "${value}"`);
  return value as EngineChoice;
}

/** onnxruntime intra-op threads when none are given: the machine's cores, at most 8. */
export function defaultEngineThreads(): number {
  return Math.min(8, Math.max(1, availableParallelism()));
}

export interface ResolveEngineOptions<T> {
  purpose: EnginePurpose;
  requested: EngineChoice;
  /** onnxruntime intra-op threads; default `defaultEngineThreads()`. */
  threads?: number;
  /**
   * The onnx engine's device (default `cpu`), named in the report. Another device is a request for onnxruntime:
   * under `auto` it is chosen even on tfjs-node, and a failure to create it is rethrown, not a fallback.
   */
  device?: EngineDevice;
  /** Builds the onnx engine; a failure falls back to tfjs under `auto` and is rethrown under `onnx`. */
  createOnnx: (threads: number) => Promise<T>;
  /** Receives the one-line report of the choice (e.g. write it to stderr). */
  report?: (line: string) => void;
  /** More about the onnx engine for the report, after its threads (e.g. `2 workers`). */
  describe?: (engine: T) => string | undefined;
}

export type ResolvedEngine<T> =
  | { kind: 'onnx'; threads: number; engine: T }
  | { kind: 'tfjs'; reason?: string };

/**
 * The one place the auto/onnx/tfjs choice is made (the encoder, the trainer and the CLI all ask here): tries
 * onnxruntime when allowed, falls back to tfjs under `auto` with the reason, and reports the outcome in one line.
 */
export async function resolveEngine<T>(options: ResolveEngineOptions<T>): Promise<ResolvedEngine<T>> {
  const { requested } = options;
  const label = { encode: 'inference', train: 'training', eval: 'evaluation' }[options.purpose];
  const report =
    options.report && ((what: string) => options.report!(`contrastive: ${label} engine: ${what}`));
  const backend = tf.getBackend();
  const device = options.device ?? 'cpu';
  const onDevice = device !== 'cpu';
  if (requested === 'tfjs' || (requested === 'auto' && backend === 'tensorflow' && !onDevice)) {
    report?.(`tfjs (${backend})`);
    return { kind: 'tfjs' };
  }
  const threads = options.threads ?? defaultEngineThreads();
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`engine threads must be a positive integer, got ${threads}`);
  try {
    const engine = await options.createOnnx(threads);
    const more = options.describe?.(engine);
    report?.(onnxEngineName(device, threads, more));
    return { kind: 'onnx', threads, engine };
  } catch (e) {
    if (requested === 'onnx' || onDevice) throw e;
    const reason = e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e);
    report?.(`tfjs (${backend}); onnxruntime: ${reason}`);
    return { kind: 'tfjs', reason };
  }
}

/** A training engine as models hand it to the trainer: a name for the report, per-step passes, release. */
export interface TrainingEngineHandle<Step> {
  readonly name: string;
  beginStep(): Step;
  release(): Promise<void>;
}

/**
 * The onnx engine as reports name it: `onnxruntime-node (2 threads)`, `onnxruntime-node (webgpu, 2 threads)`,
 * with `more` after the threads (`2 workers`).
 */
export function onnxEngineName(device: EngineDevice, threads: number, more?: string): string {
  const what = [...(device === 'cpu' ? [] : [device]), `${threads} threads`, ...(more ? [more] : [])];
  return `onnxruntime-node (${what.join(', ')})`;
}

export interface TrainingEngineRequest {
  engine?: EngineChoice;
  threads?: number;
  /** The onnx engine's device (default `cpu`); see `ResolveEngineOptions.device`. */
  device?: EngineDevice;
  report?: (line: string) => void;
}

/**
 * What a model's `createTrainingEngine` does, once for every model: resolve the engine for training and wrap the
 * onnxruntime engine it builds; undefined means tfjs's tape trains the model.
 */
export async function resolveTrainingEngine<Step>(
  request: TrainingEngineRequest,
  createOnnx: (
    threads: number,
    device: EngineDevice,
  ) => Promise<{ beginStep(): Step; release(): Promise<void> }>,
): Promise<TrainingEngineHandle<Step> | undefined> {
  const device = request.device ?? 'cpu';
  const resolved = await resolveEngine({
    purpose: 'train',
    requested: request.engine ?? 'auto',
    threads: request.threads,
    device,
    report: request.report,
    createOnnx: (threads) => createOnnx(threads, device),
  });
  if (resolved.kind === 'tfjs') return undefined;
  const engine = resolved.engine;
  return {
    name: onnxEngineName(device, resolved.threads),
    beginStep: () => engine.beginStep(),
    release: () => engine.release(),
  };
}
