import { describe, expect, it } from 'vitest';
import { defaultBatches, epochSchedule, groupByLabelBatches, noDuplicateBatches } from './samplers.js';

describe('batch samplers', () => {
  it('default: a seeded permutation cut into batches, last one partial unless dropLast', () => {
    const a = defaultBatches(10, { batchSize: 4, dropLast: false, seed: 1 });
    expect(a.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(a.flat().sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(defaultBatches(10, { batchSize: 4, dropLast: false, seed: 1 })).toEqual(a);
    expect(defaultBatches(10, { batchSize: 4, dropLast: false, seed: 2 })).not.toEqual(a);
    expect(defaultBatches(10, { batchSize: 4, dropLast: true, seed: 1 }).map((b) => b.length)).toEqual([
      4, 4,
    ]);
  });

  it('no_duplicates: no text twice in a batch, every row used once', () => {
    // Rows 0-3 share the anchor "a"; they must land in four different batches.
    const rows = [
      ['a', 'p0'],
      ['a', 'p1'],
      ['a', 'p2'],
      ['a', 'p3'],
      ['b', 'p4'],
      ['c', 'p5'],
      ['d', 'p6'],
      ['e', 'p0'],
    ];
    const batches = noDuplicateBatches((r) => rows[r]!, rows.length, {
      batchSize: 3,
      dropLast: false,
      seed: 3,
    });
    for (const b of batches) {
      const texts = b.flatMap((r) => rows[r]!);
      expect(new Set(texts).size).toBe(texts.length);
    }
    expect(batches.flat().sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(batches.filter((b) => b.some((r) => r < 4)).length).toBe(4);
  });

  it('group_by_label: every label in a batch appears at least twice', () => {
    const labels = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3];
    const batches = groupByLabelBatches(labels, { batchSize: 4, dropLast: false, seed: 5 });
    for (const b of batches) {
      const counts = new Map<number, number>();
      b.forEach((r) => counts.set(labels[r]!, (counts.get(labels[r]!) ?? 0) + 1));
      for (const c of counts.values()) expect(c).toBeGreaterThanOrEqual(2);
    }
    // Label 3 has a single row and label 0 an odd one out: 8 of the 10 rows can be paired.
    expect(batches.flat().length).toBe(8);
  });

  it('multi-dataset: round robin alternates and stops at the shortest; proportional uses every batch', () => {
    const d0 = [[0], [1], [2]];
    const d1 = [[10], [11]];
    expect(epochSchedule([d0, d1], 'round_robin', 1).map((b) => `${b.dataset}:${b.rows[0]}`)).toEqual([
      '0:0',
      '1:10',
      '0:1',
      '1:11',
    ]);
    const p = epochSchedule([d0, d1], 'proportional', 1);
    expect(p.length).toBe(5);
    expect(p.filter((b) => b.dataset === 0).map((b) => b.rows[0])).toEqual([0, 1, 2]);
    expect(p.filter((b) => b.dataset === 1).map((b) => b.rows[0])).toEqual([10, 11]);
  });
});
