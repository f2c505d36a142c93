import type { TextGenerator } from '@contrastive/llm';
import type { Augmenter } from './augmenter.js';
import { mixSeed } from './internal/rng.js';

// Augmenters that ask a TextGenerator (any object with `generate(prompt, options)`, e.g. @contrastive/llm's
// OpenAI-compatible provider). Prompts are templates: {text} is the input, other {names} are options. The
// seed goes to the provider (and into its cache key), so n repetitions with n seeds are n samples.

export interface GenerativeOptions {
  generator: TextGenerator;
  /** Sampling temperature sent with each call (default: the provider's). */
  temperature?: number;
  maxTokens?: number;
}

export const PARAPHRASE_PROMPT =
  'Paraphrase the following text. Keep its meaning, change the wording. Reply with the paraphrase only.\n\nText: {text}';
export const TRANSLATE_PROMPT =
  'Translate the following text from {from} to {to}. Reply with the translation only.\n\nText: {text}';
export const QUERY_PROMPT =
  'Write {n} different search queries that the following passage answers, one per line, without numbering.\n\nPassage: {text}';

/** Fills {name} placeholders; a template without {text} is an error (the input would never reach the model). */
export function fillTemplate(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    values[name] === undefined ? whole : String(values[name]),
  );
}

function checkTemplate(name: string, template: string): void {
  if (!template.includes('{text}')) throw new Error(`${name}: the prompt template has no {text} placeholder`);
}

/** A reply as a text: trimmed, one pair of wrapping quotes removed. */
export function cleanReply(reply: string): string {
  const t = reply.trim();
  const m = t.match(/^(["'“«])([\s\S]*)(["'”»])$/);
  return (m ? m[2]! : t).trim();
}

const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** One paraphrase per call; an empty reply or one equal to the input gives no text. */
export function paraphrase(options: GenerativeOptions & { prompt?: string }): Augmenter {
  const prompt = options.prompt ?? PARAPHRASE_PROMPT;
  checkTemplate('paraphrase', prompt);
  return {
    name: 'paraphrase',
    async augment(text, seed) {
      const reply = cleanReply(
        await options.generator.generate(fillTemplate(prompt, { text }), {
          seed,
          temperature: options.temperature,
          maxTokens: options.maxTokens,
        }),
      );
      return reply === '' || same(reply, text) ? [] : [reply];
    },
  };
}

/**
 * Back-translation: the text translated to `pivot` and back to `source` (two calls). An empty reply or a round
 * trip equal to the input gives no text.
 */
export function backTranslation(
  options: GenerativeOptions & { pivot?: string; source?: string; prompt?: string },
): Augmenter {
  const prompt = options.prompt ?? TRANSLATE_PROMPT;
  checkTemplate('backTranslation', prompt);
  const source = options.source ?? 'English';
  const pivot = options.pivot ?? 'German';
  return {
    name: 'backtranslate',
    async augment(text, seed) {
      const call = (input: string, from: string, to: string, stage: number) =>
        options.generator
          .generate(fillTemplate(prompt, { text: input, from, to }), {
            seed: mixSeed(seed, stage),
            temperature: options.temperature,
            maxTokens: options.maxTokens,
          })
          .then(cleanReply);
      const translated = await call(text, source, pivot, 0);
      if (translated === '') return [];
      const back = await call(translated, pivot, source, 1);
      return back === '' || same(back, text) ? [] : [back];
    },
  };
}

/**
 * Query generation (GPL's first step, doc2query-style): one call asking for `numQueries` queries, one a line;
 * bullets and numbering are stripped, duplicates dropped, at most `numQueries` returned.
 */
export function queryGeneration(
  options: GenerativeOptions & { numQueries?: number; prompt?: string },
): Augmenter {
  const prompt = options.prompt ?? QUERY_PROMPT;
  checkTemplate('queryGeneration', prompt);
  const n = options.numQueries ?? 3;
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`queryGeneration: numQueries must be a positive integer, got ${n}`);
  return {
    name: 'queries',
    async augment(text, seed) {
      const reply = await options.generator.generate(fillTemplate(prompt, { text, n }), {
        seed,
        temperature: options.temperature,
        maxTokens: options.maxTokens,
      });
      const queries: string[] = [];
      for (const line of reply.split(/\r?\n/)) {
        const q = cleanReply(line.replace(/^\s*(?:[-*•]|\d+[.):]|Query\s*\d*:)\s*/i, ''));
        if (q !== '' && !queries.some((x) => same(x, q))) queries.push(q);
        if (queries.length === n) break;
      }
      return queries;
    },
  };
}
