import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import {
  type Dataset,
  loadBanking77,
  loadSnliLines,
  loadStsb,
  readDataFile,
  readLineAligned,
  writeDataFile,
  writeLineAligned,
} from '../src/index.js';
import { tempFolder } from '../src/internal/test_files.js';

const { dir } = tempFolder();

/** CSV/TSV bring numbers back as text; compare after parsing the numeric columns. */
function normalize(ds: Dataset, numeric: string[]): Record<string, unknown>[] {
  return ds
    .toRows()
    .map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, numeric.includes(k) ? Number(v) : v])),
    );
}

describe('round trips of the shared data sets through every writer', async () => {
  const sets: Array<[string, Dataset, string[]]> = [
    ['stsb', await loadStsb(sharedPath('data', 'stsb'), { split: 'test' }), ['score']],
    ['banking77', await loadBanking77(sharedPath('data', 'banking77'), { split: 'test' }), ['label']],
    ['snli', await loadSnliLines(sharedPath('data', 'snli'), { split: 'test' }), ['label']],
  ];
  for (const [name, ds, numeric] of sets) {
    it(`${name}: csv, tsv, jsonl, json and parquet give the same rows back`, async () => {
      for (const ext of ['csv', 'tsv', 'jsonl', 'json', 'parquet']) {
        const path = `${dir}/${name}.${ext}`;
        await writeDataFile(ds, path);
        const back = await readDataFile(path);
        expect(back.numRows).toBe(ds.numRows);
        expect(back.columnNames).toEqual(ds.columnNames);
        expect(normalize(back, numeric)).toEqual(ds.toRows());
      }
    });
  }

  it('snli: line-aligned files give the same rows back', async () => {
    const [, snli] = sets[2]!;
    const files = { premise: `${dir}/s1.rt`, hypothesis: `${dir}/s2.rt`, label: `${dir}/labels.rt` };
    await writeLineAligned(snli, files);
    expect(normalize(await readLineAligned(files), ['label'])).toEqual(snli.toRows());
  });
});
