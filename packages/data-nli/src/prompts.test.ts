import { describe, expect, it } from 'vitest';
import { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { Prompts, applyColumnPrompts, applyPrompt } from './prompts.js';

describe('prompts', () => {
  it('resolves prompts as sentence-transformers encode does', () => {
    const prompts = new Prompts({ query: 'query: ', passage: 'passage: ' }, 'query');
    expect(prompts.resolve()).toBe('query: ');
    expect(prompts.resolve({ promptName: 'passage' })).toBe('passage: ');
    expect(prompts.resolve({ prompt: 'custom: ', promptName: 'passage' })).toBe('custom: ');
    expect(prompts.apply(['a', 'b'], { promptName: 'passage' })).toEqual(['passage: a', 'passage: b']);
    expect(new Prompts({ query: 'q: ' }).resolve()).toBe('');
    expect(() => prompts.get('doc')).toThrow('prompt "doc" not found; known prompts: query, passage');
    expect(() => prompts.resolve({ promptName: 'doc' })).toThrow(DataError);
    expect(() => new Prompts({}, 'query')).toThrow(/default prompt "query"/);
    const config = { prompts: { query: 'query: ' }, default_prompt_name: null };
    expect(Prompts.fromConfig(config).toConfig()).toEqual(config);
    expect(applyPrompt(['x'], 'p ')).toEqual(['p x']);
  });

  it('prefixes columns: one string, per column, or per data set', () => {
    const ds = Dataset.fromRows([{ anchor: 'a', positive: 'p', score: 0.5 }]);
    const perColumn = { anchor: 'query: ', positive: 'passage: ' };
    expect(applyColumnPrompts(ds, perColumn).row(0)).toEqual({
      anchor: 'query: a',
      positive: 'passage: p',
      score: 0.5,
    });
    expect(applyColumnPrompts(ds, 'x: ').row(0)).toEqual({ anchor: 'x: a', positive: 'x: p', score: 0.5 });
    const perDataset = { nli: { anchor: 'nli: ' }, qa: 'qa: ' };
    expect(applyColumnPrompts(ds, perDataset, 'nli').row(0)).toEqual({
      anchor: 'nli: a',
      positive: 'p',
      score: 0.5,
    });
    expect(applyColumnPrompts(ds, perDataset, 'qa').row(0)).toEqual({
      anchor: 'qa: a',
      positive: 'qa: p',
      score: 0.5,
    });
    expect(() => applyColumnPrompts(ds, perDataset)).toThrow(DataError);
    expect(applyColumnPrompts(ds, undefined)).toBe(ds);
    // A label column that holds text is still never prompted.
    const text = Dataset.fromRows([{ anchor: 'a', label: 'yes' }]);
    expect(applyColumnPrompts(text, 'x: ').row(0)).toEqual({ anchor: 'x: a', label: 'yes' });
  });
});
