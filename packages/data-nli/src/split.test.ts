import { describe, expect, it } from 'vitest';
import { Dataset } from './dataset.js';
import { splitDataset, splitNames } from './split.js';

const ds = Dataset.fromRows(
  Array.from({ length: 1000 }, (_, i) => ({ id: i, text: `t${i % 400}`, label: i % 10 < 7 ? 'a' : 'b' })),
);

describe('splitDataset', () => {
  it('splits 8:1:1 exactly, seeded, every row once', () => {
    const parts = splitDataset(ds, { ratios: [8, 1, 1], seed: 3 });
    expect(parts.map((p) => p.numRows)).toEqual([800, 100, 100]);
    const ids = parts.flatMap((p) => p.column('id') as number[]);
    expect(new Set(ids).size).toBe(1000);
    expect(splitDataset(ds, { ratios: [8, 1, 1], seed: 3 }).map((p) => p.column('id'))).toEqual(
      parts.map((p) => p.column('id')),
    );
    expect(splitDataset(ds, { ratios: [8, 1, 1], seed: 4 })[1]!.column('id')).not.toEqual(
      parts[1]!.column('id'),
    );
    expect(splitDataset(ds, { ratios: [0.5, 0.5] }).map((p) => p.numRows)).toEqual([500, 500]);
  });

  it('keeps label proportions when stratified', () => {
    const parts = splitDataset(ds, { ratios: [8, 1, 1], seed: 1, stratifyBy: 'label' });
    for (const [part, size] of parts.map((p, k) => [p, [800, 100, 100][k]!] as const)) {
      expect(part.numRows).toBe(size);
      expect(part.column('label').filter((l) => l === 'a').length).toBe(size * 0.7);
    }
  });

  it('never lets a text appear in two parts when deduplicating', () => {
    const parts = splitDataset(ds, { ratios: [8, 1, 1], seed: 2, dedupeColumns: ['text'] });
    const texts = parts.map((p) => new Set(p.column('text')));
    for (let a = 0; a < 3; a++) {
      for (let b = a + 1; b < 3; b++) expect([...texts[a]!].filter((t) => texts[b]!.has(t))).toEqual([]);
    }
    expect(parts.reduce((n, p) => n + p.numRows, 0)).toBe(1000);
    // Groups of 2–3 rows: sizes stay within a group of the target.
    expect(Math.abs(parts[1]!.numRows - 100)).toBeLessThanOrEqual(3);
    const undivided = splitDataset(ds, { ratios: [8, 1, 1], seed: 2 });
    const leaks = [...new Set(undivided[0]!.column('text'))].filter((t) =>
      new Set(undivided[2]!.column('text')).has(t),
    );
    expect(leaks.length).toBeGreaterThan(0);
  });

  it('links rows through texts in different columns, ignoring case and spacing', () => {
    const pairs = Dataset.fromRows([
      { s1: 'A cat', s2: 'x' },
      { s1: 'y', s2: 'a  CAT ' },
      { s1: 'z', s2: 'w' },
      { s1: 'v', s2: 'u' },
    ]);
    for (let seed = 0; seed < 10; seed++) {
      const parts = splitDataset(pairs, { ratios: [1, 1], seed, dedupeColumns: ['s1', 's2'] });
      const withCat = parts.filter((p) => p.column('s1').some((s) => s === 'A cat' || s === 'y'));
      expect(withCat.length).toBe(1);
    }
  });

  it('rejects bad ratios and names parts', () => {
    expect(() => splitDataset(ds, { ratios: [1] })).toThrow(/at least two ratios/);
    expect(() => splitDataset(ds, { ratios: [1, -1] })).toThrow(/non-negative/);
    expect(splitNames(3)).toEqual(['train', 'val', 'test']);
    expect(splitNames(2)).toEqual(['train', 'test']);
    expect(splitNames(4)).toEqual(['train', 'val', 'test', 'part_4']);
  });
});
