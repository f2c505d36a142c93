import type { EngineDevice } from '@contrastive/tensor-gpu';
import type * as Ort from 'onnxruntime-node';
import { GraphBuilder } from './graph_builder.js';
import { OnnxDataType, encodeModel } from './proto.js';

export type OnnxRuntime = typeof Ort;

const PACKAGE = 'onnxruntime-node';
let loading: Promise<OnnxRuntime> | undefined;

/**
 * onnxruntime-node, imported on first use so that @contrastive/bert works (with tfjs) where the native
 * library cannot load (another platform, a musl libc, a sandbox without native modules).
 */
export function loadOnnxRuntime(): Promise<OnnxRuntime> {
  // onnxruntime-node otherwise writes a device id and usage database under ~/.cache/Microsoft (1.30 also a
  // /tmp/mat-debug-<pid>.log); the variable must be set before the library loads. ORT_DISABLE_TELEMETRY=0 opts in.
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  loading ??= import(/* @vite-ignore */ PACKAGE).then(
    (mod: OnnxRuntime & { default?: OnnxRuntime }) => {
      // CommonJS interop: the named exports may sit on `default`.
      const ort = mod.InferenceSession ? mod : mod.default;
      if (!ort?.InferenceSession) throw new Error(`${PACKAGE} loaded but exports no InferenceSession`);
      return ort;
    },
    (e: unknown) => {
      loading = undefined;
      const reason = e instanceof Error ? e.message.split('\n')[0] : String(e);
      throw new Error(
        `the ONNX engine needs ${PACKAGE} (1.31.1), which could not be loaded: ${reason}. Install it for this platform, or encode with SentenceEncoder.encode (tfjs) instead`,
        { cause: e },
      );
    },
  );
  return loading;
}

/**
 * Session config entries of our CPU sessions (`SessionOptions.extra`). onnxruntime's MatMulAddFusion turns
 * `MatMul` + `Add(bias)` into a `Gemm` with a C input, whose CPU kernel ran slower here than the two ops apart: at
 * MiniLM's sizes a [1600, 384]×[384, 384] product with a bias took ~0.2–0.35 ms more fused than as MatMul + Add
 * (our micro-benchmark; the product alone ~1.15 ms).
 */
export const CPU_SESSION_CONFIG = {
  optimization: { disable_specified_optimizers: 'MatMulAddFusion' },
} as const;

/**
 * The session options every CPU session of ours starts from (encode, training, the benchmark's roofline): `threads`
 * intra-op threads, one graph run at a time, full graph optimization, `CPU_SESSION_CONFIG`.
 */
export function cpuSessionOptions(threads: number): Ort.InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: CPU_SESSION_CONFIG,
  };
}

/**
 * `cpuSessionOptions` on `device`: its execution provider first (operators it lacks run on the CPU, with
 * `threads`). GPU sessions log errors only: onnxruntime warns on every one that shape operators stay on the CPU
 * (by design).
 */
export function deviceSessionOptions(
  threads: number,
  device: EngineDevice = 'cpu',
): Ort.InferenceSession.SessionOptions {
  const options = cpuSessionOptions(threads);
  if (device === 'cpu') return options;
  const provider: Ort.InferenceSession.ExecutionProviderConfig =
    device === 'webgpu'
      ? 'webgpu'
      : { name: 'cuda', deviceId: device === 'cuda' ? 0 : Number(device.slice('cuda:'.length)) };
  return { ...options, executionProviders: [provider], logSeverityLevel: 3 };
}

const DEVICE_HELP: Record<'webgpu' | 'cuda', string> = {
  webgpu:
    "onnxruntime-node carries its WebGPU provider (Dawn); it needs a GPU driver with Vulkan (Linux), Metal (macOS) or Direct3D 12 (Windows). On Linux without a GPU, Mesa's lavapipe is a CPU Vulkan device for checks (mesa-vulkan-drivers: 25.0 works, Debian 12's 22.3 is too old)",
  cuda: "onnxruntime-node's CUDA provider is downloaded by its install script on linux/x64 (ONNXRUNTIME_NODE_INSTALL=cuda12, or allow the package's install script in pnpm) and needs the CUDA 12 and cuDNN 9 runtimes",
};

/** `InferenceSession.create` on `device`; a device that cannot start fails with what it needs. */
export async function createSession(
  ort: OnnxRuntime,
  model: Uint8Array,
  threads: number,
  device: EngineDevice = 'cpu',
  overrides: Ort.InferenceSession.SessionOptions = {},
): Promise<Ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(model, {
      ...deviceSessionOptions(threads, device),
      ...overrides,
    });
  } catch (e) {
    if (device === 'cpu') throw e;
    const reason = e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e);
    const kind = device === 'webgpu' ? 'webgpu' : 'cuda';
    throw new Error(`ONNX engine: device ${device} is not available here (${reason}). ${DEVICE_HELP[kind]}`, {
      cause: e,
    });
  }
}

/** What `probeDevice` found: whether onnxruntime starts `device` here, and why not. */
export interface DeviceProbe {
  device: EngineDevice;
  available: boolean;
  /** Why the device cannot start (onnxruntime's first line and what the device needs). */
  reason?: string;
}

/**
 * Whether onnxruntime-node starts `device` here (sentence-transformers users ask `torch.cuda.is_available()`):
 * a one-node session created and released on it. Never throws; onnxruntime-node missing is a reason too.
 */
export async function probeDevice(device: EngineDevice): Promise<DeviceProbe> {
  try {
    const ort = await loadOnnxRuntime();
    const g = new GraphBuilder();
    g.output(g.op('Relu', [g.input('x', OnnxDataType.FLOAT, [1])]), OnnxDataType.FLOAT, [1]);
    const model = encodeModel(g.model({ opset: 17, producerVersion: '0', docString: 'device probe' }));
    const session = await createSession(ort, model, 1, device);
    await session.release();
    return { device, available: true };
  } catch (e) {
    return { device, available: false, reason: e instanceof Error ? e.message : String(e) };
  }
}
