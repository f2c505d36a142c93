// SentenceEncoder alone in a plain Node app: two packages, no trainer, no CLI.
// Run: node --conditions=@contrastive/source --import tsx partial_adoption/plain_node.ts [model dir or hub id]
import { SentenceEncoder } from '@contrastive/bert';
import { initBackend } from '@contrastive/tensor-gpu';
import { sharedPath } from '../../test-support/shared.js';

await initBackend();
const model = await SentenceEncoder.load(process.argv[2] ?? sharedPath('fixtures', 'tiny-bert'));
const [a, b] = await model.encode(['How do I reset my card PIN?', 'I forgot the PIN of my card.']);
const dot = a!.reduce((s, x, i) => s + x * b![i]!, 0);
const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));
console.log(JSON.stringify({ dimension: model.dimension, cosine: dot / (norm(a!) * norm(b!)) }));
