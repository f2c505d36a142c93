import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv, readDataFile, readFlagJsonl, readJsonl } from '@contrastive/data-nli';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { parseRatios, parseRenames, runDataConvert, runDataSplit } from '../src/commands/data.js';

describe('contrastive data convert', () => {
  it('snli-lines → pairs, triplets, scored-pairs and nli with row counts', async () => {
    const dir = tempDir('data-cli-');
    const input = sharedPath('data', 'snli');
    const labels = readFileSync(join(input, 'labels.dev'), 'utf8').split('\n').filter(Boolean);
    const pairs = await runDataConvert({
      from: 'snli-lines',
      input,
      split: 'dev',
      to: 'pairs',
      output: join(dir, 'p.jsonl'),
    });
    expect(pairs).toMatchObject({
      in: labels.length,
      out: labels.filter((l) => l === 'entailment').length,
      skipped: 0,
    });
    expect(pairs.out).toBe(3329);
    expect((await readJsonl(join(dir, 'p.jsonl'))).columnNames).toEqual(['anchor', 'positive']);

    const nli = await runDataConvert({
      from: 'snli-lines',
      input,
      split: 'dev',
      to: 'nli',
      output: join(dir, 'n.parquet'),
    });
    expect(nli.out).toBe(9842);
    const back = await readDataFile(join(dir, 'n.parquet'));
    expect(back.column('label').filter((l) => l === 1).length).toBe(3329);

    // Round trip: our own nli file back in as generic parquet, then to triplets.
    const triplets = await runDataConvert({
      from: 'parquet',
      input: join(dir, 'n.parquet'),
      to: 'triplets',
      output: join(dir, 't.csv'),
    });
    const t = await readCsv(join(dir, 't.csv'));
    expect(t.columnNames).toEqual(['anchor', 'positive', 'negative']);
    expect(triplets.out).toBe(t.numRows);

    const flag = await runDataConvert({
      from: 'csv',
      input: join(dir, 't.csv'),
      to: 'flag',
      output: join(dir, 'f.jsonl'),
    });
    const records = (await readFlagJsonl(join(dir, 'f.jsonl'))).records;
    expect(flag.out).toBe(records.length);
    expect(records.reduce((n, r) => n + r.pos.length, 0)).toBe(
      new Set(t.toRows().map((r) => `${r.anchor}\t${r.positive}`)).size,
    );
  });

  it('stsb → scored-pairs scaled to [0, 1]; csv with renames → pairs; bad rows skipped with their lines', async () => {
    const dir = tempDir('data-cli-');
    const sts = await runDataConvert({
      from: 'stsb',
      input: sharedPath('data', 'stsb', 'sts-dev.csv'),
      to: 'scored-pairs',
      output: join(dir, 's.tsv'),
    });
    expect(sts).toMatchObject({ in: 1500, out: 1500, skipped: 0 });
    const scores = (await readDataFile(join(dir, 's.tsv'))).column('score').map(Number);
    expect(Math.max(...scores)).toBe(1);

    const qa = await runDataConvert({
      from: 'csv',
      input: sharedPath('data', 'financial-qa-10k', 'Financial-QA-10k.csv'),
      rename: parseRenames('question=query,context=positive'),
      to: 'pairs',
      output: join(dir, 'qa.jsonl'),
      onBadRow: 'skip',
    });
    expect(qa.in).toBe(7000);
    expect(qa.out + qa.skipped).toBe(7000);
    expect(qa.skipped).toBeGreaterThan(0);
    expect(qa.first_skipped[0]).toMatch(/Financial-QA-10k.csv:\d+ empty text/);

    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'sentence1,sentence2,score\na,b,0.5\nc,d,x\n');
    await expect(
      runDataConvert({ from: 'csv', input: bad, to: 'scored-pairs', output: join(dir, 'o.csv') }),
    ).rejects.toThrow(`${bad}:3 (score): "x" is not a number`);
  });
});

describe('contrastive data split', () => {
  it('writes train/val/test 8:1:1, stratified, and reports counts', async () => {
    const dir = tempDir('data-cli-');
    const input = join(dir, 'in.jsonl');
    writeFileSync(
      input,
      Array.from({ length: 200 }, (_, i) =>
        JSON.stringify({ text: `t${i}`, label: i % 4 === 0 ? 'x' : 'y' }),
      ).join('\n'),
    );
    const summary = await runDataSplit({
      input,
      ratios: parseRatios('8:1:1'),
      outputDir: join(dir, 'out'),
      stratify: 'label',
      seed: 1,
    });
    expect(summary).toMatchObject({
      in: 200,
      out: 200,
      skipped: 0,
      splits: { train: 160, val: 20, test: 20 },
    });
    const val = await readJsonl(join(dir, 'out', 'val.jsonl'));
    expect(val.column('label').filter((l) => l === 'x').length).toBe(5);
    expect(() => parseRatios('8')).toThrow(/two or more/);
  });
});

describe('contrastive data (through the CLI)', () => {
  it('prints one JSON line and fails with the file and line of a bad row', async () => {
    const dir = tempDir('data-cli-');
    const ok = await runCli([
      'data',
      'convert',
      '--from',
      'snli-lines',
      '--input',
      sharedPath('data', 'snli'),
      '--split',
      'dev',
      '--to',
      'scored-pairs',
      '--output',
      join(dir, 'o.csv'),
    ]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const lines = ok.stdout.trim().split('\n');
    expect(lines.length).toBe(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ in: 9842, out: 9842, skipped: 0 });

    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"anchor":"a","positive":"b"}\n{"anchor":"","positive":"c"}\n');
    const failed = await runCli([
      'data',
      'convert',
      '--from',
      'jsonl',
      '--input',
      bad,
      '--to',
      'pairs',
      '--output',
      join(dir, 'x.jsonl'),
    ]);
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toContain(`${bad}:2 (anchor): empty text`);

    const split = await runCli([
      'data',
      'split',
      '--input',
      join(dir, 'o.csv'),
      '--ratios',
      '8:1:1',
      '--dedupe',
      'sentence1',
      '--output-dir',
      join(dir, 'parts'),
    ]);
    expect(split.status).toBe(0);
    expect(JSON.parse(split.stdout)).toMatchObject({ in: 9842, out: 9842 });
  });
});
