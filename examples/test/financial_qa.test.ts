import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFlagJsonl } from '@contrastive/data-nli';
import { initBackend } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFinancialQa } from '../financial_qa/financial_qa.js';

const dir = mkdtempSync(join(tmpdir(), 'financial-qa-'));
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('financial-qa workflow (small)', () => {
  it('writes 8:1:1 FlagEmbedding files with scores and a prompt, and trains both runs', async () => {
    const r = await runFinancialQa({ queries: 120, epochs: 1, outputDir: dir, progress: false });
    expect(r.split).toEqual({ train: 96, val: 12, test: 12 });
    const train = await readFlagJsonl(join(dir, 'hard', 'train.jsonl'));
    expect(train.records).toHaveLength(96);
    for (const rec of train.records) {
      expect(rec.prompt).toBe('query: ');
      expect(rec.neg_scores).toHaveLength(rec.neg.length);
      expect(rec.neg.length).toBeGreaterThanOrEqual(3);
      for (const n of rec.neg) expect(rec.pos).not.toContain(n);
    }
    const random = await readFlagJsonl(join(dir, 'random', 'test.jsonl'));
    expect(random.records.map((x) => x.query)).toEqual(
      (await readFlagJsonl(join(dir, 'hard', 'test.jsonl'))).records.map((x) => x.query),
    );
    for (const v of Object.values(r.ndcg_at_10)) expect(v).toBeGreaterThan(0);
    expect(r.ndcg_at_10.hard).not.toBe(r.ndcg_at_10.before);
  });
});
