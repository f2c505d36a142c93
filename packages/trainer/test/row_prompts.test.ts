import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Loss, createLoss } from '@contrastive/losses';
import { initBackend } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SentenceTransformerTrainer } from '../src/index.js';
import { columnar, loadTiny } from './helpers.js';

const dirs: string[] = [];
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
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
    const out = mkdtempSync(join(tmpdir(), 'row-prompts-'));
    dirs.push(out);
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
