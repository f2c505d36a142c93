import { describe, expect, it } from 'vitest';
import { Dataset } from './dataset.js';
import { detectKind, toLayout } from './layouts.js';

const nli = Dataset.fromRows([
  { premise: 'P', hypothesis: 'E', label: 'entailment' },
  { premise: 'P', hypothesis: 'C', label: 'contradiction' },
  { premise: 'P', hypothesis: 'N', label: 'neutral' },
]).withOrigins('nli.csv', [2, 3, 4]);

describe('toLayout', () => {
  it('recognizes layouts from column names', () => {
    expect(detectKind(nli)).toBe('nli');
    expect(detectKind(Dataset.fromRows([{ sentence1: 'a', sentence2: 'b', score: 1 }]))).toBe('scored-pairs');
    expect(detectKind(Dataset.fromRows([{ query: 'a', positive: 'b' }]))).toBe('pairs');
    expect(detectKind(Dataset.fromRows([{ anchor: 'a', positive: 'b', negative_1: 'c' }]))).toBe('triplets');
    expect(() => detectKind(Dataset.fromRows([{ text: 'a' }]))).toThrow(
      /cannot tell the layout from the columns \[text\]/,
    );
  });

  it('converts NLI to every layout', async () => {
    expect((await toLayout(nli, 'nli')).column('label')).toEqual([1, 0, 2]);
    expect((await toLayout(nli, 'scored-pairs')).column('score')).toEqual([1, 0, 0]);
    expect((await toLayout(nli, 'pairs')).toRows()).toEqual([{ anchor: 'P', positive: 'E' }]);
    expect((await toLayout(nli, 'triplets')).toRows()).toEqual([
      { anchor: 'P', positive: 'E', negative: 'C' },
    ]);
  });

  it('checks scores: numeric text is parsed, non-numeric and out-of-range scores name the line', async () => {
    const scored = Dataset.fromRows([
      { sentence1: 'a', sentence2: 'b', score: '0.5' },
      { sentence1: 'c', sentence2: 'd', score: 'high' },
      { sentence1: 'e', sentence2: 'f', score: '4' },
    ]).withOrigins('s.csv', [2, 3, 4]);
    await expect(toLayout(scored, 'scored-pairs')).rejects.toThrow('s.csv:3 (score): "high" is not a number');
    const skipped = await toLayout(scored, 'scored-pairs', { onBadRow: 'skip' });
    expect(skipped.column('score')).toEqual([0.5]);
    expect(skipped.skipped.examples.map((e) => e.line)).toEqual([3, 4]);
    expect(skipped.skipped.examples[1]!.reason).toMatch(/score 4 is outside \[0, 1\]/);
    const scaled = await toLayout(scored.select([0, 2]), 'scored-pairs', { scoreScale: 5 });
    expect(scaled.column('score')).toEqual([0.1, 0.8]);
    await expect(toLayout(scored, 'pairs')).rejects.toThrow(/needs a minimum score/);
    expect((await toLayout(scaled, 'pairs', { minScore: 0.5 })).toRows()).toEqual([
      { anchor: 'e', positive: 'f' },
    ]);
    await expect(toLayout(scaled, 'triplets')).rejects.toThrow(/no negatives/);
  });

  it('rejects empty texts and impossible conversions', async () => {
    const pairs = Dataset.fromRows([
      { query: 'q', positive: 'p' },
      { query: 'q2', positive: ' ' },
    ]).withOrigins('p.jsonl', [1, 2]);
    await expect(toLayout(pairs, 'pairs')).rejects.toThrow('p.jsonl:2 (positive): empty text');
    await expect(toLayout(pairs, 'triplets')).rejects.toThrow(/no negative column/);
    await expect(toLayout(pairs, 'nli')).rejects.toThrow(/no NLI labels/);
    const badLabel = Dataset.fromRows([{ premise: 'P', hypothesis: 'H', label: 'sure' }]);
    await expect(toLayout(badLabel, 'nli')).rejects.toThrow(/row 0 \(label\): label "sure" is not one of/);
  });
});
