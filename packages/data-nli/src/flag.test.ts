import { describe, expect, it } from 'vitest';
import { Dataset } from './dataset.js';
import { type FlagRecord, flagToRows, nliToFlag, readFlagJsonl, rowsToFlag, writeFlagJsonl } from './flag.js';
import { tempFolder } from './internal/test_files.js';

const { dir, write } = tempFolder();

const records: FlagRecord[] = [
  {
    query: 'q1',
    pos: ['p1', 'p2'],
    neg: ['n1', 'n2', 'n3'],
    pos_scores: [0.9, 0.8],
    neg_scores: [0.1, 0.2, 0.3],
    prompt: 'Represent: ',
    type: 'normal',
  },
  { query: 'q2', pos: ['p3'], neg: ['n4', 'n5'] },
];

describe('FlagEmbedding JSONL', () => {
  it('round-trips through writeFlagJsonl / readFlagJsonl', async () => {
    const path = `${dir}/flag.jsonl`;
    await writeFlagJsonl(records, path);
    const back = await readFlagJsonl(path);
    expect(back.records).toEqual(records);
    expect(back.lines).toEqual([1, 2]);
    expect(back.skipped.count).toBe(0);
  });

  it('converts to rows: one per positive, with as many negatives as every record has', async () => {
    const ds = flagToRows(records);
    // A record's prompt stays with its rows as a `prompt` column (the trainer prepends it to the query).
    expect(ds.columnNames).toEqual(['anchor', 'positive', 'negative_1', 'negative_2', 'prompt']);
    expect(ds.toRows()).toEqual([
      { anchor: 'q1', positive: 'p1', negative_1: 'n1', negative_2: 'n2', prompt: 'Represent: ' },
      { anchor: 'q1', positive: 'p2', negative_1: 'n1', negative_2: 'n2', prompt: 'Represent: ' },
      { anchor: 'q2', positive: 'p3', negative_1: 'n4', negative_2: 'n5', prompt: '' },
    ]);
    expect(flagToRows(records, { numNegatives: 1, prependPrompt: true }).columnNames).toEqual([
      'anchor',
      'positive',
      'negative',
    ]);
    expect(flagToRows(records, { numNegatives: 0, prependPrompt: true }).column('anchor')).toEqual([
      'Represent: q1',
      'Represent: q1',
      'q2',
    ]);
    expect(() => flagToRows(records, { numNegatives: 3 })).toThrow(/record 1.*has 2 negatives, 3 needed/);
    expect(flagToRows(records, { numNegatives: 3, onBadRow: 'skip' }).numRows).toBe(2);
  });

  it('carries teacher scores as a label column: lists for DistillKL, margins for MarginMSE', async () => {
    const scored = [records[0]!];
    expect(flagToRows(scored, { numNegatives: 2, teacherScores: 'list' }).column('label')).toEqual([
      [0.9, 0.1, 0.2],
      [0.8, 0.1, 0.2],
    ]);
    const margins = flagToRows(scored, { numNegatives: 1, teacherScores: 'margin' }).column(
      'label',
    ) as number[];
    expect(margins[0]).toBeCloseTo(0.8, 12); // 0.9 − 0.1
    expect(margins[1]).toBeCloseTo(0.7, 12); // 0.8 − 0.1
    const two = flagToRows(scored, { numNegatives: 2, teacherScores: 'margin' }).column(
      'label',
    ) as number[][];
    expect(two[1]![1]).toBeCloseTo(0.6, 12); // 0.8 − 0.2
    // q2 has no scores: a bad row, named.
    expect(() => flagToRows(records, { numNegatives: 1, teacherScores: 'list' })).toThrow(
      /record 1.*pos_scores/,
    );
    // Lists of numbers survive JSONL, CSV and Parquet round trips.
    const ds = flagToRows(scored, { numNegatives: 2, teacherScores: 'list' });
    const { writeJsonl, readJsonl } = await import('./jsonl.js');
    const { writeParquet, readParquet } = await import('./parquet.js');
    const { writeCsv } = await import('./delimited.js');
    await writeJsonl(ds, `${dir}/scores.jsonl`);
    expect((await readJsonl(`${dir}/scores.jsonl`)).column('label')).toEqual([
      [0.9, 0.1, 0.2],
      [0.8, 0.1, 0.2],
    ]);
    await writeParquet(ds, `${dir}/scores.parquet`);
    expect((await readParquet(`${dir}/scores.parquet`)).column('label')).toEqual([
      [0.9, 0.1, 0.2],
      [0.8, 0.1, 0.2],
    ]);
    await writeCsv(ds, `${dir}/scores.csv`);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(`${dir}/scores.csv`, 'utf8')).toContain('"[0.9,0.1,0.2]"');
  });

  it('names file and line of bad records', async () => {
    const path = write(
      'bad.jsonl',
      [
        '{"query":"q","pos":["p"],"neg":[]}',
        '{"query":"q","neg":["n"]}',
        '{"query":"","pos":["p"],"neg":[]}',
        '{"query":"q","pos":["p"],"neg":["n"],"neg_scores":[1,2]}',
        '{"query":"q","pos":[],"neg":[]}',
      ].join('\n'),
    );
    await expect(readFlagJsonl(path)).rejects.toThrow(`${path}:2 (pos): missing field "pos"`);
    const skipped = await readFlagJsonl(path, { onBadRow: 'skip' });
    expect(skipped.records.length).toBe(1);
    expect(skipped.skipped.examples.map((e) => `${e.line} ${e.reason}`)).toEqual([
      '2 missing field "pos"',
      '3 empty text',
      '4 has 2 scores for 1 texts',
      '5 no positive passage',
    ]);
  });

  it('groups rows by anchor, and NLI rows by premise', () => {
    const ds = Dataset.fromRows([
      { anchor: 'a', positive: 'p1', negative: 'n1' },
      { anchor: 'b', positive: 'p2', negative: 'n2' },
      { anchor: 'a', positive: 'p3', negative: 'n1' },
    ]);
    expect(rowsToFlag(ds)).toEqual([
      { query: 'a', pos: ['p1', 'p3'], neg: ['n1'] },
      { query: 'b', pos: ['p2'], neg: ['n2'] },
    ]);
    const nli = Dataset.fromRows([
      { premise: 'P', hypothesis: 'E', label: 1 },
      { premise: 'P', hypothesis: 'C', label: 0 },
      { premise: 'P', hypothesis: 'N', label: 2 },
      { premise: 'Q', hypothesis: 'C2', label: 0 },
    ]);
    expect(nliToFlag(nli)).toEqual([{ query: 'P', pos: ['E'], neg: ['C'] }]);
  });
});
