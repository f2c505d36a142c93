import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainNli } from '../common/nli.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('reference workflow: MNRL on SNLI entailment pairs', () => {
  it('raises STS-B dev Spearman (cosine) of a fresh tiny BERT clearly above the untrained model', async () => {
    const r = await trainNli({
      loss: 'mnrl',
      outputDir: join(mkdtempSync(join(tmpdir(), 'nli-')), 'out'),
      splits: ['dev'],
      args: { progress: false },
    });
    expect(r.steps).toBeGreaterThan(50);
    expect(r.after - r.before).toBeGreaterThan(0.05);
  });
});
