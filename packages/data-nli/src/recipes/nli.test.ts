import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../../../test-support/shared.js';
import { DataError } from '../errors.js';
import { tempFolder } from '../internal/test_files.js';
import {
  NLI_LABEL_IDS,
  loadMnliTsv,
  loadSnliJsonl,
  loadSnliLines,
  nliToPairs,
  nliToScoredPairs,
  nliToSoftmaxRows,
  nliToTriplets,
  parseNliLabel,
} from './nli.js';

const { dir, write } = tempFolder();
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').slice(0, -1);

describe('SNLI line-aligned (shared/data/snli)', async () => {
  const snliDir = sharedPath('data', 'snli');
  const dev = await loadSnliLines(snliDir, { split: 'dev' });
  const labels = lines(`${snliDir}/labels.dev`);
  const s1 = lines(`${snliDir}/s1.dev`).map((s) => s.trim());
  const s2 = lines(`${snliDir}/s2.dev`).map((s) => s.trim());

  it('reads every dev pair with sentence-transformers label ids', () => {
    expect(dev.numRows).toBe(labels.length);
    expect(dev.numRows).toBe(9842);
    expect(dev.row(0)).toEqual({
      premise: 'Two women are embracing while holding to go packages .',
      hypothesis: s2[0],
      label: NLI_LABEL_IDS[labels[0] as 'neutral'],
    });
    expect(dev.labelNames('label')).toEqual(['contradiction', 'entailment', 'neutral']);
  });

  it('gives 3329 entailment pairs for MNRL', () => {
    const pairs = nliToPairs(dev);
    expect(pairs.numRows).toBe(labels.filter((l) => l === 'entailment').length);
    expect(pairs.numRows).toBe(3329);
    expect(pairs.columnNames).toEqual(['anchor', 'positive']);
    const k = labels.indexOf('entailment');
    expect(pairs.row(0)).toEqual({ anchor: s1[k], positive: s2[k] });
  });

  it('scores entailment 1 and the rest 0 for CosineSimilarityLoss', () => {
    const scored = nliToScoredPairs(dev);
    expect(scored.columnNames).toEqual(['sentence1', 'sentence2', 'score']);
    expect(scored.column('score')).toEqual(labels.map((l) => (l === 'entailment' ? 1 : 0)));
    expect(nliToSoftmaxRows(dev).column('label')).toEqual(
      labels.map((l) => NLI_LABEL_IDS[l as 'entailment']),
    );
  });

  it('builds triplets whose negative contradicts the same premise', () => {
    const triplets = nliToTriplets(dev);
    const byPremise = new Map<string, { ent: string[]; con: string[] }>();
    labels.forEach((l, i) => {
      const e = byPremise.get(s1[i]!) ?? { ent: [], con: [] };
      byPremise.set(s1[i]!, e);
      if (l === 'entailment') e.ent.push(s2[i]!);
      if (l === 'contradiction') e.con.push(s2[i]!);
    });
    const expected = [...byPremise.values()].reduce((n, e) => n + (e.con.length > 0 ? e.ent.length : 0), 0);
    expect(triplets.numRows).toBe(expected);
    for (const { anchor, positive, negative } of triplets) {
      const e = byPremise.get(anchor as string)!;
      expect(e.ent).toContain(positive);
      expect(e.con).toContain(negative);
    }
    expect(nliToTriplets(dev, { symmetric: true }).numRows).toBe(2 * expected);
    const seeded = nliToTriplets(dev, { seed: 5 });
    expect(seeded.numRows).toBe(expected);
    expect(nliToTriplets(dev, { seed: 5 }).toRows()).toEqual(seeded.toRows());
  });
});

describe('NLI label checks', () => {
  it('maps names and ids, and rejects labels outside the set', () => {
    expect(parseNliLabel(' Entailment ', {})).toBe(1);
    expect(parseNliLabel(2, {}, 'st')).toBe(2);
    expect(parseNliLabel(2, {}, 'hf')).toBe(0);
    expect(parseNliLabel('0', {}, 'hf')).toBe(1);
    expect(() => parseNliLabel('maybe', { file: 'f', line: 3 })).toThrow(
      'f:3: label "maybe" is not one of entailment',
    );
    expect(() => parseNliLabel(3, {})).toThrow(DataError);
  });

  it('skips "-" gold labels with a count, and stops at unknown labels and empty sentences', async () => {
    const s1 = write('s1.x', 'A man .\nA man .\nA dog .\nA cat .\n');
    const s2 = write('s2.x', 'A person .\nNobody .\nAn animal .\nA pet .\n');
    write('labels.x', 'entailment\n-\nneutral\n-\n');
    const ds = await loadSnliLines(dir, { split: 'x' });
    expect(ds.numRows).toBe(2);
    expect(ds.skipped.count).toBe(2);
    expect(ds.skipped.examples.map((e) => e.line)).toEqual([2, 4]);

    write('labels.y', 'entailment\nmaybe\nneutral\n-\n');
    write('s1.y', readFileSync(s1));
    write('s2.y', readFileSync(s2));
    await expect(loadSnliLines(dir, { split: 'y' })).rejects.toThrow(
      `${dir}/labels.y:2 (label): label "maybe"`,
    );
    const skipped = await loadSnliLines(dir, { split: 'y', onBadRow: 'skip' });
    expect(skipped.numRows).toBe(2);
    expect(skipped.skipped.count).toBe(2);

    write('s1.z', 'A man .\n  \n');
    write('s2.z', 'x\ny\n');
    write('labels.z', 'entailment\nneutral\n');
    await expect(loadSnliLines(dir, { split: 'z' })).rejects.toThrow(`${dir}/s1.z:2 (premise): empty text`);
  });
});

describe('other NLI sources', () => {
  it('reads SNLI JSONL in the original and the Hugging Face field names', async () => {
    const original = write(
      'snli.jsonl',
      [
        { annotator_labels: ['neutral'], gold_label: 'neutral', sentence1: 'P1', sentence2: 'H1' },
        { annotator_labels: ['x', 'y'], gold_label: '-', sentence1: 'P1', sentence2: 'H2' },
        { annotator_labels: ['entailment'], gold_label: 'entailment', sentence1: 'P1', sentence2: 'H3' },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n'),
    );
    const ds = await loadSnliJsonl(original);
    expect(ds.toRows()).toEqual([
      { premise: 'P1', hypothesis: 'H1', label: 2 },
      { premise: 'P1', hypothesis: 'H3', label: 1 },
    ]);
    expect(ds.skipped.count).toBe(1);
    const hf = write(
      'hf.jsonl',
      '{"premise":"P","hypothesis":"H","label":0}\n{"premise":"P","hypothesis":"G","label":-1}\n',
    );
    const hfDs = await loadSnliJsonl(hf);
    expect(hfDs.toRows()).toEqual([{ premise: 'P', hypothesis: 'H', label: 1 }]);
    await expect(loadSnliJsonl(write('nolabel.jsonl', '{"premise":"P","hypothesis":"H"}\n'))).rejects.toThrow(
      /nolabel.jsonl:1 \(label\): label null/,
    );
  });

  it('reads GLUE MNLI TSV without quoting', async () => {
    const header = 'index\tpromptID\tpairID\tgenre\tsentence1\tsentence2\tlabel1\tgold_label';
    const path = write(
      'mnli.tsv',
      `${header}\n0\t1\t1e\tgov\tHe said "no.\tHe refused.\tentailment\tentailment\n1\t2\t2c\tgov\tA\tB\tcontradiction\tcontradiction\n`,
    );
    const ds = await loadMnliTsv(path);
    expect(ds.toRows()).toEqual([
      { premise: 'He said "no.', hypothesis: 'He refused.', label: 1 },
      { premise: 'A', hypothesis: 'B', label: 0 },
    ]);
    await expect(loadMnliTsv(write('nogold.tsv', 'sentence1\tsentence2\nA\tB\n'))).rejects.toThrow(
      /no column "gold_label"/,
    );
    await expect(loadMnliTsv(write('short.tsv', `${header}\n0\t1\t1e\tgov\tA\n`))).rejects.toThrow(
      /short.tsv:2 \(sentence2\): expected 8 fields, got 5/,
    );
  });
});
