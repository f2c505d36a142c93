import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../../../test-support/shared.js';
import { tempFolder } from '../internal/test_files.js';
import { loadGlueStsb, loadStsb, readStsOriginal } from './sts.js';

const { write } = tempFolder();

describe('STS benchmark (shared/data/stsb)', () => {
  it('reads the three splits with scores scaled to [0, 1]', async () => {
    const dir = sharedPath('data', 'stsb');
    for (const [split, count] of [
      ['train', 5749],
      ['dev', 1500],
      ['test', 1379],
    ] as const) {
      const ds = await loadStsb(dir, { split });
      expect(ds.numRows).toBe(count);
      expect(ds.columnNames).toEqual(['sentence1', 'sentence2', 'score']);
      const fields = readFileSync(`${dir}/sts-${split}.csv`, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t'));
      // Spot checks against an independent split of the raw lines, including lines with extra fields.
      for (const k of [0, 1, count - 1, fields.findIndex((f) => f.length > 7)]) {
        expect(ds.row(k)).toEqual({
          sentence1: fields[k]![5],
          sentence2: fields[k]![6],
          score: Number(fields[k]![4]) / 5,
        });
      }
      const scores = ds.column('score') as number[];
      expect(Math.min(...scores)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...scores)).toBeLessThanOrEqual(1);
    }
    expect((await loadStsb(dir, { split: 'validation' })).numRows).toBe(1500);
  });
});

describe('STS bad rows', () => {
  it('names file and line of a non-numeric score, an out-of-range score and a missing sentence', async () => {
    const path = write(
      'sts.csv',
      'g\tf\t2012\t1\t4.0\tA\tB\ng\tf\t2012\t2\tn/a\tA\tB\ng\tf\t2012\t3\t7\tA\tB\ng\tf\t2012\t4\t1\tA\n',
    );
    await expect(readStsOriginal(path)).rejects.toThrow(`${path}:2 (score): "n/a" is not a number`);
    const ds = await loadStsb(path, { onBadRow: 'skip' });
    expect(ds.toRows()).toEqual([{ sentence1: 'A', sentence2: 'B', score: 0.8 }]);
    expect(ds.skipped.examples.map((e) => `${e.line} ${e.reason}`)).toEqual([
      '2 "n/a" is not a number',
      '3 score 7 is outside [0, 5]',
      '4 expected at least 7 tab-separated fields, got 6 (no sentence2)',
    ]);
    const empty = write('empty.csv', 'g\tf\t2012\t1\t4.0\t\tB\n');
    await expect(loadStsb(empty)).rejects.toThrow(`${empty}:1 (sentence1): empty text`);
  });

  it('reads GLUE STS-B TSV', async () => {
    const header = 'index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore';
    const path = write(
      'glue.tsv',
      `${header}\n0\tmain\tMSR\t2012\t1\tnone\tnone\tA "man".\tA man.\t5.000\n1\tm\tM\t2012\t2\tn\tn\tX\tY\t0.8\n`,
    );
    expect((await loadGlueStsb(path)).toRows()).toEqual([
      { sentence1: 'A "man".', sentence2: 'A man.', score: 1 },
      { sentence1: 'X', sentence2: 'Y', score: 0.16 },
    ]);
    const noScore = write('test.tsv', 'index\tsentence1\tsentence2\n0\tA\tB\n');
    await expect(loadGlueStsb(noScore)).rejects.toThrow(/no column "score"/);
  });
});
