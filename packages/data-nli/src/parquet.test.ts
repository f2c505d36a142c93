import { describe, expect, it } from 'vitest';
import { Dataset } from './dataset.js';
import { tempFolder } from './internal/test_files.js';
import { readParquet, streamParquet, writeParquet } from './parquet.js';

const { dir } = tempFolder();

describe('Parquet', () => {
  it('round-trips strings, integers, floats, booleans and nulls', async () => {
    const ds = Dataset.fromRows([
      { text: 'ünïcødé ☃', id: 1, score: 0.1, ok: true, maybe: null },
      { text: '', id: -5, score: 2.5e-8, ok: false, maybe: 'x' },
      { text: 'line\nbreak', id: 2 ** 40, score: -1, ok: null, maybe: null },
    ]);
    const path = `${dir}/a.parquet`;
    await writeParquet(ds, path);
    const back = await readParquet(path);
    expect(back.columnNames).toEqual(ds.columnNames);
    expect(back.toRows()).toEqual(ds.toRows());
    expect((await readParquet(path, { columns: ['id'] })).column('id')).toEqual([1, -5, 2 ** 40]);
  });

  it('streams row group by row group', async () => {
    const ds = Dataset.fromRows(Array.from({ length: 25 }, (_, i) => ({ i, s: `r${i}` })));
    const path = `${dir}/groups.parquet`;
    await writeParquet(ds, path, { rowGroupSize: 10 });
    const sizes: number[] = [];
    const seen: number[] = [];
    for await (const group of streamParquet(path)) {
      sizes.push(group.numRows);
      seen.push(...(group.column('i') as number[]));
    }
    expect(sizes).toEqual([10, 10, 5]);
    expect(seen).toEqual(ds.column('i'));
  });

  it('rejects a column that mixes types, and unknown columns', async () => {
    const mixed = Dataset.fromRows([{ a: 1 }, { a: 'x' }]);
    await expect(writeParquet(mixed, `${dir}/mixed.parquet`)).rejects.toThrow(
      /mixed.parquet \(a\): column mixes number and string/,
    );
    await writeParquet(Dataset.fromRows([{ a: 1 }]), `${dir}/one.parquet`);
    await expect(readParquet(`${dir}/one.parquet`, { columns: ['b'] })).rejects.toThrow(/no column "b"/);
    await expect(readParquet(`${dir}/none.parquet`)).rejects.toThrow(/file not found/);
  });

  it('writes an empty data set', async () => {
    const path = `${dir}/empty.parquet`;
    await writeParquet(Dataset.fromColumns({ a: [], b: [] }), path);
    const back = await readParquet(path);
    expect(back.numRows).toBe(0);
    expect(back.columnNames).toEqual(['a', 'b']);
  });
});
