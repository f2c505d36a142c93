import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { readJsonl } from '../../../test-support/training_output.js';

const fixture = sharedPath('fixtures', 'tiny-bert');

describe('--truncate-dim / --truncate-dims (Matryoshka)', () => {
  it('encode --truncate-dim N writes the first N dimensions', async () => {
    const dir = tempDir('truncate-cli-');
    writeFileSync(join(dir, 'in.txt'), 'A man is playing a guitar.\nThe stock market fell sharply.\n');
    const run = async (extra: string[], out: string) => {
      const r = await runCli([
        'encode',
        '--model',
        fixture,
        '--input',
        join(dir, 'in.txt'),
        '--output',
        join(dir, out),
        ...extra,
      ]);
      expect(r.status, r.stderr).toBe(0);
      return {
        line: JSON.parse(r.stdout.trim()) as { dimension: number },
        rows: readJsonl<{ embedding: number[] }>(join(dir, out)).map((row) => row.embedding),
      };
    };
    const full = await run([], 'full.jsonl');
    const cut = await run(['--truncate-dim', '8'], 'cut.jsonl');
    expect(full.line.dimension).toBe(32);
    expect(cut.line.dimension).toBe(8);
    cut.rows.forEach((v, i) => expect(v).toEqual(full.rows[i]!.slice(0, 8)));
    const bad = await runCli([
      'encode',
      '--model',
      fixture,
      '--input',
      join(dir, 'in.txt'),
      '--output',
      join(dir, 'x.jsonl'),
      '--truncate-dim',
      '64',
    ]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/truncate_dim 64 is larger than the model's embedding dimension 32/);
  }, 120_000);

  it('eval --truncate-dims writes one row per dimension (the full one equal to a plain eval) and a table', async () => {
    const dir = tempDir('truncate-cli-');
    const sts = readFileSync(sharedPath('data', 'stsb', 'sts-dev.csv'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .slice(0, 40)
      .map((l) => {
        const f = l.split('\t');
        return JSON.stringify({ sentence1: f[5], sentence2: f[6], score: Number(f[4]) });
      });
    writeFileSync(join(dir, 'sts.jsonl'), `${sts.join('\n')}\n`);
    const common = ['eval', '--model', fixture, '--task', 'sts', '--data', join(dir, 'sts.jsonl')];
    const plain = await runCli([...common, '--output', join(dir, 'plain.json')]);
    expect(plain.status, plain.stderr).toBe(0);
    const r = await runCli([...common, '--output', join(dir, 'dims.json'), '--truncate-dims', '32,16,8']);
    expect(r.status, r.stderr).toBe(0);
    const line = JSON.parse(r.stdout.trim());
    expect(line.truncate_dims).toEqual([32, 16, 8]);
    expect(line.main_scores).toHaveLength(3);
    const dims = JSON.parse(readFileSync(join(dir, 'dims.json'), 'utf8'));
    expect(dims.truncate_dims.map((d: { truncate_dim: number }) => d.truncate_dim)).toEqual([32, 16, 8]);
    const full = JSON.parse(readFileSync(join(dir, 'plain.json'), 'utf8'));
    expect(dims.truncate_dims[0].main_score).toBeCloseTo(full.main_score, 6);
    expect(dims.truncate_dims[2].main_score).not.toBeCloseTo(full.main_score, 6);
    expect(r.stderr).toContain(`| Dimension | ${full.main_score_name} |`);
    expect(r.stderr).toContain(`| 8 | ${dims.truncate_dims[2].main_score.toFixed(4)} |`);
  }, 120_000);
});
