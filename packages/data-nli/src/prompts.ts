import {
  type ModelPrompts,
  type TrainingPrompts,
  columnPrompts,
  promptByName,
  resolvePrompt,
} from '@contrastive/core';
import type { Dataset } from './dataset.js';
import { DataError } from './errors.js';

/** Prepends `prompt` to every text (`query: ` + text), as sentence-transformers does. */
export function applyPrompt(texts: readonly string[], prompt: string): string[] {
  return texts.map((t) => prompt + t);
}

/**
 * Named prompts with an optional default, as in a model's `config_sentence_transformers.json`
 * (`{"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": null}`). The rules are
 * `@contrastive/core`'s `resolvePrompt`; errors are DataErrors.
 */
export class Prompts {
  readonly prompts: Readonly<Record<string, string>>;
  readonly defaultName: string | undefined;

  constructor(prompts: Record<string, string> = {}, defaultName?: string | null) {
    if (defaultName != null && !Object.hasOwn(prompts, defaultName)) {
      throw new DataError(
        `default prompt "${defaultName}" is not one of the prompts (${Object.keys(prompts).join(', ') || 'none'})`,
      );
    }
    this.prompts = { ...prompts };
    this.defaultName = defaultName ?? undefined;
  }

  /** From the JSON of `config_sentence_transformers.json`. */
  static fromConfig(config: Partial<ModelPrompts>): Prompts {
    return new Prompts(config.prompts ?? {}, config.default_prompt_name);
  }

  /** The fields sentence-transformers writes to `config_sentence_transformers.json`. */
  toConfig(): { prompts: Record<string, string>; default_prompt_name: string | null } {
    return { prompts: { ...this.prompts }, default_prompt_name: this.defaultName ?? null };
  }

  /** The prompt called `name`; an unknown name is an error listing the known ones. */
  get(name: string): string {
    return asDataError(() => promptByName(this.prompts, name));
  }

  /**
   * The prompt `encode` uses, by sentence-transformers' rules: an explicit `prompt` wins, then
   * `promptName`, then the default prompt, else none ('').
   */
  resolve(options: { prompt?: string; promptName?: string } = {}): string {
    const config = { prompts: this.prompts, default_prompt_name: this.defaultName ?? null };
    return asDataError(() => resolvePrompt(config, options)) ?? '';
  }

  /** Texts with the resolved prompt prepended. */
  apply(texts: readonly string[], options: { prompt?: string; promptName?: string } = {}): string[] {
    return applyPrompt(texts, this.resolve(options));
  }
}

/**
 * A data set whose text columns carry their prompts as prefixes (what the trainer's collator does), with
 * sentence-transformers' `prompts` argument in any of its forms (see `@contrastive/core`'s TrainingPrompts).
 * Label columns and columns that do not hold only strings are left as they are.
 */
export function applyColumnPrompts(
  ds: Dataset,
  prompts: TrainingPrompts | undefined,
  datasetName?: string,
): Dataset {
  const byColumn = asDataError(() => columnPrompts(prompts, ds.columnNames, datasetName));
  let out = ds;
  for (const [column, prompt] of Object.entries(byColumn)) {
    if (!prompt) continue;
    const values = ds.column(column);
    if (!values.every((v) => typeof v === 'string')) continue;
    out = out.addColumn(column, applyPrompt(values as string[], prompt));
  }
  return out;
}

function asDataError<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new DataError((e as Error).message);
  }
}
