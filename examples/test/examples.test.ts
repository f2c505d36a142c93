// Every example at its small size (some smaller still, to keep CI short), checking the results file it writes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../test-support/shared.js';
import { runAugmentedSbertExample } from '../augmented_sbert/run.js';
import { runNliVariants } from '../common/nli_example.js';
import { runFinetune } from '../finetune_pretrained/run.js';
import { runMtebEval } from '../mteb_eval/run.js';
import { runNegativesCompare } from '../negatives_compare/run.js';
import { runPartialAdoption } from '../partial_adoption/run.js';
import { runUnsupervised } from '../unsupervised/run.js';

const dir = mkdtempSync(join(tmpdir(), 'examples-'));
const results = (name: string) => JSON.parse(readFileSync(join(dir, name, 'results.json'), 'utf8'));
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('examples at small size', () => {
  it('1–3: MNRL beats SoftmaxLoss on STS-B dev, both computed from the same init', async () => {
    await runNliVariants('nli', ['softmax', 'mnrl'], {
      outputDir: join(dir, 'nli'),
      maxRows: 1600,
      progress: false,
    });
    const r = results('nli');
    const [softmax, mnrl] = r.rows;
    expect(softmax.before).toBe(mnrl.before);
    expect(mnrl.after - mnrl.before).toBeGreaterThan(0.03);
    expect(mnrl.after).toBeGreaterThan(softmax.after);
  }, 300_000);

  it('9: MTEB-style table on STS-B, Banking77 and retrieval', async () => {
    await runMtebEval({ model: sharedPath('fixtures', 'tiny-bert'), outputDir: join(dir, 'mteb') });
    const r = results('mteb');
    expect(r.results.map((x: { task: string }) => x.task)).toEqual(['sts-dev', 'banking77', 'financial-qa']);
    for (const x of r.results) expect(x.mainScore).toBeGreaterThan(0);
    expect(readFileSync(join(dir, 'mteb', 'results.md'), 'utf8')).toMatch(
      /\| banking77 \| test \| accuracy \|/,
    );
  }, 300_000);

  it('4: fine-tuning the fixture changes STS-B and Banking77 scores', async () => {
    await runFinetune({
      model: sharedPath('fixtures', 'tiny-bert'),
      outputDir: join(dir, 'ft'),
      progress: false,
    });
    const r = results('ft');
    expect(r.offline_fixture).toBe(true);
    expect(r.rows[0].after).toBeGreaterThan(r.rows[0].before);
    for (const x of r.rows) expect(Number.isFinite(x.after)).toBe(true);
  }, 300_000);

  it('5: easy, semi-hard and hard negatives each train a model; the best beats the untrained one', async () => {
    await runNegativesCompare({ queries: 200, epochs: 1, outputDir: join(dir, 'neg'), progress: false });
    const r = results('neg');
    expect(r.rows.map((x: { negatives: string }) => x.negatives)).toEqual(['easy', 'semi-hard', 'hard']);
    // At this reduced size (200 queries, one epoch) a single run can land below the untrained model; the full-size
    // order is in the example's README. Each run trained (its score moved) and the best one beats the start.
    for (const x of r.rows) {
      expect(x.ndcg_at_10).toBeGreaterThanOrEqual(0);
      expect(x.ndcg_at_10).toBeLessThanOrEqual(1);
      expect(x.ndcg_at_10).not.toBe(r.ndcg_at_10_before);
    }
    expect(Math.max(...r.rows.map((x: { ndcg_at_10: number }) => x.ndcg_at_10))).toBeGreaterThan(
      r.ndcg_at_10_before,
    );
  }, 300_000);

  it('7: Augmented SBERT scores gold only and gold + silver', async () => {
    await runAugmentedSbertExample({ gold: 64, silver: 64, outputDir: join(dir, 'aug') });
    const r = results('aug');
    expect(r.gold_pairs).toBe(64);
    expect(Number.isFinite(r.sts_test_spearman_gold_only)).toBe(true);
    expect(Number.isFinite(r.sts_test_spearman_gold_silver)).toBe(true);
  }, 300_000);

  it('8: SimCSE, CT, MLM then MNRL, and GPL against the fake chat server', async () => {
    await runUnsupervised({ sentences: 320, steps: 10, outputDir: join(dir, 'uns'), progress: false });
    const r = results('uns');
    for (const k of ['before', 'simcse', 'ct', 'mlm_then_mnrl', 'mnrl_only'])
      expect(Number.isFinite(r.sts_dev_spearman_cosine[k]), k).toBe(true);
    expect(r.sts_dev_spearman_cosine.simcse).not.toBe(r.sts_dev_spearman_cosine.before);
    expect(r.gpl.financial_qa_ndcg_at_10.after).not.toBe(r.gpl.financial_qa_ndcg_at_10.before);
  }, 300_000);

  it('10: eval-mteb scores a transformers.js model exported by the CLI as our own encoder scores it', async () => {
    await runPartialAdoption({ outputDir: join(dir, 'adopt') });
    const r = results('adopt');
    expect(r.sts_dev_500_spearman_cosine.contrastive).toBeGreaterThan(0);
    expect(r.abs_difference).toBeLessThan(1e-3);
  }, 300_000);
});
