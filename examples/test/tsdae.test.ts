import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTsdae, stsbSentences } from '../tsdae/run.js';

const dir = mkdtempSync(join(tmpdir(), 'tsdae-example-'));
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TSDAE example (small)', () => {
  it('reads distinct unlabeled STS-B sentences', () => {
    const s = stsbSentences(50);
    expect(s).toHaveLength(50);
    expect(new Set(s).size).toBe(50);
    expect(s[0]).toBe('A plane is taking off.');
  });

  it('trains a fresh tiny model: the logged loss falls; STS-B dev is reported before and after', async () => {
    const r = await runTsdae({ sentences: 200, steps: 20, outputDir: dir, progress: false });
    expect(r.steps).toBe(20);
    expect(r.loss.first).toBeGreaterThan(8);
    expect(r.loss.last).toBeLessThan(r.loss.first);
    for (const v of Object.values(r.stsb_dev_spearman)) expect(Math.abs(v)).toBeLessThan(1);
    expect(r.stsb_dev_spearman.after).not.toBe(r.stsb_dev_spearman.before);
  }, 240_000);
});
