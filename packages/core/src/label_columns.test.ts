import { describe, expect, it } from 'vitest';
import { LABEL_COLUMNS, findLabelColumn, labelKind } from './label_columns.js';

describe('label columns', () => {
  it('finds the label column in sentence-transformers order', () => {
    expect(LABEL_COLUMNS).toEqual(['label', 'score', 'labels', 'scores']);
    expect(findLabelColumn(['anchor', 'positive'])).toBeUndefined();
    expect(findLabelColumn(['sentence1', 'sentence2', 'score'])).toBe('score');
    expect(findLabelColumn(['query', 'labels', 'positive'])).toBe('labels');
    // Both present: 'label' wins whatever the column order (the collator checks label first).
    expect(findLabelColumn(['score', 'a', 'label'])).toBe('label');
    expect(findLabelColumn(['Label', 'scores'])).toBe('scores');
  });

  it('tells class ids, scores and lists apart', () => {
    expect(labelKind([0, 1, 2])).toBe('class');
    expect(labelKind(new Float32Array([1, 2]))).toBe('class');
    expect(labelKind([0.5, 1])).toBe('float');
    expect(labelKind([1, 2.5])).toBe('float');
    expect(labelKind([[1, 2], [0.5]])).toBe('list');
    expect(labelKind([[], [3]])).toBe('list');
  });

  it('names the row and column of a bad value', () => {
    expect(() => labelKind([1, 'x', 2], 'score')).toThrow('label column "score" row 2 is "x", not a number');
    expect(() => labelKind([0.5, Number.NaN])).toThrow('label column "label" row 2 is NaN, not a number');
    expect(() => labelKind([1, 2, null])).toThrow('row 3 is null, not a number');
    expect(() => labelKind([undefined])).toThrow('row 1 is undefined, not a number');
    expect(() => labelKind([[1], 2], 'labels')).toThrow(
      'label column "labels" row 2 is 2, not a list of numbers (other rows hold lists)',
    );
    expect(() => labelKind([[1], [2, 'a']])).toThrow('row 2 is [2,"a"], not a list of numbers');
  });
});
