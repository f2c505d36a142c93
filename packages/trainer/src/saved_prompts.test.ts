import { describe, expect, it } from 'vitest';
import { savedPrompts } from './saved_prompts.js';

const pairs = { name: 'nq', textColumns: ['anchor', 'positive'] };

describe('savedPrompts', () => {
  it('one prompt for every column: query and document, and the default', () => {
    expect(
      savedPrompts('query: ', [{ ...pairs, prompts: { anchor: 'query: ', positive: 'query: ' } }]),
    ).toEqual({
      prompts: { query: 'query: ', document: 'query: ' },
      defaultPromptName: 'query',
    });
    expect(savedPrompts('', [{ ...pairs, prompts: {} }])).toBeUndefined();
    expect(savedPrompts(undefined, [{ ...pairs, prompts: {} }])).toBeUndefined();
  });

  it('per column: the column names, plus query/document for the first and second text columns', () => {
    const argument = { anchor: 'query: ', positive: 'passage: ' };
    expect(savedPrompts(argument, [{ ...pairs, prompts: argument }])).toEqual({
      prompts: { anchor: 'query: ', query: 'query: ', positive: 'passage: ', document: 'passage: ' },
      defaultPromptName: null,
    });
    // FlagEmbedding's query instruction: only the query column is prompted.
    const flag = {
      name: 'fiqa',
      textColumns: ['query', 'pos', 'neg'],
      prompts: { query: 'Represent this: ' },
    };
    expect(savedPrompts({ query: 'Represent this: ' }, [flag])).toEqual({
      prompts: { query: 'Represent this: ' },
      defaultPromptName: null,
    });
  });

  it('per data set: a name prompted differently by two data sets is qualified by the data set', () => {
    const argument = { nq: { anchor: 'query: ' }, sts: 'sts: ' };
    const saved = savedPrompts(argument, [
      { ...pairs, prompts: { anchor: 'query: ' } },
      {
        name: 'sts',
        textColumns: ['sentence1', 'sentence2'],
        prompts: { sentence1: 'sts: ', sentence2: 'sts: ' },
      },
    ]);
    expect(saved).toEqual({
      prompts: {
        anchor: 'query: ',
        query: 'query: ',
        sentence1: 'sts: ',
        'sts/query': 'sts: ',
        sentence2: 'sts: ',
        document: 'sts: ',
      },
      defaultPromptName: null,
    });
  });
});
