import { describe, expect, it } from 'vitest';
import {
  columnPrompts,
  datasetPrompts,
  promptByName,
  resolveColumnPrompt,
  resolvePrompt,
} from './prompts.js';

describe('model prompts', () => {
  const model = { prompts: { query: 'query: ', passage: 'passage: ' }, default_prompt_name: 'query' };

  it('explicit prompt > prompt name > default prompt name > none', () => {
    expect(resolvePrompt(model, { prompt: 'custom: ', promptName: 'passage' })).toBe('custom: ');
    expect(resolvePrompt(model, { prompt: '' })).toBe('');
    expect(resolvePrompt(model, { promptName: 'passage' })).toBe('passage: ');
    expect(resolvePrompt(model)).toBe('query: ');
    expect(resolvePrompt({ prompts: { query: 'q: ' } })).toBeUndefined();
    expect(resolvePrompt({ prompts: { query: 'q: ' }, default_prompt_name: null })).toBeUndefined();
  });

  it('an unknown name is an error listing the known ones', () => {
    expect(() => resolvePrompt(model, { promptName: 'doc' })).toThrow(
      'prompt "doc" not found; known prompts: query, passage',
    );
    expect(() => resolvePrompt({ prompts: {}, default_prompt_name: 'query' })).toThrow(
      'prompt "query" not found; known prompts: (none)',
    );
    expect(() => promptByName({}, 'toString')).toThrow('prompt "toString" not found');
  });
});

describe('training prompts', () => {
  it('a string prompts every text column, never a label column', () => {
    expect(resolveColumnPrompt('q: ', 'anchor')).toBe('q: ');
    expect(resolveColumnPrompt('q: ', 'anchor', 'any-data-set')).toBe('q: ');
    for (const label of ['label', 'score', 'labels', 'scores'])
      expect(resolveColumnPrompt('q: ', label)).toBeUndefined();
    expect(columnPrompts('q: ', ['anchor', 'positive', 'score'])).toEqual({ anchor: 'q: ', positive: 'q: ' });
  });

  it('{ column: prompt } prompts the columns it names', () => {
    const perColumn = { anchor: 'query: ', positive: 'passage: ' };
    expect(resolveColumnPrompt(perColumn, 'positive')).toBe('passage: ');
    expect(resolveColumnPrompt(perColumn, 'negative')).toBeUndefined();
    // A data set name that is not a key leaves the record as a column map (sentence-transformers' prompts.get).
    expect(resolveColumnPrompt(perColumn, 'anchor', 'nli')).toBe('query: ');
    expect(columnPrompts(perColumn, ['anchor', 'negative'])).toEqual({ anchor: 'query: ' });
    expect(resolveColumnPrompt({ constructor: 'c: ' }, 'toString')).toBeUndefined();
  });

  it('{ data set: prompt | { column: prompt } } picks the data set first', () => {
    const perDataset = { nli: { anchor: 'nli: ' }, qa: 'qa: ' };
    expect(resolveColumnPrompt(perDataset, 'anchor', 'nli')).toBe('nli: ');
    expect(resolveColumnPrompt(perDataset, 'positive', 'nli')).toBeUndefined();
    expect(resolveColumnPrompt(perDataset, 'positive', 'qa')).toBe('qa: ');
    expect(datasetPrompts(perDataset, 'qa')).toBe('qa: ');
    expect(columnPrompts(perDataset, ['anchor', 'positive', 'label'], 'qa')).toEqual({
      anchor: 'qa: ',
      positive: 'qa: ',
    });
    expect(columnPrompts(perDataset, ['anchor', 'positive'], 'nli')).toEqual({ anchor: 'nli: ' });
    // Flat per-data-set strings: the data set's entry wins over reading the record as a column map.
    expect(columnPrompts({ nli: 'a: ', qa: 'b: ' }, ['anchor'], 'qa')).toEqual({ anchor: 'b: ' });
    expect(columnPrompts(undefined, ['anchor'], 'qa')).toEqual({});
  });

  it('a nested record that does not name the data set is an error', () => {
    const perDataset = { nli: { anchor: 'nli: ' }, qa: 'qa: ' };
    expect(() => resolveColumnPrompt(perDataset, 'anchor', 'sts')).toThrow(
      'prompts are nested by data set name (nli, qa), but data set "sts" is not one of them',
    );
    expect(() => columnPrompts(perDataset, ['anchor'])).toThrow(/but no data set name is given/);
    expect(() => datasetPrompts({ nli: { anchor: 3 } } as never, 'nli')).toThrow(
      'prompts.nli: expected a prompt or { column: prompt }, got {"anchor":3}',
    );
  });
});
