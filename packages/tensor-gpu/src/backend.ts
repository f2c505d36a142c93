import {
  type NativeMatMulStatus,
  disableNativeMatMul,
  enableNativeMatMul,
  nativeMatMulStatus,
  registerMissingKernels,
} from './kernels/index.js';
import { tf } from './tf.js';

/** Backends in order of preference. `tensorflow` is tfjs-node's (CPU or GPU build). */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  reason?: string;
}

export interface BackendReport {
  /** The tfjs backend now active (`tensorflow`, `wasm` or `cpu`). */
  backend: string;
  /** Which preference won (distinguishes tfjs-node-gpu from tfjs-node). */
  selected: BackendName;
  attempts: BackendAttempt[];
  /** One line for logs: what was chosen and why the faster ones were not. */
  summary: string;
  /** The onnxruntime-node matmul kernel on wasm, when it was requested (see `InitBackendOptions.nativeMatMul`). */
  nativeMatMul?: NativeMatMulStatus;
}

export interface InitBackendOptions {
  /** Force one backend; otherwise `CONTRASTIVE_BACKEND` or the first that loads. */
  backend?: BackendName;
  /** Print the one-line summary to stderr. Default: false. */
  log?: boolean;
  /**
   * On wasm, run large plain matmuls in onnxruntime-node's native kernels (~2× faster training; needs
   * onnxruntime-node 1.31.1, and falls back to the wasm kernel with a note when it cannot load). Default: on,
   * unless `CONTRASTIVE_NATIVE_MATMUL=0`; `false` puts the wasm kernel back. Ignored on other backends.
   */
  nativeMatMul?: boolean;
  /** onnxruntime intra-op threads for `nativeMatMul`. Default: `CONTRASTIVE_NATIVE_MATMUL_THREADS` or 2. */
  nativeMatMulThreads?: number;
}

const ORDER: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
const PACKAGE: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs', // the union package bundles the cpu backend (and registers every gradient)
};

let current: Promise<BackendReport> | undefined;
let currentKey: string | undefined;

function parseBackend(value: string, source: string): BackendName {
  const v = value.trim().toLowerCase();
  const aliases: Record<string, BackendName> = {
    'tensorflow-gpu': 'tensorflow-gpu',
    'node-gpu': 'tensorflow-gpu',
    gpu: 'tensorflow-gpu',
    tensorflow: 'tensorflow',
    node: 'tensorflow',
    wasm: 'wasm',
    cpu: 'cpu',
  };
  const b = aliases[v];
  if (!b) throw new Error(`${source}: unknown backend "${value}"; expected one of ${ORDER.join(', ')}`);
  return b;
}

type ProcessListener = (...args: unknown[]) => void;
const listenersOf = (event: string) => process.listeners(event as 'uncaughtException') as ProcessListener[];

/**
 * Runs `start` and removes the `uncaughtException` / `unhandledRejection` listeners it added. Emscripten's
 * (tfjs-backend-wasm) re-throw every error from inside the minified bundle, so a plain uncaught error printed
 * ~40 KB of that bundle and exited with code 7 instead of the program's message and its own handler.
 */
async function withoutProcessListeners<T>(start: () => Promise<T>): Promise<T> {
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = new Map(events.map((e) => [e, new Set(listenersOf(e))]));
  try {
    return await start();
  } finally {
    for (const event of events)
      for (const listener of listenersOf(event))
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
  }
}

function tryLoad(name: BackendName): Promise<string> {
  return withoutProcessListeners(() => startBackend(name));
}

async function startBackend(name: BackendName): Promise<string> {
  // Importing a backend package registers it with tfjs-core as a side effect.
  await import(/* @vite-ignore */ PACKAGE[name]);
  const tfName = name === 'tensorflow-gpu' ? 'tensorflow' : name;
  if (!tf.findBackendFactory(tfName))
    throw new Error(`${PACKAGE[name]} loaded but registered no "${tfName}" backend`);
  if (name === 'tensorflow-gpu') {
    // tfjs-node-gpu falls back to CPU silently when CUDA is missing; make that visible.
    const env = process.env.CUDA_VISIBLE_DEVICES;
    if (env === '' || env === '-1') throw new Error('CUDA_VISIBLE_DEVICES hides every GPU');
  }
  const ok = await tf.setBackend(tfName);
  if (!ok) throw new Error(`tf.setBackend("${tfName}") failed`);
  await tf.ready();
  return tfName;
}

function shortReason(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/Cannot find (module|package)|ERR_MODULE_NOT_FOUND|Could not resolve|Is it installed/.test(msg))
    return 'not installed';
  return msg.split('\n')[0]!.slice(0, 160);
}

/** `1`/`true`/`yes` → true, `0`/`false`/`no` → false, unset → undefined. */
function envFlag(name: string): boolean | undefined {
  const v = process.env[name]?.trim().toLowerCase();
  if (v === undefined || v === '') return undefined;
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new Error(`${name}: expected 1 or 0, got "${process.env[name]}"`);
}

function describeNative(s: NativeMatMulStatus): string {
  if (!s.enabled) return `native matmul off: ${s.reason}`;
  const note = s.reason ? `, ${s.reason}` : '';
  return `native matmul: onnxruntime-node ${s.version ?? '?'}, ${s.threads} thread${s.threads === 1 ? '' : 's'}${note}`;
}

/**
 * Selects and initializes the fastest available tfjs backend (tfjs-node-gpu → tfjs-node → wasm → cpu),
 * registers kernels the chosen backend lacks, and reports the choice. Idempotent per requested backend.
 */
export function initBackend(options: InitBackendOptions = {}): Promise<BackendReport> {
  const env = process.env.CONTRASTIVE_BACKEND;
  const forced = options.backend ?? (env ? parseBackend(env, 'CONTRASTIVE_BACKEND') : undefined);
  const native = options.nativeMatMul ?? envFlag('CONTRASTIVE_NATIVE_MATMUL') ?? true;
  const key = `${forced ?? 'auto'}${native === undefined ? '' : `|native=${native}:${options.nativeMatMulThreads ?? ''}`}`;
  if (current && currentKey === key) return current;
  currentKey = key;
  current = (async () => {
    const attempts: BackendAttempt[] = [];
    const candidates = forced ? [forced] : ORDER;
    for (const name of candidates) {
      try {
        const tfName = await tryLoad(name);
        registerMissingKernels(tfName);
        attempts.push({ backend: name, ok: true });
        const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.backend}: ${a.reason}`);
        const why = forced
          ? `forced by ${options.backend ? 'option' : 'CONTRASTIVE_BACKEND'}`
          : skipped.length
            ? `skipped ${skipped.join('; ')}`
            : 'first choice';
        let nativeMatMul: NativeMatMulStatus | undefined;
        if (tfName === 'wasm' && native === true) {
          nativeMatMul = await enableNativeMatMul({ threads: options.nativeMatMulThreads });
        } else if (tfName === 'wasm' && native === false) {
          disableNativeMatMul('disabled by option');
        } else if (tfName === 'wasm' && nativeMatMulStatus().enabled) {
          nativeMatMul = nativeMatMulStatus();
        }
        const nativeNote = nativeMatMul ? `; ${describeNative(nativeMatMul)}` : '';
        // tfjs's own cpu backend is ~100× slower than wasm: a fallback to it is said loudly, log or not.
        const slow = name === 'cpu' && !forced;
        const summary = slow
          ? `contrastive: WARNING: tfjs backend "cpu", about 100× slower than wasm (${why}); reinstall @tensorflow/tfjs-backend-wasm (a dependency of @contrastive/tensor-gpu) or set CONTRASTIVE_BACKEND=cpu to accept it`
          : `contrastive: tfjs backend "${name}" (${why})${nativeNote}`;
        if (options.log || slow) process.stderr.write(`${summary}\n`);
        return {
          backend: tfName,
          selected: name,
          attempts,
          summary,
          ...(nativeMatMul ? { nativeMatMul } : {}),
        };
      } catch (e) {
        attempts.push({ backend: name, ok: false, reason: shortReason(e) });
      }
    }
    current = undefined;
    throw new Error(
      `contrastive: no tfjs backend could be initialized (${attempts.map((a) => `${a.backend}: ${a.reason}`).join('; ')})`,
    );
  })();
  return current;
}

/** Name of the active tfjs backend, initializing the default one if none is yet. */
export async function ensureBackend(): Promise<string> {
  // Whatever an earlier initBackend chose (and with which options) stays: libraries must not re-initialize.
  if (current) return (await current).backend;
  return (await initBackend()).backend;
}
