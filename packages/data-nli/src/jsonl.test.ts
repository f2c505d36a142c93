import { describe, expect, it } from 'vitest';
import { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { tempFolder } from './internal/test_files.js';
import { readJson, readJsonl, streamJsonl, writeJsonl } from './jsonl.js';

const { dir, write } = tempFolder();

describe('readJsonl', () => {
  it('reads objects line by line, ignoring blank lines', async () => {
    const ds = await readJsonl(write('a.jsonl', '{"a":"x","b":1}\n\n{"a":"y","b":null}\r\n'));
    expect(ds.toRows()).toEqual([
      { a: 'x', b: 1 },
      { a: 'y', b: null },
    ]);
    expect(ds.origin(1).line).toBe(3);
  });

  it('names file and line of invalid JSON, non-objects, missing and unexpected fields', async () => {
    const bad = write('bad.jsonl', '{"a":"x"}\n{"a":\n');
    const error = await readJsonl(bad).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toMatch(new RegExp(`^${bad}:2: invalid JSON`));
    await expect(readJsonl(write('arr.jsonl', '{"a":"x"}\n[1]\n'))).rejects.toThrow(
      /:2: expected a JSON object, got an array/,
    );
    await expect(readJsonl(write('miss.jsonl', '{"a":"x","b":"y"}\n{"a":"z"}\n'))).rejects.toThrow(
      /miss.jsonl:2 \(b\): missing field "b"/,
    );
    await expect(readJsonl(write('extra.jsonl', '{"a":"x"}\n{"a":"z","c":1}\n'))).rejects.toThrow(
      /extra.jsonl:2 \(c\): unexpected field "c"/,
    );
    await expect(readJsonl(write('nest.jsonl', '{"a":["x"]}\n'))).rejects.toThrow(
      /nest.jsonl:1 \(a\): field "a" is an array/,
    );
  });

  it('skips bad lines when asked, reporting them in line order', async () => {
    const path = write('skip.jsonl', '{"a":"1"}\nnot json\n{"a":"2"}\n{"b":"3"}\n{"a":"4"}\n');
    const ds = await readJsonl(path, { onBadRow: 'skip' });
    expect(ds.column('a')).toEqual(['1', '2', '4']);
    expect(ds.skipped.count).toBe(2);
    expect(ds.skipped.examples.map((e) => e.line)).toEqual([2, 4]);
  });

  it('streams rows', async () => {
    const lines: number[] = [];
    for await (const { line } of streamJsonl(write('s.jsonl', '{"a":1}\n{"a":2}\n'))) lines.push(line);
    expect(lines).toEqual([1, 2]);
  });

  it('round-trips through writeJsonl', async () => {
    const ds = Dataset.fromRows([
      { text: 'line\nbreak "q" ☃', score: 0.125, ok: true },
      { text: '', score: -3, ok: false },
    ]);
    await writeJsonl(ds, `${dir}/rt.jsonl`);
    expect((await readJsonl(`${dir}/rt.jsonl`)).toRows()).toEqual(ds.toRows());
  });
});

describe('readJson', () => {
  it('reads an array of objects or JSON Lines', async () => {
    expect((await readJson(write('a.json', '[{"a":1},{"a":2}]'))).column('a')).toEqual([1, 2]);
    expect((await readJson(write('d.json', '{"data":[{"a":3}]}'))).column('a')).toEqual([3]);
    expect((await readJson(write('l.json', '{"a":1}\n{"a":2}\n'))).column('a')).toEqual([1, 2]);
    await expect(readJson(write('n.json', '[{"a":1},{"b":2}]'))).rejects.toThrow(/item 1: missing field "a"/);
  });
});
