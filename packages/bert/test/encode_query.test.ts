import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import { SentenceEncoder } from '../src/index.js';

const fixture = sharedPath('fixtures', 'tiny-bert');
const TEXTS = ['how old is the universe', 'The universe is about 13.8 billion years old.'];

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

const rows = (e: Float32Array[]) => e.map((v) => Array.from(v));

describe('encodeQuery / encodeDocument (sentence-transformers encode_query / encode_document)', () => {
  it("use the model's query and document prompts unless a prompt is given", async () => {
    const model = await SentenceEncoder.load(fixture);
    // No prompts: plain encode.
    expect(rows(await model.encodeQuery(TEXTS))).toEqual(rows(await model.encode(TEXTS)));
    model.addPrompts({ query: 'query: ', passage: 'passage: ', corpus: 'corpus: ' });
    const query = rows(await model.encodeQuery(TEXTS));
    expect(query).toEqual(rows(await model.encode(TEXTS, { prompt: 'query: ' })));
    expect(query).not.toEqual(rows(await model.encode(TEXTS)));
    // The first of document, passage, corpus that the model has.
    expect(rows(await model.encodeDocument(TEXTS))).toEqual(
      rows(await model.encode(TEXTS, { prompt: 'passage: ' })),
    );
    model.addPrompts({ document: 'document: ' });
    expect(rows(await model.encodeDocument(TEXTS))).toEqual(
      rows(await model.encode(TEXTS, { prompt: 'document: ' })),
    );
    // A given prompt or prompt name wins.
    expect(rows(await model.encodeQuery(TEXTS, { prompt: '' }))).toEqual(rows(await model.encode(TEXTS)));
    expect(rows(await model.encodeQuery(TEXTS, { promptName: 'corpus' }))).toEqual(
      rows(await model.encode(TEXTS, { prompt: 'corpus: ' })),
    );
  });
});
