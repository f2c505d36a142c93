import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../../../test-support/shared.js';
import { Dataset } from '../dataset.js';
import { readCsv } from '../delimited.js';
import { loadFinancialQa, toRetrievalRows } from './retrieval.js';

describe('Financial-QA-10k (shared/data/financial-qa-10k)', () => {
  it('has 7000 rows; the recipe maps question → query and context → positive, skipping empty texts', async () => {
    const path = sharedPath('data', 'financial-qa-10k', 'Financial-QA-10k.csv');
    const raw = await readCsv(path);
    expect(raw.numRows).toBe(7000);
    expect(raw.columnNames).toEqual(['question', 'answer', 'context', 'ticker', 'filing']);
    const empty = raw
      .toRows()
      .filter((r) => String(r.question).trim() === '' || String(r.context).trim() === '');
    const qa = await loadFinancialQa(path);
    expect(qa.columnNames).toEqual(['query', 'positive']);
    expect(qa.numRows).toBe(7000 - empty.length);
    expect(qa.skipped.count).toBe(empty.length);
    expect(qa.row(0)).toEqual({ query: raw.row(0).question, positive: raw.row(0).context });
    await expect(loadFinancialQa(path, { onBadRow: 'throw' })).rejects.toThrow(
      /Financial-QA-10k.csv:\d+ \((question|context)\): empty text/,
    );
  });

  it('names hard-negative columns', () => {
    const ds = Dataset.fromRows([{ q: 'a', p: 'b', n1: 'c', n2: 'd' }]);
    expect(toRetrievalRows(ds, { query: 'q', positive: 'p', negatives: ['n1', 'n2'] }).row(0)).toEqual({
      query: 'a',
      positive: 'b',
      negative_1: 'c',
      negative_2: 'd',
    });
    expect(() => toRetrievalRows(ds, { query: 'question' })).toThrow(/no column "question"/);
  });
});
