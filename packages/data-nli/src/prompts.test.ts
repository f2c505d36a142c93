import { describe, expect, it } from 'vitest';
import { Dataset } from './dataset.js';
import { Prompts, applyColumnPrompts, applyPrompt, resolveColumnPrompt } from './prompts.js';

describe('prompts', () => {
  it('resolves prompts as sentence-transformers encode does', () => {
    const prompts = new Prompts({ query: 'query: ', passage: 'passage: ' }, 'query');
    expect(prompts.resolve()).toBe('query: ');
    expect(prompts.resolve({ promptName: 'passage' })).toBe('passage: ');
    expect(prompts.resolve({ prompt: 'custom: ', promptName: 'passage' })).toBe('custom: ');
    expect(prompts.apply(['a', 'b'], { promptName: 'passage' })).toEqual(['passage: a', 'passage: b']);
    expect(new Prompts({ query: 'q: ' }).resolve()).toBe('');
    expect(() => prompts.get('doc')).toThrow('no prompt named "doc" (prompts: query, passage)');
    expect(() => new Prompts({}, 'query')).toThrow(/default prompt "query"/);
    const config = { prompts: { query: 'query: ' }, default_prompt_name: null };
    expect(Prompts.fromConfig(config).toConfig()).toEqual(config);
    expect(applyPrompt(['x'], 'p ')).toEqual(['p x']);
  });

  it('maps prompts to columns: one string, per column, or per data set', () => {
    expect(resolveColumnPrompt('q: ', 'anchor')).toBe('q: ');
    expect(resolveColumnPrompt('q: ', 'label')).toBeUndefined();
    const perColumn = { anchor: 'query: ', positive: 'passage: ' };
    expect(resolveColumnPrompt(perColumn, 'positive')).toBe('passage: ');
    expect(resolveColumnPrompt(perColumn, 'negative')).toBeUndefined();
    const perDataset = { nli: { anchor: 'nli: ' }, qa: 'qa: ' };
    expect(resolveColumnPrompt(perDataset, 'anchor', 'nli')).toBe('nli: ');
    expect(resolveColumnPrompt(perDataset, 'positive', 'nli')).toBeUndefined();
    expect(resolveColumnPrompt(perDataset, 'positive', 'qa')).toBe('qa: ');

    const ds = Dataset.fromRows([{ anchor: 'a', positive: 'p', score: 0.5 }]);
    expect(applyColumnPrompts(ds, perColumn).row(0)).toEqual({
      anchor: 'query: a',
      positive: 'passage: p',
      score: 0.5,
    });
    expect(applyColumnPrompts(ds, 'x: ').row(0)).toEqual({ anchor: 'x: a', positive: 'x: p', score: 0.5 });
  });
});
