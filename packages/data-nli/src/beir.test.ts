import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonl } from '../../../test-support/training_output.js';
import { qaToBeir, writeBeir } from './beir.js';
import { Dataset } from './dataset.js';

describe('qaToBeir / writeBeir', () => {
  it('shares ids between identical passages and questions; writes the BEIR layout', () => {
    const ds = Dataset.fromColumns({
      question: ['what is revenue', 'what is debt', 'what is revenue'],
      context: ['revenue is sales', 'debt is owed', 'revenue grew'],
      answer: ['a', 'b', 'c'],
    });
    const set = qaToBeir(ds);
    expect(set.queries).toEqual([
      { _id: 'q0', text: 'what is revenue' },
      { _id: 'q1', text: 'what is debt' },
    ]);
    expect(set.corpus.map((d) => d._id)).toEqual(['d0', 'd1', 'd2']);
    expect(set.qrels).toEqual([
      ['q0', 'd0', 1],
      ['q1', 'd1', 1],
      ['q0', 'd2', 1],
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'beir-'));
    try {
      writeBeir(dir, set, 'test');
      expect(readFileSync(join(dir, 'qrels', 'test.tsv'), 'utf8')).toBe(
        'query-id\tcorpus-id\tscore\nq0\td0\t1\nq1\td1\t1\nq0\td2\t1\n',
      );
      expect(readJsonl(join(dir, 'corpus.jsonl'))[0]).toEqual({
        _id: 'd0',
        title: '',
        text: 'revenue is sales',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the missing column', () => {
    expect(() => qaToBeir(Dataset.fromColumns({ question: ['q'] }))).toThrow(/no passage column/);
  });
});
