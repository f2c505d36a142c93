import { describe, expect, it } from 'vitest';
import { Dataset } from './dataset.js';
import { readCsv, readTsv, streamDelimited, writeCsv, writeTsv } from './delimited.js';
import { DataError } from './errors.js';
import { tempFolder } from './internal/test_files.js';

const { dir, write } = tempFolder();

describe('readCsv', () => {
  it('reads RFC 4180 quoting, CRLF, a BOM and multi-line fields with the right line numbers', async () => {
    const path = write(
      'a.csv',
      '\ufefftext,category\r\n"a, b",x\r\n"say ""hi""",y\r\n"two\r\nlines",z\r\n\r\nlast,w\r\n',
    );
    const ds = await readCsv(path);
    expect(ds.columnNames).toEqual(['text', 'category']);
    expect(ds.column('text')).toEqual(['a, b', 'say "hi"', 'two\r\nlines', 'last']);
    expect([0, 1, 2, 3].map((i) => ds.origin(i).line)).toEqual([2, 3, 4, 7]);
  });

  it('names file and line of a row with a missing column', async () => {
    const path = write('missing.csv', 'a,b,c\n1,2,3\n4,5\n');
    const error = await readCsv(path).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toBe(`${path}:3 (c): expected 3 fields, got 2 (missing column "c")`);
    expect(error.line).toBe(3);
  });

  it('rejects extra fields unless told to ignore them', async () => {
    const path = write('extra.csv', 'a,b\n1,2,3\n');
    await expect(readCsv(path)).rejects.toThrow(`${path}:2: expected 2 fields, got 3`);
    expect((await readCsv(path, { extraFields: 'ignore' })).row(0)).toEqual({ a: '1', b: '2' });
  });

  it('skips bad rows when asked, counting them with their lines', async () => {
    const path = write('skip.csv', 'a,b\n1,2\n3\n4,5\n6\n7,8\n');
    const ds = await readCsv(path, { onBadRow: 'skip' });
    expect(ds.column('a')).toEqual(['1', '4', '7']);
    expect(ds.skipped.count).toBe(2);
    expect(ds.skipped.examples.map((e) => e.line)).toEqual([3, 5]);
  });

  it('reports malformed quoting with its line', async () => {
    const path = write('quote.csv', 'a,b\n1,2\n"open,3\n');
    const error = await readCsv(path).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toMatch(/malformed CSV: Quote Not Closed/);
    expect(error.file).toBe(path);
  });

  it('names the file and line of a quote opened inside a field (a csv-parse code without CSV_)', async () => {
    const path = write('opening.csv', 'anchor,positive\na,b\nc, "d"x\n');
    const error = await readCsv(path).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toBe(
      `${path}:3: malformed CSV: Invalid Opening Quote: a quote is found on field 1, value is " "`,
    );
  });

  it('parses number columns and rejects non-numeric and empty values', async () => {
    const path = write('n.csv', 'text,score\nx,0.5\ny,abc\nz,\n');
    const error = await readCsv(path, { numberColumns: ['score'] }).catch((e) => e);
    expect(error.message).toBe(`${path}:3 (score): "abc" is not a number`);
    const skipped = await readCsv(path, { numberColumns: ['score'], onBadRow: 'skip' });
    expect(skipped.column('score')).toEqual([0.5]);
    expect(skipped.skipped.examples.map((e) => e.reason)).toEqual([
      '"abc" is not a number',
      'empty value, expected a number',
    ]);
    await expect(readCsv(path, { numberColumns: ['nope'] })).rejects.toThrow(
      /no column "nope" in the header/,
    );
  });

  it('keeps empty strings as values and errors on a missing file or empty file', async () => {
    const ds = await readCsv(write('empty-field.csv', 'a,b\n,x\n'));
    expect(ds.row(0)).toEqual({ a: '', b: 'x' });
    await expect(readCsv(`${dir}/nope.csv`)).rejects.toThrow(/nope.csv: file not found/);
    await expect(readCsv(write('empty.csv', ''))).rejects.toThrow(/empty file/);
  });

  it('streams rows', async () => {
    const path = write('s.csv', 'a\n1\n2\n3\n');
    const seen: string[] = [];
    for await (const { row, line } of streamDelimited(path)) seen.push(`${row.a}@${line}`);
    expect(seen).toEqual(['1@2', '2@3', '3@4']);
  });
});

describe('readTsv', () => {
  it('keeps quotes literal in the no-quoting variant', async () => {
    const path = write('g.tsv', 'index\tsentence1\n0\t"quoted" start\n1\tit\'s "here\n');
    const ds = await readTsv(path, { quoting: false });
    expect(ds.column('sentence1')).toEqual(['"quoted" start', 'it\'s "here']);
    const quoted = await readTsv(write('q.tsv', 'a\tb\n"x\ty"\tz\n'));
    expect(quoted.row(0)).toEqual({ a: 'x\ty', b: 'z' });
  });

  it('takes column names when the file has no header', async () => {
    const ds = await readTsv(write('nh.tsv', '1\t2\n'), { header: ['x', 'y'], quoting: false });
    expect(ds.toRows()).toEqual([{ x: '1', y: '2' }]);
  });
});

describe('writeCsv / writeTsv', () => {
  const tricky = Dataset.fromRows([
    { text: 'plain', n: 1, f: 0.25, b: true, z: null },
    { text: 'comma, "quote"\nnewline', n: -2, f: 1e-7, b: false, z: 'x' },
    { text: 'ünïcødé ☃ \t tab', n: 0, f: 3, b: true, z: '' },
  ]);

  it('round-trips through CSV and quoted TSV, with either line ending', async () => {
    for (const [name, write, read] of [
      ['rt.csv', writeCsv, readCsv],
      ['rt.tsv', writeTsv, readTsv],
    ] as const) {
      for (const lineEnding of ['\n', '\r\n'] as const) {
        const path = `${dir}/${lineEnding.length}${name}`;
        await write(tricky, path, { lineEnding });
        const back = await read(path, { numberColumns: ['n', 'f'] });
        expect(back.column('text')).toEqual(tricky.column('text'));
        expect(back.column('n')).toEqual([1, -2, 0]);
        expect(back.column('f')).toEqual([0.25, 1e-7, 3]);
        expect(back.column('b')).toEqual(['true', 'false', 'true']);
        expect(back.column('z')).toEqual(['', 'x', '']);
      }
    }
  });

  it('refuses to write a tab or newline without quoting', async () => {
    await expect(writeTsv(tricky, `${dir}/nq.tsv`, { quoting: false })).rejects.toThrow(
      /row 1 .*without quoting/,
    );
    const simple = Dataset.fromRows([{ a: 'say "x"', b: '1' }]);
    await writeTsv(simple, `${dir}/nq2.tsv`, { quoting: false });
    expect((await readTsv(`${dir}/nq2.tsv`, { quoting: false })).toRows()).toEqual(simple.toRows());
  });
});
