import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../../../test-support/shared.js';
import { tempFolder } from '../internal/test_files.js';
import { loadBanking77, loadClassificationCsv } from './classification.js';

const { write } = tempFolder();

describe('Banking77 (shared/data/banking77)', () => {
  it('reads 10003 train and 3080 test rows over the 77 labels of categories.json', async () => {
    const dir = sharedPath('data', 'banking77');
    const categories: string[] = JSON.parse(readFileSync(`${dir}/categories.json`, 'utf8'));
    const train = await loadBanking77(dir);
    expect(train.numRows).toBe(10003);
    expect(train.columnNames).toEqual(['text', 'label']);
    expect(train.labelNames('label')).toEqual(categories);
    expect(new Set(train.column('label')).size).toBe(77);
    // Line 6 of the file is quoted: "How do I know if I will get my card, or if it is lost?",card_arrival
    expect(train.row(4)).toEqual({
      text: 'How do I know if I will get my card, or if it is lost?',
      label: categories.indexOf('card_arrival'),
    });
    expect(train.origin(4).line).toBe(6);
    expect((await loadBanking77(dir, { split: 'test' })).numRows).toBe(3080);
  });
});

describe('classification CSV', () => {
  it('rejects labels outside the label set and empty texts, naming the line', async () => {
    const path = write('c.csv', 'text,category\nhello,a\nbye,c\n,a\n');
    await expect(
      loadClassificationCsv(path, { labelColumn: 'category', labels: ['a', 'b'] }),
    ).rejects.toThrow(`${path}:3 (category): label "c" is not in the label set (2 labels)`);
    const ds = await loadClassificationCsv(path, {
      labelColumn: 'category',
      labels: ['a', 'b'],
      onBadRow: 'skip',
    });
    expect(ds.toRows()).toEqual([{ text: 'hello', label: 0 }]);
    expect(ds.skipped.examples.map((e) => e.line)).toEqual([3, 4]);
    const free = await loadClassificationCsv(write('d.csv', 'text,label\nx,z\ny,b\n'));
    expect(free.labelNames('label')).toEqual(['b', 'z']);
    expect(free.column('label')).toEqual([1, 0]);
    await expect(loadClassificationCsv(path)).rejects.toThrow(/no column "label"/);
  });
});
