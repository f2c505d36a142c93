import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { SentenceEncoder } from '../src/index.js';

const fixture = sharedPath('fixtures', 'tiny-bert');
const reference = JSON.parse(readFileSync(join(fixture, 'reference.json'), 'utf8')) as {
  texts: string[];
  embeddings: number[][];
};

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

/** Float64 cosine and dot of two vectors, written out here. */
const dot = (x: ArrayLike<number>, y: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
};
const cosine = (x: ArrayLike<number>, y: ArrayLike<number>) => dot(x, y) / Math.sqrt(dot(x, x) * dot(y, y));

describe('SentenceEncoder.similarity (sentence-transformers model.similarity)', () => {
  it("scores encode()'s embeddings with the model's function: cosine by default, as PyTorch's embeddings score", async () => {
    const model = await SentenceEncoder.load(fixture);
    const texts = reference.texts.slice(0, 4);
    const emb = await model.encode(texts);
    expect(model.similarityFunction).toBe('cosine');
    const sim = model.similarity(emb, emb.slice(0, 3));
    expect(sim).toHaveLength(4);
    sim.forEach((row, i) => {
      expect(row).toHaveLength(3);
      // Against the PyTorch reference embeddings of the same texts.
      row.forEach((v, j) =>
        expect(v).toBeCloseTo(cosine(reference.embeddings[i]!, reference.embeddings[j]!), 5),
      );
    });
    for (let i = 0; i < 3; i++) expect(sim[i]![i]).toBeCloseTo(1, 6);
    expect(model.similarityPairwise(emb.slice(0, 2), emb.slice(1, 3))).toEqual([sim[0]![1], sim[1]![2]]);
  });

  it('follows similarityFunction, which save() writes and load() reads back', async () => {
    const model = await SentenceEncoder.load(fixture);
    const emb = await model.encode(reference.texts.slice(0, 3));
    model.similarityFunction = 'dot';
    model
      .similarity(emb, emb)
      .forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(dot(emb[i]!, emb[j]!), 4)));
    model.similarityFunction = 'euclidean';
    expect(model.similarity(emb, emb)[0]![0]).toBe(-0);
    expect(model.similarity(emb, emb)[0]![1]).toBeLessThan(0);
    const dir = tempDir('similarity-');
    await model.save(dir);
    const config = JSON.parse(readFileSync(join(dir, 'config_sentence_transformers.json'), 'utf8'));
    expect(config.similarity_fn_name).toBe('euclidean');
    expect((await SentenceEncoder.load(dir)).similarityFunction).toBe('euclidean');
  });
});
