import type { TrainingPrompts } from '@contrastive/core';

/** The named prompts a trained model keeps (config_sentence_transformers.json's `prompts`, `default_prompt_name`). */
export interface SavedPrompts {
  prompts: Record<string, string>;
  defaultPromptName: string | null;
}

/** One training data set: its text columns in order, and the prompt each got (`''` or absent: none). */
export interface PromptedDataset {
  name: string;
  textColumns: readonly string[];
  prompts: Readonly<Record<string, string>>;
}

/**
 * The prompts a model trained with the `prompts` training argument keeps, so that `encode({ promptName })`
 * (Python: `model.encode(texts, prompt_name=...)`) prepends at inference what the texts got at training.
 * sentence-transformers' trainer does not save them (its docs ask users to set `model.prompts` themselves, and
 * its prompt-trained models name them `query` / `document`); this does it the same way:
 * - each prompted column keeps its prompt under the column's name (`anchor`, `positive`, `question`, …);
 * - the first text column's prompt is also `query` (the anchor / query side) and the second's `document` (the
 *   positive / passage side), unless a column already has that name;
 * - a name that got different prompts in different data sets is saved as `<data set>/<name>` instead;
 * - one string for every column (`--prompt`) is `query` and `document` both, and the default prompt
 *   (`default_prompt_name: "query"`), since every text was trained with it.
 */
export function savedPrompts(
  argument: TrainingPrompts | undefined,
  datasets: readonly PromptedDataset[],
): SavedPrompts | undefined {
  if (argument === undefined) return undefined;
  if (typeof argument === 'string') {
    if (argument === '') return undefined;
    return { prompts: { query: argument, document: argument }, defaultPromptName: 'query' };
  }
  const out: Record<string, string> = {};
  const conflicted = new Set<string>();
  const put = (name: string, prompt: string, dataset: string) => {
    if (conflicted.has(name) || (Object.hasOwn(out, name) && out[name] !== prompt)) {
      conflicted.add(name);
      out[`${dataset}/${name}`] = prompt;
      return;
    }
    out[name] = prompt;
  };
  for (const d of datasets) {
    const named = new Map<string, string>();
    d.textColumns.forEach((column, i) => {
      const prompt = d.prompts[column];
      if (!prompt) return;
      named.set(column, prompt);
      const role = i === 0 ? 'query' : i === 1 ? 'document' : undefined;
      if (role && !d.textColumns.includes(role) && !named.has(role)) named.set(role, prompt);
    });
    for (const [name, prompt] of named) put(name, prompt, d.name);
  }
  return Object.keys(out).length > 0 ? { prompts: out, defaultPromptName: null } : undefined;
}
