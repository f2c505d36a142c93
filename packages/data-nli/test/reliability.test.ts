import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LABEL_COLUMNS } from '@contrastive/core';
import { describe, expect, it } from 'vitest';
import {
  DataError,
  Dataset,
  readCsv,
  readDataFile,
  readJson,
  readJsonl,
  readLineAligned,
  readTsv,
  writeCsv,
  writeDataFile,
  writeJsonl,
  writeLineAligned,
  writeParquet,
  writeTsv,
} from '../src/index.js';
import { tempFolder } from '../src/internal/test_files.js';

const { dir, write } = tempFolder();
const LATIN1_E = Buffer.from([0xe9]); // "é" in Latin-1: not UTF-8 on its own

describe('invalid UTF-8 is an error naming file and line', () => {
  const bad = (prefix: string, suffix: string) =>
    Buffer.concat([Buffer.from(prefix, 'utf8'), LATIN1_E, Buffer.from(suffix, 'utf8')]);

  it('in every reader: CSV (quoted and not), TSV, JSONL, JSON, line-aligned', async () => {
    const csv = write('bad.csv', bad('a,b\n"x",y\nx,caf', '\nz,w\n'));
    const tsv = write('bad.tsv', bad('a\tb\nx\ty\nz\tcaf', '\n'));
    const jsonl = write('bad.jsonl', bad('{"a":"x"}\n{"a":"y"}\n{"a":"caf', '"}\n'));
    const json = write('bad.json', bad('[\n{"a":"x"},\n{"a":"caf', '"}\n]\n'));
    const lines = write('bad.txt', bad('one\ntwo\r\nthree\r\ncaf', '\r\n'));
    const cases: [() => Promise<unknown>, string][] = [
      [() => readCsv(csv), `${csv}:3`],
      [() => readCsv(csv, { quoting: false }), `${csv}:3`],
      [() => readTsv(tsv), `${tsv}:3`],
      [() => readJsonl(jsonl), `${jsonl}:3`],
      [() => readJson(json), `${json}:3`],
      [() => readLineAligned({ text: lines }), `${lines}:4`],
    ];
    for (const [read, where] of cases) {
      const error = await read().catch((e: unknown) => e);
      expect(error, where).toBeInstanceOf(DataError);
      expect((error as Error).message).toBe(`${where}: invalid UTF-8 (the file must be UTF-8 encoded)`);
    }
  });

  it("with onBadRow 'skip': invalid lines are skipped and counted with file and line", async () => {
    const csv = write('skip.csv', bad('a,b\nx,y\n"two\nlines",caf', '\nz,w\n'));
    const tsv = write('skip.tsv', bad('a\tb\nx\ty\nz\tcaf', '\nu\tv\n'));
    const jsonl = write('skip.jsonl', bad('{"a":"x"}\n{"a":"caf', '"}\n{"a":"y"}\n'));
    const cases: [() => Promise<Dataset>, string, number][] = [
      [() => readCsv(csv, { onBadRow: 'skip' }), csv, 4],
      [() => readTsv(tsv, { onBadRow: 'skip' }), tsv, 3],
      [() => readTsv(tsv, { onBadRow: 'skip', quoting: false }), tsv, 3],
      [() => readJsonl(jsonl, { onBadRow: 'skip' }), jsonl, 2],
    ];
    for (const [read, file, line] of cases) {
      const ds = await read();
      expect(ds.numRows, file).toBe(2);
      expect(ds.skipped).toEqual({
        count: 1,
        examples: [{ file, line, reason: 'invalid UTF-8 (the file must be UTF-8 encoded)' }],
      });
    }
    // A header that is not UTF-8 is an error even then.
    const header = write('header.csv', bad('a,caf', '\nx,y\n'));
    await expect(readCsv(header, { onBadRow: 'skip' })).rejects.toThrow(`${header}:1: invalid UTF-8`);
  });

  it('past the first 64 KiB chunk, in a multi-line quoted CSV field', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => `row ${i},"text\n${i}"`).join('\n');
    const csv = write(
      'long.csv',
      Buffer.concat([Buffer.from(`a,b\n${rows}\nlast,"`), LATIN1_E, Buffer.from('"\n')]),
    );
    // 1 header line + 2 lines per row, then the bad row.
    await expect(readCsv(csv)).rejects.toThrow(`${csv}:10002: invalid UTF-8`);
    // Valid multi-byte text split across chunks still reads.
    const ok = write('ok.csv', `a,b\n${'é€'.repeat(40_000)},𝄞\n`);
    expect((await readCsv(ok)).column('b')).toEqual(['𝄞']);
  });
});

describe('readDataFile numberColumns (the typed reader train and data convert share)', () => {
  it('parses label and score text as numbers in CSV/TSV and keeps JSON numbers', async () => {
    const csv = write('scored.csv', 'sentence1,sentence2,score\na,b,0.5\nc,d,1\n');
    const ds = await readDataFile(csv, { numberColumns: LABEL_COLUMNS });
    expect(ds.column('score')).toEqual([0.5, 1]);
    expect(ds.column('sentence1')).toEqual(['a', 'c']);
    expect(ds.origin(1)).toEqual({ file: csv, line: 3 });
    const jsonl = write('scored.jsonl', '{"anchor":"a","positive":"b","label":2}\n');
    expect((await readDataFile(jsonl, { numberColumns: LABEL_COLUMNS })).column('label')).toEqual([2]);
  });

  it('round-trips list labels through CSV (written as JSON text)', async () => {
    const path = join(dir, 'lists.csv');
    await writeCsv(Dataset.fromRows([{ query: 'q', label: [0.25, 0.75] }]), path);
    const back = await readDataFile(path, { numberColumns: ['label'] });
    expect(back.column('label')).toEqual([[0.25, 0.75]]);
  });

  it('names file, line and column of a value that is not a number, or skips and counts it', async () => {
    const csv = write('badscore.csv', 'sentence1,sentence2,score\na,b,0.5\nc,d,high\ne,f,\n');
    await expect(readDataFile(csv, { numberColumns: ['score'] })).rejects.toThrow(
      `${csv}:3 (score): "high" is not a number`,
    );
    const skipped = await readDataFile(csv, { numberColumns: ['score'], onBadRow: 'skip' });
    expect(skipped.column('score')).toEqual([0.5]);
    expect(skipped.skipped.count).toBe(2);
    expect(skipped.skipped.examples.map((e) => e.line)).toEqual([3, 4]);
    const jsonl = write('badlabel.jsonl', '{"premise":"a","hypothesis":"b","label":"entailment"}\n');
    await expect(readDataFile(jsonl, { numberColumns: ['label'] })).rejects.toThrow(
      `${jsonl}:1 (label): "entailment" is not a number`,
    );
  });
});

describe('writers are atomic and report write errors naming the file', () => {
  const data = Dataset.fromRows([
    { anchor: 'a', positive: 'b', score: 0.5 },
    { anchor: 'c', positive: 'd', score: 1 },
  ]);

  it('a full device (ENOSPC) rejects for JSONL, CSV, TSV, Parquet and line-aligned', async () => {
    const writes: (() => Promise<unknown>)[] = [
      () => writeJsonl(data, '/dev/full'),
      () => writeCsv(data, '/dev/full'),
      () => writeTsv(data, '/dev/full'),
      () => writeParquet(data, '/dev/full'),
      () => writeLineAligned(data, { anchor: '/dev/full' }),
    ];
    for (const w of writes) await expect(w()).rejects.toThrow(/^\/dev\/full: cannot write output \(ENOSPC/);
  });

  it('a row that cannot be written leaves the old file and no temp file', async () => {
    writeFileSync(join(dir, 'old.tsv'), 'old\n');
    const target = join(dir, 'old.tsv');
    const withTab = Dataset.fromRows([{ text: 'ok' }, { text: 'has\ttab' }]);
    await expect(writeTsv(withTab, target, { quoting: false })).rejects.toThrow(DataError);
    expect(readFileSync(target, 'utf8')).toBe('old\n');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('every format round-trips through the atomic writers', async () => {
    for (const ext of ['jsonl', 'csv', 'tsv', 'parquet']) {
      const path = join(dir, `round.${ext}`);
      await writeDataFile(data, path);
      const back = await readDataFile(path, { numberColumns: ['score'] });
      expect(back.toRows(), ext).toEqual(data.toRows());
    }
  });
});
