import { describe, expect, it } from 'vitest';
import { Dataset } from './dataset.js';
import { DataError } from './errors.js';

const rows = Array.from({ length: 10 }, (_, i) => ({ text: `t${i}`, label: i % 2 }));

describe('Dataset', () => {
  it('stores columns and gives rows back', () => {
    const ds = Dataset.fromRows(rows);
    expect(ds.numRows).toBe(10);
    expect(ds.columnNames).toEqual(['text', 'label']);
    expect(ds.column('label')).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    expect(ds.row(3)).toEqual({ text: 't3', label: 1 });
    expect(ds.toRows()).toEqual(rows);
    expect([...ds].length).toBe(10);
  });

  it('rejects rows with missing or extra columns, naming them', () => {
    expect(() => Dataset.fromRows([{ a: '1', b: '2' }, { a: '3' }])).toThrow(/row 1 has no column "b"/);
    expect(() => Dataset.fromRows([{ a: '1' }, { a: '3', c: 'x' }])).toThrow(/column "c"/);
    expect(() => Dataset.fromRows(rows).column('nope')).toThrow(/no column "nope" \(columns: text, label\)/);
    expect(() => Dataset.fromColumns({ a: [1, 2], b: [1] })).toThrow(DataError);
  });

  it('maps, filters and selects', () => {
    const ds = Dataset.fromRows(rows);
    const mapped = ds.map((r, i) => ({ text: String(r.text).toUpperCase(), n: i * 2 }));
    expect(mapped.columnNames).toEqual(['text', 'n']);
    expect(mapped.row(4)).toEqual({ text: 'T4', n: 8 });
    const odd = ds.filter((r) => r.label === 1);
    expect(odd.column('text')).toEqual(['t1', 't3', 't5', 't7', 't9']);
    expect(ds.select([9, 0, 0]).column('text')).toEqual(['t9', 't0', 't0']);
    expect(ds.select({ start: 2, end: 5 }).column('text')).toEqual(['t2', 't3', 't4']);
    expect(() => ds.select([10])).toThrow(RangeError);
    expect(() => ds.select({ start: 5, end: 11 })).toThrow(RangeError);
  });

  it('shuffles reproducibly, keeping every row once', () => {
    const ds = Dataset.fromRows(rows);
    const a = ds.shuffle(3).column('text');
    expect(ds.shuffle(3).column('text')).toEqual(a);
    expect(ds.shuffle(4).column('text')).not.toEqual(a);
    expect([...a].sort()).toEqual([...ds.column('text')].sort());
  });

  it('splits into train and test, stratified when asked', () => {
    const many = Dataset.fromRows(
      Array.from({ length: 100 }, (_, i) => ({ id: i, label: i < 80 ? 'a' : 'b' })),
    );
    const { train, test } = many.trainTestSplit({ testSize: 0.2, seed: 1, stratifyBy: 'label' });
    expect(train.numRows).toBe(80);
    expect(test.numRows).toBe(20);
    expect(test.column('label').filter((l) => l === 'b').length).toBe(4);
    const ids = new Set([...train.column('id'), ...test.column('id')]);
    expect(ids.size).toBe(100);
    expect(many.trainTestSplit({ testSize: 30, seed: 1 }).test.numRows).toBe(30);
    expect(() => many.trainTestSplit({ testSize: 1.5 })).toThrow(RangeError);
  });

  it('concatenates, renames, removes and adds columns', () => {
    const a = Dataset.fromRows([{ x: 1, y: 'a' }]);
    const b = Dataset.fromRows([{ y: 'b', x: 2 }]);
    const both = a.concatenate(b);
    expect(both.toRows()).toEqual([
      { x: 1, y: 'a' },
      { x: 2, y: 'b' },
    ]);
    expect(() => a.concatenate(Dataset.fromRows([{ x: 1 }]))).toThrow(/cannot concatenate/);
    const renamed = both.renameColumn('y', 'text');
    expect(renamed.columnNames).toEqual(['x', 'text']);
    expect(() => both.renameColumn('y', 'x')).toThrow(/two columns named "x"/);
    expect(both.removeColumns('x').columnNames).toEqual(['y']);
    expect(() => both.removeColumns(['z'])).toThrow(/no column "z"/);
    expect(both.addColumn('z', [true, false]).row(1)).toEqual({ x: 2, y: 'b', z: false });
  });

  it('iterates in batches', () => {
    const ds = Dataset.fromRows(rows);
    const sizes = [...ds.batches(4)].map((b) => b.length);
    expect(sizes).toEqual([4, 4, 2]);
    expect([...ds.batches(4, { dropLast: true })].length).toBe(2);
    expect([...ds.batches(4)][2]![1]).toEqual({ text: 't9', label: 1 });
  });

  it('keeps label names and row origins through select and shuffle', () => {
    const ds = Dataset.fromRows(rows)
      .withLabelNames('label', ['even', 'odd'])
      .withOrigins(
        'f.csv',
        rows.map((_, i) => i + 2),
      );
    const picked = ds.select([7]);
    expect(picked.labelNames('label')).toEqual(['even', 'odd']);
    expect(picked.origin(0)).toEqual({ file: 'f.csv', line: 9 });
    expect(ds.shuffle(1).labelNames('label')).toEqual(['even', 'odd']);
    expect(ds.map((r) => ({ ...r, label: 0 })).labelNames('label')).toBeUndefined();
  });
});
