// Encode a few sentences with a sentence-transformers model and print their cosine similarities.
// Usage: pnpm start [model dir or hub id]   (default: the tiny random-weight fixture in ../shared)
import { existsSync } from 'node:fs';
import { SentenceEncoder } from '@contrastive/bert';
import { exitOnFatalErrors, resolveUserPath } from '@contrastive/core';
import { cosineSimilarity } from '@contrastive/pooling';
import { initBackend, tf } from '@contrastive/tensor-gpu';
import { sharedPath } from '../../test-support/shared.js';

exitOnFatalErrors('quickstart');
// A hub id stays as given; a path is the user's, relative to where they ran pnpm (the script runs in examples/).
const arg = process.argv[2];
const isPath = (a: string) => a.startsWith('.') || a.startsWith('/') || existsSync(resolveUserPath(a));
const modelPath =
  arg === undefined ? sharedPath('fixtures', 'tiny-bert') : isPath(arg) ? resolveUserPath(arg) : arg;
const sentences = [
  'A man is playing a guitar.',
  'Someone plays an instrument.',
  'A woman is slicing an onion.',
  'The stock market fell on Tuesday.',
];

const backend = await initBackend();
console.error(backend.summary);
const model = await SentenceEncoder.load(modelPath);
const embeddings = await model.encode(sentences);
const sims = tf.tidy(() => {
  const e = tf.tensor2d(
    embeddings.flatMap((v) => Array.from(v)),
    [embeddings.length, model.dimension],
  );
  return cosineSimilarity(e, e).arraySync();
});
console.log(
  `model: ${modelPath} (dimension ${model.dimension}${modelPath.includes('tiny-bert') ? ', random weights: scores are not meaningful' : ''})`,
);
sentences.forEach((s, i) => console.log(`${sims[i]!.map((x) => x.toFixed(3).padStart(7)).join('')}  ${s}`));
