import { readFileSync } from 'node:fs';
import { initBackend, tf } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff } from '../../../test-support/compare.js';
import { sharedPath } from '../../../test-support/shared.js';
import { SentenceEncoder } from '../src/index.js';

interface Reference {
  texts: string[];
  input_ids: number[][];
  embeddings: number[][];
  max_seq_length: number;
}

const dir = sharedPath('fixtures', 'tiny-bert');
const ref = JSON.parse(readFileSync(`${dir}/reference.json`, 'utf8')) as Reference;

let enc: SentenceEncoder;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  enc = await SentenceEncoder.load(dir);
});

describe('tiny-bert parity with the PyTorch reference', () => {
  it('token ids are exact (with [CLS]/[SEP], truncated to max_seq_length)', () => {
    expect(enc.maxSeqLength).toBe(ref.max_seq_length);
    ref.texts.forEach((t, i) =>
      expect(enc.tokenizer.encodeIds(t, enc.maxSeqLength)).toEqual(ref.input_ids[i]),
    );
  });

  it.each(['tfjs', 'onnx', 'auto'] as const)(
    'embeddings within 1e-4, in input order, whatever the batch size (engine %s)',
    async (engine) => {
      for (const batchSize of [1, 5, 32]) {
        const out = await enc.encode(ref.texts, { batchSize, engine });
        expect(out.length).toBe(ref.texts.length);
        expect(maxAbsDiff(out, ref.embeddings)).toBeLessThan(1e-4);
      }
    },
  );

  it('auto encodes through an ONNX snapshot that follows weight updates', async () => {
    const model = await SentenceEncoder.load(dir);
    const before = await model.encode(ref.texts.slice(0, 3));
    // Scale one weight: the snapshot must be rebuilt (tfjs and auto agree on the new weights).
    const v = model.namedVariables().find((p) => p.name === 'encoder.layer.0.output.dense.weight')!.variable;
    v.assign(tf.tidy(() => tf.mul(v, 3)));
    const auto = await model.encode(ref.texts.slice(0, 3));
    const tfjs = await model.encode(ref.texts.slice(0, 3), { engine: 'tfjs' });
    expect(maxAbsDiff(auto, tfjs)).toBeLessThan(1e-4);
    expect(maxAbsDiff(auto, before)).toBeGreaterThan(1e-3);
    // A module change (normalization) is seen too.
    model.normalizeOutput = true;
    const normalized = await model.encode(ref.texts.slice(0, 1));
    expect(Math.hypot(...normalized[0]!)).toBeCloseTo(1, 5);
    await model.release();
    model.dispose();
  });

  it('matches on the cpu backend too', async () => {
    await initBackend({ backend: 'cpu' });
    const out = await enc.encode(ref.texts.slice(0, 3), { engine: 'tfjs' });
    out.forEach((v, i) =>
      v.forEach((x, j) => expect(Math.abs(x - ref.embeddings[i]![j]!)).toBeLessThan(1e-4)),
    );
    await initBackend({ backend: 'wasm' });
  });

  it.each(['tfjs', 'auto'] as const)('encode leaks no tensors (engine %s)', async (engine) => {
    await enc.encode(ref.texts.slice(0, 4), { engine });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await enc.encode(ref.texts.slice(0, 4), { engine });
    expect(tf.memory().numTensors).toBe(before);
  });
});
