import { describe, expect, it } from 'vitest';
import { Dataset } from './dataset.js';
import { tempFolder } from './internal/test_files.js';
import { readLineAligned, streamLineAligned, writeLineAligned } from './line_aligned.js';

const { dir, write } = tempFolder();

describe('line-aligned files', () => {
  it('reads files line by line into columns, trimming by default', async () => {
    const a = write('a.txt', 'one \r\ntwo\n');
    const b = write('b.txt', 'x\ny\n');
    const ds = await readLineAligned({ s: a, t: b });
    expect(ds.toRows()).toEqual([
      { s: 'one', t: 'x' },
      { s: 'two', t: 'y' },
    ]);
    expect((await readLineAligned({ s: a }, { trim: false })).column('s')).toEqual(['one ', 'two']);
  });

  it('names the files when their lengths differ', async () => {
    const a = write('c.txt', '1\n2\n3\n');
    const b = write('d.txt', '1\n2\n');
    await expect(readLineAligned({ a, b })).rejects.toThrow(`${b}:3: has 2 lines but ${a} has 3`);
    const stream = async () => {
      for await (const _ of streamLineAligned({ a, b })) {
      }
    };
    await expect(stream()).rejects.toThrow(`${b}:3: ends at line 2 but ${a} goes on`);
  });

  it('round-trips through writeLineAligned', async () => {
    const ds = Dataset.fromRows([
      { s: 'a b', l: 'entailment' },
      { s: 'c', l: 'neutral' },
    ]);
    const files = { s: `${dir}/s.out`, l: `${dir}/l.out` };
    await writeLineAligned(ds, files);
    expect((await readLineAligned(files)).toRows()).toEqual(ds.toRows());
    await expect(
      writeLineAligned(Dataset.fromRows([{ s: 'x\ny' }]), { s: `${dir}/bad.out` }),
    ).rejects.toThrow(/line break/);
  });
});
