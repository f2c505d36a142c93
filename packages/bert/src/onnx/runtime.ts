import type * as Ort from 'onnxruntime-node';

export type OnnxRuntime = typeof Ort;

const PACKAGE = 'onnxruntime-node';
let loading: Promise<OnnxRuntime> | undefined;

/**
 * onnxruntime-node, imported on first use so that @contrastive/bert works (with tfjs) where the native
 * library cannot load (another platform, a musl libc, a sandbox without native modules).
 */
export function loadOnnxRuntime(): Promise<OnnxRuntime> {
  // onnxruntime-node 1.30 otherwise writes /tmp/mat-debug-<pid>.log and a device id and usage database under
  // ~/.cache/Microsoft; the variable must be set before the library loads. ORT_DISABLE_TELEMETRY=0 opts in.
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
        `the ONNX engine needs ${PACKAGE} (1.30.0), which could not be loaded: ${reason}. Install it for this platform, or encode with SentenceEncoder.encode (tfjs) instead`,
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
