import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, relativeMaxDiff } from '../../../test-support/compare.js';
import { deviceAvailable } from '../../../test-support/onnx_device.js';
import { profileSessions, providersByOp } from '../../../test-support/ort_profile.js';
import { sharedPath } from '../../../test-support/shared.js';
import { CrossEncoder, SentenceEncoder, SentenceTokenizer, presetConfig } from '../src/index.js';
import type { OnnxModuleWriter } from '../src/modules/module.js';
import { buildBertGraph } from '../src/onnx/bert_graph.js';
import { OnnxEncoderSession, OnnxTrainingEngine, encodeModel } from '../src/onnx/index.js';
import { toInt64 } from '../src/onnx/internal/int64.js';
import { createSession, deviceSessionOptions, loadOnnxRuntime, probeDevice } from '../src/onnx/runtime.js';
import { bertWeightViews } from '../src/onnx/session_cache.js';
import { OnnxBertTrainer } from '../src/onnx/training/internal/bert_engine.js';
import { buildFusedTrainingGraph, buildTrainingGraphs } from '../src/onnx/training/internal/graphs.js';

const fixture = sharedPath('fixtures', 'tiny-bert');
const ref = JSON.parse(readFileSync(join(fixture, 'reference.json'), 'utf8')) as {
  texts: string[];
  embeddings: number[][];
};
const webgpu = await deviceAvailable('webgpu');
const cuda = await deviceAvailable('cuda');

/**
 * Each operator type's execution providers in the onnxruntime profiles of the sessions `run` creates (their
 * release comes after: `endProfiling` needs them open).
 */
async function providersDuring(run: () => Promise<void>): Promise<Map<string, Set<string>>> {
  const dir = mkdtempSync(join(tmpdir(), 'webgpu-profile-'));
  const profiler = await profileSessions({ dir });
  try {
    await run();
    return providersByOp(profiler.finish().flat());
  } finally {
    profiler.restore();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Texts of `n` words each (n + 2 tokens with [CLS] and [SEP]). */
const wordsOf = (n: number) =>
  Array.from({ length: n }, (_, i) => 'the cat sat on a mat'.split(' ')[i % 6]).join(' ');

let encoder: SentenceEncoder;
const release: Array<{ release(): Promise<void> }> = [];

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  encoder = await SentenceEncoder.load(fixture);
});
afterAll(async () => {
  for (const r of release) await r.release();
  await encoder.release();
});

describe('devices of the onnx engine', () => {
  it('gives each device its execution provider (cpu: none, the default)', () => {
    expect(deviceSessionOptions(2).executionProviders).toBeUndefined();
    expect(deviceSessionOptions(2, 'cpu').executionProviders).toBeUndefined();
    expect(deviceSessionOptions(2, 'webgpu').executionProviders).toEqual(['webgpu']);
    expect(deviceSessionOptions(2, 'cuda').executionProviders).toEqual([{ name: 'cuda', deviceId: 0 }]);
    expect(deviceSessionOptions(3, 'cuda:1')).toMatchObject({
      executionProviders: [{ name: 'cuda', deviceId: 1 }],
      intraOpNumThreads: 3,
    });
  });

  it('writes the GPU training graphs in the operators GPU providers implement (no com.microsoft kernel, no Sum)', () => {
    const config = presetConfig('mini');
    const loss = { scale: 20, normalize: false };
    // Operators of the three training graphs that the WebGPU provider has no kernel for.
    const missingOnGpu = (standardOps: boolean) => {
      const { forward, backward } = buildTrainingGraphs(config, { dropout: true, groups: 2, standardOps });
      return [
        ...forward.graph.node,
        ...backward.graph.node,
        ...buildFusedTrainingGraph(config, { dropout: true, groups: 2, loss, standardOps }).model.graph.node,
      ]
        .filter((n) => n.domain === 'com.microsoft' || n.op_type === 'Sum')
        .map((n) => n.op_type);
    };
    expect(new Set(missingOnGpu(false))).toEqual(new Set(['FusedMatMul', 'Sum']));
    expect(missingOnGpu(true)).toEqual([]);
  });

  it('probes devices: cpu starts; a device that does not says why', async () => {
    expect(await probeDevice('cpu')).toEqual({ device: 'cpu', available: true });
    const gpu = await probeDevice('webgpu');
    expect(gpu.available).toBe(webgpu);
    if (!gpu.available) expect(gpu.reason).toContain('ONNX engine: device webgpu is not available here');
    if (!cuda) expect((await probeDevice('cuda:2')).reason).toContain('CUDA 12 and cuDNN 9');
  });

  it('refuses workers on a GPU (they share out CPU threads)', async () => {
    await expect(
      OnnxEncoderSession.create(
        { config: encoder.bert.config, weights: bertWeightViews(encoder.bert), head: [] },
        { device: 'webgpu', workers: 2 },
      ),
    ).rejects.toThrow(
      'ONNX engine: workers share out CPU threads; on device webgpu one session runs the batches',
    );
  });

  it.skipIf(cuda)('says what a missing CUDA provider needs, and does not fall back to tfjs', async () => {
    const e = await SentenceEncoder.load(fixture);
    e.onnxOptions = { device: 'cuda' };
    const lines: string[] = [];
    await expect(e.selectEncodeEngine('auto', { report: (l) => lines.push(l) })).rejects.toThrow(
      /ONNX engine: device cuda is not available here \(.*\)\. onnxruntime-node's CUDA provider .* CUDA 12 and cuDNN 9/,
    );
    expect(lines).toEqual([]);
    await expect(OnnxTrainingEngine.create(e, { device: 'cuda:1' })).rejects.toThrow(
      'ONNX engine: device cuda:1 is not available here',
    );
  });
});

// Runs where onnxruntime-node's WebGPU provider finds a device: a GPU, or Mesa's lavapipe on the CPU.
describe.skipIf(!webgpu)('the onnx engine on WebGPU', () => {
  it('reproduces the PyTorch reference embeddings, and reports the device', async () => {
    const e = await SentenceEncoder.load(fixture);
    release.push(e);
    e.onnxOptions = { device: 'webgpu', threads: 1 };
    const lines: string[] = [];
    expect(await e.selectEncodeEngine('auto', { report: (l) => lines.push(l) })).toBe('onnx');
    expect(lines).toEqual(['contrastive: inference engine: onnxruntime-node (webgpu, 1 threads)']);
    const got = await e.encode(ref.texts, { batchSize: 4, engine: 'onnx' });
    expect(maxAbsDiff(got, ref.embeddings)).toBeLessThan(1e-5);
  });

  it('matches tfjs on a MiniLM-shaped model from 20 to 100 tokens, padded in one batch', async () => {
    // com.microsoft MultiHeadAttention went wrong from 32 tokens on in onnxruntime-node 1.30's WebGPU kernel:
    // the GPU graph uses standard operators, checked on both sides of that length.
    const e = SentenceEncoder.random({
      config: presetConfig('mini'),
      tokenizer: SentenceTokenizer.fromDir(fixture),
      pooling: 'mean',
      maxSeqLength: 128,
      seed: 3,
    });
    release.push(e);
    e.onnxOptions = { device: 'webgpu', threads: 1 };
    const texts = [18, 29, 30, 31, 40, 98].map(wordsOf);
    const got = await e.encode(texts, { batchSize: 6, engine: 'onnx' });
    const want = await e.encode(texts, { batchSize: 6, engine: 'tfjs' });
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
  });

  it('scores pairs with a cross-encoder (token types, classifier head) as PyTorch does', async () => {
    const dir = sharedPath('fixtures', 'tiny-cross-encoder');
    const ce = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as {
      max_length: number;
      pairs: Array<[string, string]>;
      logits: number[];
    };
    const model = await CrossEncoder.load(dir, { maxLength: ce.max_length });
    release.push(model);
    model.onnxOptions = { device: 'webgpu', threads: 1 };
    const logits = await model.logits(ce.pairs, { engine: 'onnx', batchSize: 3 });
    expect(
      maxAbsDiff(
        logits,
        ce.logits.map((l) => [l]),
      ),
    ).toBeLessThan(1e-5);
  });

  it("runs the encoder's products, softmax and LayerNorms on the WebGPU provider", async () => {
    const ort = await loadOnnxRuntime();
    // The graph the engine builds on a GPU (OnnxEncoderSession: standard operators, the head inside).
    const model = buildBertGraph({
      config: encoder.bert.config,
      weights: bertWeightViews(encoder.bert)(),
      weightLayout: 'in-out',
      ops: 'standard',
      output: 'sentence_embedding',
      head: encoder.modules.map((m) => m.onnx?.() as OnnxModuleWriter),
      poolingMaskInput: true,
    });
    const providers = await providersDuring(async () => {
      const session = await createSession(ort, encodeModel(model), 1, 'webgpu');
      release.push(session);
      const batch = encoder.tokenizer.encodeBatch(ref.texts, 64);
      const dims = [batch.batchSize, batch.length];
      const int64 = (a: Int32Array) => new ort.Tensor('int64', toInt64(a), dims);
      await session.run({
        input_ids: int64(batch.inputIds),
        attention_mask: int64(batch.attentionMask),
        pooling_mask: int64(batch.attentionMask),
      });
    });
    for (const op of ['MatMul', 'Softmax', 'LayerNormalization'])
      expect([...(providers.get(op) ?? [])], op).toEqual(['WebGpuExecutionProvider']);
  });

  it("runs the training engine's products on the WebGPU provider (its graphs in standard operators)", async () => {
    const providers = await providersDuring(async () => {
      const engine = await OnnxBertTrainer.create(encoder.bert, { threads: 1, device: 'webgpu' });
      release.push(engine);
      const batch = encoder.tokenizer.encodeBatch(ref.texts.slice(0, 4), 64);
      const weights = engine.snapshotWeights();
      const acts = await engine.forward(batch, weights);
      const h = encoder.bert.config.hidden_size;
      await engine.backward(
        acts,
        new Float32Array(batch.batchSize * batch.length * h).fill(1),
        weights,
        new Map(),
      );
    });
    expect(providers.has('FusedMatMul')).toBe(false);
    expect([...(providers.get('MatMul') ?? [])]).toEqual(['WebGpuExecutionProvider']);
  });

  it('trains: forward, backward and the fused MNRL step give the gradients of the CPU engine', async () => {
    const bert = encoder.bert;
    const [cpu, gpu] = await Promise.all([
      OnnxBertTrainer.create(bert, { threads: 1 }),
      OnnxBertTrainer.create(bert, { threads: 1, device: 'webgpu' }),
    ]);
    release.push(cpu, gpu);
    const h = bert.config.hidden_size;
    const batch = encoder.tokenizer.encodeBatch([...ref.texts, wordsOf(40)], 64);
    const dHidden = Float32Array.from({ length: batch.batchSize * batch.length * h }, (_, i) =>
      batch.attentionMask[Math.floor(i / h)] ? Math.sin(i) : 0,
    );
    const pass = async (engine: OnnxBertTrainer) => {
      const weights = engine.snapshotWeights();
      const acts = await engine.forward(batch, weights);
      const grads = new Map<string, Float32Array>();
      await engine.backward(acts, dHidden, weights, grads);
      return { hidden: acts.hidden, grads };
    };
    const want = await pass(cpu);
    const got = await pass(gpu);
    expect(maxAbsDiff([got.hidden], [want.hidden])).toBeLessThan(1e-4);
    expect([...got.grads.keys()].sort()).toEqual([...want.grads.keys()].sort());
    for (const [name, g] of want.grads)
      expect(relativeMaxDiff(got.grads.get(name)!, g), name).toBeLessThan(1e-5);

    // The fused step: MNRL inside the graph (what the trainer runs for MNRL on a mean-pooling model).
    const calls = [
      { texts: ref.texts.slice(0, 2), options: { training: false } },
      { texts: [ref.texts[2]!, wordsOf(40)], options: { training: false } },
    ];
    const step = async (device: 'cpu' | 'webgpu') => {
      const engine = await OnnxTrainingEngine.create(encoder, { threads: 1, device });
      release.push(engine);
      const s = engine.beginStep();
      try {
        const value = await s.trainFused({ kind: 'mnrl', scale: 20 }, calls);
        expect(value, 'the fused form ran').toBeTypeOf('number');
        const grads = s.gradients();
        const out = new Map([...grads].map(([k, t]) => [k, t.dataSync() as Float32Array]));
        for (const t of grads.values()) t.dispose();
        return { value: value!, out };
      } finally {
        s.dispose();
      }
    };
    const a = await step('cpu');
    const b = await step('webgpu');
    expect(Math.abs(a.value - b.value)).toBeLessThan(1e-5);
    for (const [name, g] of a.out) expect(relativeMaxDiff(b.out.get(name)!, g), name).toBeLessThan(1e-5);
  });
});
