import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { SentenceEncoder } from '../src/index.js';

const fixture = sharedPath('fixtures', 'tiny-bert');
const TEXTS = ['A man is playing a guitar.', 'The stock market fell sharply.', 'hello'];

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('truncate_dim (Matryoshka)', () => {
  it('keeps the first N dimensions, normalizing after truncation as sentence-transformers', async () => {
    const enc = await SentenceEncoder.load(fixture);
    const full = await enc.encode(TEXTS, { engine: 'tfjs' });
    const cut = await enc.encode(TEXTS, { engine: 'tfjs', truncateDim: 8 });
    cut.forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(full[i]!.slice(0, 8))));
    const unit = await enc.encode(TEXTS, { engine: 'tfjs', truncateDim: 8, normalize: true });
    unit.forEach((v, i) => {
      const n = Math.hypot(...full[i]!.slice(0, 8));
      v.forEach((x, j) => expect(x).toBeCloseTo(full[i]![j]! / n, 6));
    });
    // With a Normalize module the truncated vectors are not unit length unless normalize is asked for.
    enc.normalizeOutput = true;
    const moduleUnit = await enc.encode(TEXTS, { engine: 'tfjs', truncateDim: 8 });
    expect(Math.hypot(...moduleUnit[0]!)).toBeLessThan(0.999);
    const renormalized = await enc.encode(TEXTS, { engine: 'tfjs', truncateDim: 8, normalize: true });
    expect(Math.hypot(...renormalized[0]!)).toBeCloseTo(1, 6);
    await expect(enc.encode(TEXTS, { truncateDim: 33 })).rejects.toThrow(
      /truncateDim 33 is larger than the model's embedding dimension 32/,
    );
    enc.dispose();
  });

  it('is saved in config_sentence_transformers.json and loaded back; the load option wins', async () => {
    const enc = await SentenceEncoder.load(fixture, { truncateDim: 16 });
    expect(enc.truncateDim).toBe(16);
    expect(enc.embeddingDimension).toBe(16);
    expect(enc.dimension).toBe(32);
    expect((await enc.encode(TEXTS, { engine: 'tfjs' }))[0]).toHaveLength(16);
    const dir = tempDir('truncate-');
    await enc.save(dir);
    enc.dispose();
    const st = JSON.parse(readFileSync(join(dir, 'config_sentence_transformers.json'), 'utf8'));
    expect(st.truncate_dim).toBe(16);
    const back = await SentenceEncoder.load(dir);
    expect(back.truncateDim).toBe(16);
    back.dispose();
    const override = await SentenceEncoder.load(dir, { truncateDim: 4 });
    expect((await override.encode(TEXTS, { engine: 'tfjs' }))[0]).toHaveLength(4);
    override.dispose();
    // Without truncation nothing is written (as sentence-transformers).
    const plain = await SentenceEncoder.load(fixture);
    await plain.save(dir);
    plain.dispose();
    expect(
      JSON.parse(readFileSync(join(dir, 'config_sentence_transformers.json'), 'utf8')),
    ).not.toHaveProperty('truncate_dim');
  });

  it('names the file of a bad saved truncate_dim', async () => {
    const dir = tempDir('truncate-');
    const enc = await SentenceEncoder.load(fixture);
    await enc.save(dir);
    enc.dispose();
    const file = join(dir, 'config_sentence_transformers.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), truncate_dim: 64 }));
    await expect(SentenceEncoder.load(dir)).rejects.toThrow(
      /config_sentence_transformers\.json: truncate_dim 64 is larger than the model's embedding dimension 32/,
    );
  });
});
