import { describe, expect, it } from 'vitest';
import type { FlagRecord } from './flag.js';
import { FlagGroupDataset } from './flag_group.js';

const RECORDS: FlagRecord[] = [
  {
    query: 'q0',
    pos: ['p0a', 'p0b'],
    neg: ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'],
    pos_scores: [0.9, 0.8],
    neg_scores: [0.5, 0.4, 0.3, 0.2, 0.1, 0.0],
    prompt: 'Q: ',
  },
  { query: 'q1', pos: ['p1'], neg: ['m0'], pos_scores: [0.7], neg_scores: [0.6] },
];

describe('FlagGroupDataset', () => {
  it('has one positive and g − 1 negatives per row, drawn from the record', () => {
    const ds = new FlagGroupDataset(RECORDS, { trainGroupSize: 4 });
    expect(ds.columnNames).toEqual(['anchor', 'positive', 'negative_1', 'negative_2', 'negative_3']);
    expect(ds.numRows).toBe(2);
    const negs0 = ['negative_1', 'negative_2', 'negative_3'].map((c) => ds.column(c)[0]);
    expect(new Set(negs0).size).toBe(3); // sampled without replacement
    for (const n of negs0) expect(RECORDS[0]!.neg).toContain(n);
    // A record with one negative repeats it (FlagEmbedding: neg × ⌈(g−1)/|neg|⌉).
    expect(['negative_1', 'negative_2', 'negative_3'].map((c) => ds.column(c)[1])).toEqual([
      'm0',
      'm0',
      'm0',
    ]);
  });

  it('setEpoch redraws per epoch, reproducibly from (seed, epoch, row), and covers all negatives', () => {
    const a = new FlagGroupDataset(RECORDS, { trainGroupSize: 3, seed: 5 });
    const b = new FlagGroupDataset(RECORDS, { trainGroupSize: 3, seed: 5 });
    const draw = (ds: FlagGroupDataset) => [
      ds.column('positive')[0],
      ds.column('negative_1')[0],
      ds.column('negative_2')[0],
    ];
    const seen = new Set<unknown>();
    const draws: unknown[][] = [];
    for (let epoch = 0; epoch < 30; epoch++) {
      a.setEpoch(epoch);
      draws.push(draw(a));
      seen.add(a.column('negative_1')[0]);
      seen.add(a.column('negative_2')[0]);
    }
    expect(seen.size).toBe(6); // not always the first ones
    expect(new Set(draws.map((d) => d.join())).size).toBeGreaterThan(10);
    // Jumping straight to epoch 17 (a resume) gives the same rows as walking there.
    b.setEpoch(17);
    expect(draw(b)).toEqual(draws[17]);
    const other = new FlagGroupDataset(RECORDS, { trainGroupSize: 3, seed: 6 });
    const differs = [0, 1, 2, 3, 4].some((e) => {
      other.setEpoch(e);
      return draw(other).join() !== draws[e]!.join();
    });
    expect(differs).toBe(true);
  });

  it('teacher scores follow the drawn texts; prompts are prepended on request', () => {
    const ds = new FlagGroupDataset(RECORDS, {
      trainGroupSize: 3,
      teacherScores: 'list',
      prependPrompt: true,
      seed: 1,
    });
    const r = RECORDS[0]!;
    const p = r.pos.indexOf(ds.column('positive')[0] as string);
    const n1 = r.neg.indexOf(ds.column('negative_1')[0] as string);
    const n2 = r.neg.indexOf(ds.column('negative_2')[0] as string);
    expect(ds.column('label')[0]).toEqual([r.pos_scores![p], r.neg_scores![n1], r.neg_scores![n2]]);
    expect(ds.column('anchor')[0]).toBe('Q: q0');
    const margin = new FlagGroupDataset(RECORDS, { trainGroupSize: 2, teacherScores: 'margin' });
    expect(margin.columnNames).toEqual(['anchor', 'positive', 'negative', 'label']);
    expect(margin.column('label')[1]).toBeCloseTo(0.7 - 0.6, 12);
  });

  it('rejects a group size below 2 and records without negatives', () => {
    expect(() => new FlagGroupDataset(RECORDS, { trainGroupSize: 1 })).toThrow(
      /trainGroupSize must be an integer ≥ 2/,
    );
    expect(() => new FlagGroupDataset([{ query: 'q', pos: ['p'], neg: [] }], { trainGroupSize: 2 })).toThrow(
      /record 0.*neg|neg.*record 0/,
    );
  });
});
