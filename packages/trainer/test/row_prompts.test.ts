import { type Loss, createLoss } from '@contrastive/losses';
import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test-support/temp.js';
import { SentenceTransformerTrainer } from '../src/index.js';
import { columnar, loadTiny } from './helpers.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('a per-row prompt column (FlagEmbedding records)', () => {
  it('is prepended to the query of its own row only, and is not a text column of the loss', async () => {
    const inner = createLoss('mnrl');
    const seen: Array<Record<string, string[]>> = [];
    const recording: Loss = {
      name: 'Recording',
      columns: inner.columns,
      forward: (m, b, c) => {
        seen.push(b.columns);
        return inner.forward!(m, b, c);
      },
    };
    const out = tempDir('row-prompts-');
    const n = 8;
    const data = columnar({
      anchor: Array.from({ length: n }, (_, i) => `question ${i}`),
      positive: Array.from({ length: n }, (_, i) => `answer ${i}`),
      prompt: Array.from({ length: n }, (_, i) => (i % 2 ? 'Represent this query: ' : '')),
    });
    await new SentenceTransformerTrainer({
      model: await loadTiny(),
      args: {
        outputDir: out,
        maxSteps: 1,
        perDeviceTrainBatchSize: n,
        saveStrategy: 'no',
        progress: false,
        trainEngine: 'tfjs',
      },
      trainDataset: data,
      loss: recording,
    }).train();
    const batch = seen[0]!;
    expect(Object.keys(batch)).toEqual(['anchor', 'positive']);
    const anchors = [...batch.anchor!].sort();
    expect(anchors).toEqual(
      Array.from({ length: n }, (_, i) =>
        i % 2 ? `Represent this query: question ${i}` : `question ${i}`,
      ).sort(),
    );
    expect(batch.positive!.every((t) => t.startsWith('answer '))).toBe(true);
  });
});
