import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { lastJsonLine as json, readJsonl } from '../../../test-support/training_output.js';
import { initTinyArgs, runTrainCli } from './helpers.js';

const fixture = sharedPath('fixtures', 'tiny-cross-encoder');
const ref = JSON.parse(readFileSync(join(fixture, 'reference.json'), 'utf8')) as {
  pairs: Array<[string, string]>;
  scores: number[];
};
let dir: string;
beforeAll(() => {
  dir = tempDir('contrastive-ce-cli-');
  writeFileSync(
    join(dir, 'pairs.jsonl'),
    ref.pairs
      .map(([sentence1, sentence2], i) => `${JSON.stringify({ id: i, sentence1, sentence2 })}\n`)
      .join(''),
  );
  writeFileSync(
    join(dir, 'train.jsonl'),
    ref.pairs
      .map(([sentence1, sentence2], i) => `${JSON.stringify({ sentence1, sentence2, label: i % 2 })}\n`)
      .join(''),
  );
});

/** `contrastive train` on this file's train.jsonl: one epoch of batch 2, no progress bar, `flags` besides. */
const trainOnPairs = (model: string, loss: string, output: string, flags: string[] = []) =>
  runTrainCli(
    { model, train: join(dir, 'train.jsonl'), loss, output, epochs: 1, batchSize: 2, progress: false },
    flags,
  );

describe('contrastive score / init --cross-encoder / train on a cross-encoder', () => {
  it('score: every row with "score" = sigmoid(logit), matching PyTorch (1e-4)', async () => {
    const out = join(dir, 'scored.jsonl');
    const r = await runCli([
      'score',
      '--model',
      fixture,
      '--input',
      join(dir, 'pairs.jsonl'),
      '--max-length',
      '20',
      '--output',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(json(r.stdout)).toMatchObject({ command: 'score', pairs: 5, num_labels: 1, max_length: 20 });
    const rows = readJsonl(out);
    rows.forEach((row, i) => {
      expect(row.id).toBe(i);
      expect(Math.abs(row.score - ref.scores[i]!)).toBeLessThan(1e-4);
    });
    const bad = await runCli([
      'score',
      '--model',
      fixture,
      '--input',
      join(dir, 'train.jsonl'),
      '--output',
      join(dir, 'nope', 'x', 'y.jsonl'),
    ]);
    expect(bad.status).not.toBe(0);
  });

  it('init --cross-encoder --num-labels 3, then train --loss ce, then score --softmax', async () => {
    const model = join(dir, 'ce3');
    const init = await runCli(initTinyArgs(fixture, model, ['--cross-encoder', '--num-labels', '3']));
    expect(init.status, init.stderr).toBe(0);
    expect(json(init.stdout)).toMatchObject({ cross_encoder: true, num_labels: 3 });
    const cfg = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'));
    expect(cfg.architectures).toEqual(['BertForSequenceClassification']);
    expect(cfg.num_labels).toBe(3);

    const trained = join(dir, 'ce3-trained');
    const train = await trainOnPairs(model, 'ce', trained);
    expect(train.status, train.stderr).toBe(0);
    expect(json(train.stdout).steps).toBe(3);
    const out = join(dir, 'scored3.jsonl');
    const score = await runCli([
      'score',
      '--model',
      trained,
      '--input',
      join(dir, 'pairs.jsonl'),
      '--softmax',
      '--output',
      out,
    ]);
    expect(score.status, score.stderr).toBe(0);
    for (const row of readJsonl<{ scores: number[] }>(out)) {
      const s = row.scores;
      expect(s).toHaveLength(3);
      expect(s.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });

  it('train --eval-sts on a cross-encoder picks the best checkpoint by its main score (spearman) by default', async () => {
    const sts = join(dir, 'sts.jsonl');
    writeFileSync(
      sts,
      ref.pairs
        .map(
          ([sentence1, sentence2], i) =>
            `${JSON.stringify({ sentence1, sentence2, score: [5, 1, 4, 2, 3][i] })}\n`,
        )
        .join(''),
    );
    const trained = join(dir, 'ce-best');
    const r = await trainOnPairs(fixture, 'bce', trained, [
      '--eval-sts',
      sts,
      '--eval-steps',
      '1',
      '--save-steps',
      '1',
      '--load-best-model-at-end',
      '--lr',
      '1e-3',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('contrastive: best-model metric: eval_sts-dev_spearman');
    const line = json(r.stdout);
    expect(line.best_metric).toBe('eval_sts-dev_spearman');
    // The checkpoint of the first evaluation with the highest spearman (a later tie is no improvement).
    const evals = readJsonl<Record<string, number>>(join(trained, 'metrics.jsonl')).filter(
      (l) => 'eval_sts-dev_spearman' in l,
    );
    // One evaluation per step, then one of the reloaded best model.
    expect(evals.map((l) => l.step)).toEqual([1, 2, 3, 3]);
    const best = evals
      .slice(0, 3)
      .reduce((a, b) => (b['eval_sts-dev_spearman']! > a['eval_sts-dev_spearman']! ? b : a));
    expect(line.best_model_checkpoint).toBe(join(trained, `checkpoint-${best.step}`));
    expect(evals[3]!['eval_sts-dev_spearman']).toBe(best['eval_sts-dev_spearman']);
  });

  it('augsbert: the five steps at a tiny size print gold-only and gold+silver STS-B scores', async () => {
    const tok = fixture;
    expect(
      (await runCli(initTinyArgs(tok, join(dir, 'aug-ce'), ['--cross-encoder', '--num-labels', '2']))).status,
    ).toBe(0);
    expect((await runCli(initTinyArgs(tok, join(dir, 'aug-bi')))).status).toBe(0);
    const r = await runCli([
      'augsbert',
      '--cross-encoder',
      join(dir, 'aug-ce'),
      '--bi-encoder',
      join(dir, 'aug-bi'),
      '--nli-dir',
      sharedPath('data', 'snli'),
      '--sts-dir',
      sharedPath('data', 'stsb'),
      '--output',
      join(dir, 'aug'),
      '--gold',
      '64',
      '--silver',
      '64',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const out = json(r.stdout);
    expect(out).toMatchObject({ command: 'augsbert', gold_pairs: 64 });
    expect(out.silver_pairs).toBeGreaterThan(0);
    expect(Number.isFinite(out.sts_test_spearman_gold_only)).toBe(true);
    expect(Number.isFinite(out.sts_test_spearman_gold_silver)).toBe(true);
    expect(out.sts_test_spearman_gold_silver).not.toBe(out.sts_test_spearman_gold_only);
  });
});
