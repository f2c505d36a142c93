import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32, normalSamples } from '@contrastive/core';
import { initBackend, readSafetensors, tf } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { relativeMaxDiff } from '../../../test-support/compare.js';
import { sharedPath } from '../../../test-support/shared.js';
import {
  AUTO_WORKERS_MIN_TEXTS,
  CrossEncoder,
  OnnxTrainingEngine,
  SentenceTokenizer,
  parseBertConfig,
} from '../src/index.js';
import { WorkerSession } from '../src/onnx/internal/session_worker.js';

const fixture = sharedPath('fixtures', 'tiny-cross-encoder');
const ref = JSON.parse(readFileSync(join(fixture, 'reference.json'), 'utf8')) as {
  max_length: number;
  pairs: Array<[string, string]>;
  input_ids: number[][];
  token_type_ids: number[][];
  logits: number[];
  scores: number[];
};

let model: CrossEncoder;
const tmp: string[] = [];

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = await CrossEncoder.load(fixture, { maxLength: ref.max_length });
  model.onnxOptions = { threads: 1 };
});
afterAll(async () => {
  model.dispose();
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('CrossEncoder parity with PyTorch (tiny-cross-encoder)', () => {
  it('loads BertForSequenceClassification: one label, sigmoid, no newly initialized weights', () => {
    expect(model.numLabels).toBe(1);
    expect(model.activation).toBe('sigmoid');
    expect(model.initializedWeights).toEqual([]);
    expect(model.labels).toEqual(['LABEL_0']);
    expect(CrossEncoder.isCrossEncoderFolder(fixture)).toBe(true);
    expect(CrossEncoder.isCrossEncoderFolder(sharedPath('fixtures', 'tiny-bert'))).toBe(false);
  });

  it('tokenizes pairs exactly: ids and token types, longest-first truncation to 20', () => {
    ref.pairs.forEach((p, i) => {
      const b = model.tokenizePairs([p]);
      expect(Array.from(b.inputIds)).toEqual(ref.input_ids[i]);
      expect(Array.from(b.tokenTypeIds)).toEqual(ref.token_type_ids[i]);
    });
  });

  it('logits within 1e-4 on tfjs (scoreTensor and predict) and sigmoid scores', async () => {
    const t = model.scoreTensor(ref.pairs);
    expect(t.shape).toEqual([ref.pairs.length, 1]);
    expect(maxAbs(t.dataSync(), ref.logits)).toBeLessThan(1e-4);
    t.dispose();
    const logits = await model.logits(ref.pairs, { engine: 'tfjs', batchSize: 2 });
    expect(
      maxAbs(
        logits.map((r) => r[0]!),
        ref.logits,
      ),
    ).toBeLessThan(1e-4);
    const scores = (await model.predict(ref.pairs, { engine: 'tfjs' })) as number[];
    expect(maxAbs(scores, ref.scores)).toBeLessThan(1e-4);
    const identity = (await model.predict(ref.pairs, { engine: 'tfjs', activation: 'identity' })) as number[];
    expect(maxAbs(identity, ref.logits)).toBeLessThan(1e-4);
  });

  it('logits within 1e-4 on onnxruntime: fused contrib graph (padding removed), padded, standard ops, two workers', async () => {
    // Two worker sessions: each batch's pairs (with their token types) shared out between them.
    for (const o of [
      {},
      { removePadding: false },
      { ops: 'standard' as const },
      { threads: 2, workers: 2 },
    ]) {
      model.onnxOptions = { threads: 1, ...o };
      const logits = await model.logits(ref.pairs, { engine: 'onnx', batchSize: 3 });
      expect(
        maxAbs(
          logits.map((r) => r[0]!),
          ref.logits,
        ),
      ).toBeLessThan(1e-4);
    }
    model.onnxOptions = { threads: 1 };
    await model.release();
  });

  it('scores on one session under AUTO_WORKERS_MIN_TEXTS pairs, on two worker sessions from the first call of that many (workers not given)', async () => {
    const ce = await CrossEncoder.load(fixture, { maxLength: ref.max_length });
    ce.onnxOptions = { threads: 2 };
    const created = vi.spyOn(WorkerSession, 'create');
    const runs = vi.spyOn(WorkerSession.prototype, 'run');
    try {
      const first = (o: Float32Array[]) => o.map((r) => r[0]!);
      const pairs = Array.from(
        { length: AUTO_WORKERS_MIN_TEXTS },
        (_, i) => ref.pairs[i % ref.pairs.length]!,
      );
      const few = await ce.logits(pairs.slice(0, -1), { engine: 'onnx', batchSize: 64 });
      expect(maxAbs(first(few.slice(0, ref.pairs.length)), ref.logits)).toBeLessThan(1e-4);
      expect([created.mock.calls.length, runs.mock.calls.length]).toEqual([0, 0]);
      const all = await ce.logits(pairs, { engine: 'onnx', batchSize: 64 });
      expect(maxAbs(first(all.slice(0, -1)), first(few))).toBeLessThan(1e-6);
      expect(created).toHaveBeenCalledTimes(2);
      expect(runs.mock.calls.length).toBeGreaterThanOrEqual(2);
    } finally {
      vi.restoreAllMocks();
      await ce.release();
      ce.dispose();
    }
  });

  it('rank sorts documents by score and keeps topK', async () => {
    const docs = ref.pairs.map((p) => p[1]);
    const query = ref.pairs[0]![0];
    const ranked = await model.rank(query, docs, { engine: 'tfjs', topK: 3, returnDocuments: true });
    expect(ranked).toHaveLength(3);
    const all = (await model.predict(
      docs.map((d) => [query, d] as [string, string]),
      { engine: 'tfjs' },
    )) as number[];
    const best = all.map((s, i) => [s, i] as const).sort((a, b) => b[0] - a[0]);
    expect(ranked.map((r) => r.corpusId)).toEqual(best.slice(0, 3).map((b) => b[1]));
    expect(ranked[0]!.text).toBe(docs[ranked[0]!.corpusId]);
  });

  it('save/load round trip: Hugging Face layout, identical scores', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ce-save-'));
    tmp.push(dir);
    await model.save(dir);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(cfg.architectures).toEqual(['BertForSequenceClassification']);
    expect(cfg.num_labels).toBe(1);
    expect(cfg.id2label).toEqual({ '0': 'LABEL_0' });
    expect(cfg.sentence_transformers.activation_fn).toBe('torch.nn.modules.activation.Sigmoid');
    const names = [...readSafetensors(join(dir, 'model.safetensors')).tensors.keys()];
    expect(names).toContain('bert.embeddings.word_embeddings.weight');
    expect(names).toContain('bert.pooler.dense.weight');
    expect(names).toContain('classifier.weight');
    expect(names.filter((n) => !n.startsWith('bert.') && !n.startsWith('classifier.'))).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')).model_max_length).toBe(20);
    const again = await CrossEncoder.load(dir);
    expect(again.maxLength).toBe(20);
    const a = (await model.predict(ref.pairs, { engine: 'tfjs' })) as number[];
    const b = (await again.predict(ref.pairs, { engine: 'tfjs' })) as number[];
    expect(b).toEqual(a);
    again.dispose();
  });

  it('a plain BERT checkpoint becomes a new cross-encoder (head initialized, named); several labels → identity, softmax', async () => {
    const ce = await CrossEncoder.load(sharedPath('fixtures', 'tiny-bert'), { numLabels: 3, maxLength: 32 });
    expect(ce.initializedWeights).toEqual(['classifier.weight', 'classifier.bias']);
    expect(ce.activation).toBe('identity');
    const rows = (await ce.predict(ref.pairs, { engine: 'tfjs', applySoftmax: true })) as number[][];
    for (const r of rows) {
      expect(r).toHaveLength(3);
      expect(r.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
    }
    await expect(ce.rank('q', ['a'])).rejects.toThrow(/one-label/);
    ce.dispose();
  });

  it('refuses a checkpoint whose classifier does not match num_labels, naming the file', async () => {
    await expect(CrossEncoder.load(fixture, { numLabels: 2 })).rejects.toThrow(
      /config\.json: num_labels is 1/,
    );
  });
});

describe('CrossEncoder training on onnxruntime', () => {
  it('pair-batch gradients (token types, head included) equal tfjs tape gradients within 1e-5 of scale', async () => {
    const tokenizer = SentenceTokenizer.fromDir(fixture);
    const config = parseBertConfig(JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8')));
    const ce = CrossEncoder.random({ config, tokenizer, numLabels: 3, maxLength: 20, seed: 3 });
    const engine = await OnnxTrainingEngine.create(ce, { threads: 1 });
    try {
      const pairs = ref.pairs;
      const r = tf.tensor2d(normalSamples(pairs.length * 3, 1, mulberry32(5)), [pairs.length, 3]);
      // Dropout off: the two engines draw the transformer's masks from different generators.
      const options = { training: false };
      const vars = ce.namedVariables();
      const { value, grads: want } = tf.variableGrads(
        () => tf.sum(tf.mul(ce.scoreTensor(pairs, options), r)),
        vars.map((v) => v.variable),
      );
      const step = engine.beginStep();
      const logits = await step.score(pairs, options);
      expect(
        maxAbs(logits.dataSync(), tf.tidy(() => ce.scoreTensor(pairs, options)).dataSync()),
      ).toBeLessThan(1e-4);
      await step.backward(0, r);
      const got = step.gradients();
      for (const v of vars) {
        expect(want[v.variable.name], v.name).toBeDefined();
        const w = want[v.variable.name]!.dataSync();
        const g = got.get(v.name);
        expect(g, v.name).toBeDefined();
        // The floor (1e-3): the key bias's gradient is exactly zero in theory (softmax ignores a per-row constant).
        expect(relativeMaxDiff(g!.dataSync(), w), v.name).toBeLessThan(1e-5);
      }
      // token types reach the embedding: the type table's second row has a gradient.
      const typeGrad = got.get('embeddings.token_type_embeddings.weight')!.dataSync();
      expect(
        Array.from(typeGrad.slice(32, 64)).reduce((m, x) => Math.max(m, Math.abs(x)), 0),
      ).toBeGreaterThan(0);
      tf.dispose([value, r, logits, ...Object.values(want), ...got.values()]);
      step.dispose();
    } finally {
      await engine.release();
      ce.dispose();
    }
  });
});
