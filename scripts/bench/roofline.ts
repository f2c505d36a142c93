/**
 * This machine's dense float32 matmul rate through onnxruntime-node, with the thread count our engines use: the
 * roofline that `pnpm bench --roofline` divides achieved GFLOP/s by. The product is the one
 * `../shared/bench/torch_reference.py --gemm` times ([2048, 384] × [384, 1536], MiniLM's FFN on 2048 tokens).
 * Prints one JSON line. Called by scripts/bench.ts in its own process.
 */
import { parseArgs } from 'node:util';
import { GraphBuilder, int } from '../../packages/bert/src/onnx/graph_builder.js';
import { OnnxDataType, encodeModel } from '../../packages/bert/src/onnx/proto.js';
import { cpuSessionOptions, loadOnnxRuntime } from '../../packages/bert/src/onnx/runtime.js';

// No onnxruntime-node telemetry or /tmp/mat-debug-<pid>.log (onnxruntime loads lazily, after this line).
process.env.ORT_DISABLE_TELEMETRY ??= '1';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    // Timed products; the best of `repeat` timings of them is reported (the least disturbed, as elsewhere).
    iterations: { type: 'string', default: '40' },
    repeat: { type: 'string', default: '3' },
  },
});
const positive = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
};
const threads = positive('threads', args.threads);
const iterations = positive('iterations', args.iterations);
const repeat = positive('repeat', args.repeat);
const [M, K, N] = [2048, 384, 1536];

const ort = await loadOnnxRuntime();
const g = new GraphBuilder();
const x = g.input('x', OnnxDataType.FLOAT, [M, K]);
const w = g.input('w', OnnxDataType.FLOAT, [K, N]);
// The product stays inside onnxruntime: onnxruntime-node copies every output into a new ArrayBuffer (~0.4 ms
// per MB here, a third of this product's time), which is no part of a matmul rate. One scalar leaves (the sum
// of the product: a read of it, a few percent of the time, counted against the rate).
g.output(g.op('ReduceSum', [g.op('MatMul', [x, w])], { keepdims: int(0) }), OnnxDataType.FLOAT, []);
// The session options of our engines (bert_engine.ts, encoder_session.ts).
const session = await ort.InferenceSession.create(
  encodeModel(g.model({ opset: 17, producerVersion: '0', docString: 'matmul roofline' })),
  cpuSessionOptions(threads),
);
const random = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5);
const feeds = {
  x: new ort.Tensor('float32', random(M * K), [M, K]),
  w: new ort.Tensor('float32', random(K * N), [K, N]),
};
for (let i = 0; i < 5; i++) await session.run(feeds); // warm-up (thread pool, packing)
let best = 0;
for (let r = 0; r < repeat; r++) {
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) await session.run(feeds);
  const seconds = (performance.now() - t0) / 1000;
  best = Math.max(best, (2 * M * K * N * iterations) / seconds / 1e9);
}
await session.release();
process.stdout.write(
  `${JSON.stringify({
    engine: `onnxruntime-node, ${threads} threads`,
    matmul: [M, K, N],
    gemm_gflops: Math.round(best * 10) / 10,
  })}\n`,
);
