import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import { CrossEncoder } from '../src/index.js';

const fixture = sharedPath('fixtures', 'tiny-cross-encoder');
const ref = JSON.parse(readFileSync(join(fixture, 'reference.json'), 'utf8')) as {
  max_length: number;
  pairs: Array<[string, string]>;
  logits: number[];
  scores: number[];
};

/** The negatives package's Reranker, restated: a CrossEncoder must fit it as it is. */
interface Reranker {
  score(pairs: Array<[string, string]>): Promise<number[]>;
}

let model: CrossEncoder;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = await CrossEncoder.load(fixture, { maxLength: ref.max_length });
  model.onnxOptions = { threads: 1 };
});
afterAll(() => model.dispose());

describe('CrossEncoder.score (the Reranker shape)', () => {
  it('one number per pair: the sigmoid scores PyTorch computed (1e-4), input order kept', async () => {
    const reranker: Reranker = model;
    const scores = await reranker.score(ref.pairs);
    expect(scores).toHaveLength(ref.pairs.length);
    scores.forEach((s, i) => expect(Math.abs(s - ref.scores[i]!)).toBeLessThan(1e-4));
    const reversed = await model.score([...ref.pairs].reverse());
    reversed.forEach((s, i) => expect(s).toBeCloseTo(scores[ref.pairs.length - 1 - i]!, 6));
  });

  it('activation identity gives the logits; an empty list gives no scores', async () => {
    const logits = await model.score(ref.pairs, { activation: 'identity', engine: 'tfjs' });
    logits.forEach((s, i) => expect(Math.abs(s - ref.logits[i]!)).toBeLessThan(1e-4));
    expect(await model.score([])).toEqual([]);
  });

  it('a cross-encoder with several labels is refused, naming its labels', async () => {
    const three = await CrossEncoder.load(sharedPath('fixtures', 'tiny-bert'), { numLabels: 3 });
    try {
      await expect(three.score(ref.pairs)).rejects.toThrow(/one-label.*3 labels: LABEL_0, LABEL_1, LABEL_2/);
    } finally {
      three.dispose();
    }
  });
});
