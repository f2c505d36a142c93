import type { GenerateOptions, TextGenerator } from '@contrastive/llm';
import { describe, expect, it } from 'vitest';
import {
  backTranslation,
  cleanReply,
  fillTemplate,
  paraphrase,
  queryGeneration,
  times,
} from '../src/index.js';

/** Records calls and answers from a function of the prompt; structural, as any provider. */
function fakeGenerator(answer: (prompt: string, options: GenerateOptions) => string) {
  const calls: Array<{ prompt: string; options: GenerateOptions }> = [];
  const generator: TextGenerator = {
    async generate(prompt, options = {}) {
      calls.push({ prompt, options });
      return answer(prompt, options);
    },
  };
  return { generator, calls };
}

describe('generator-based augmenters', () => {
  it('fills templates and cleans replies', () => {
    expect(fillTemplate('{text} to {to} {missing}', { text: 'hi', to: 'German' })).toBe(
      'hi to German {missing}',
    );
    expect(cleanReply('  "A quoted reply."\n')).toBe('A quoted reply.');
    expect(cleanReply('“curly”')).toBe('curly');
  });

  it('back-translates through the pivot language in two calls', async () => {
    const { generator, calls } = fakeGenerator((prompt) => {
      const text = prompt.slice(prompt.indexOf('Text: ') + 6);
      return prompt.includes('from English to French')
        ? `[fr] ${text}`
        : `"${text.replace('[fr] ', '')} again"`;
    });
    const aug = backTranslation({ generator, pivot: 'French', temperature: 0.8 });
    expect(await aug.augment('The cat sleeps.', 3)).toEqual(['The cat sleeps. again']);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.prompt).toContain('from English to French');
    expect(calls[1]!.prompt).toContain('from French to English');
    expect(calls[1]!.prompt).toContain('Text: [fr] The cat sleeps.');
    expect(calls[0]!.options.temperature).toBe(0.8);
    expect(calls[0]!.options.seed).not.toBe(calls[1]!.options.seed);
  });

  it('drops a round trip or paraphrase equal to the input, and an empty reply', async () => {
    const echo = fakeGenerator((prompt) => prompt.slice(prompt.indexOf('Text: ') + 6).toUpperCase());
    expect(await backTranslation({ generator: echo.generator }).augment('same text', 1)).toEqual([]);
    expect(await paraphrase({ generator: echo.generator }).augment('same text', 1)).toEqual([]);
    const empty = fakeGenerator(() => '   ');
    expect(await paraphrase({ generator: empty.generator }).augment('x', 1)).toEqual([]);
    expect(empty.calls).toHaveLength(1);
  });

  it('asks n paraphrases with n seeds through times(n)', async () => {
    const { generator, calls } = fakeGenerator((_, o) => `variant ${o.seed}`);
    const out = await times(3, paraphrase({ generator, prompt: 'Rephrase: {text}' })).augment('orig', 11);
    expect(out).toHaveLength(3);
    expect(new Set(out).size).toBe(3);
    expect(calls.map((c) => c.prompt)).toEqual(['Rephrase: orig', 'Rephrase: orig', 'Rephrase: orig']);
    expect(() => paraphrase({ generator, prompt: 'no placeholder' })).toThrow(/no \{text\} placeholder/);
  });

  it('parses generated queries, stripping numbering and duplicates', async () => {
    const { generator, calls } = fakeGenerator(
      () => '1. what is tsdae?\n2) How does TSDAE work\n- what is tsdae?\n\n"tsdae learning rate"\nextra one',
    );
    const out = await queryGeneration({ generator, numQueries: 3 }).augment('TSDAE is ...', 0);
    expect(out).toEqual(['what is tsdae?', 'How does TSDAE work', 'tsdae learning rate']);
    expect(calls[0]!.prompt).toContain('Write 3 different search queries');
  });
});
