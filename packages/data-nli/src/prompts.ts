import type { Dataset } from './dataset.js';
import { DataError } from './errors.js';

/** Prepends `prompt` to every text (`query: ` + text), as sentence-transformers does. */
export function applyPrompt(texts: readonly string[], prompt: string): string[] {
  return texts.map((t) => prompt + t);
}

/**
 * Named prompts with an optional default, as in a model's `config_sentence_transformers.json`
 * (`{"prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": null}`).
 */
export class Prompts {
  readonly prompts: Readonly<Record<string, string>>;
  readonly defaultName: string | undefined;

  constructor(prompts: Record<string, string> = {}, defaultName?: string | null) {
    if (defaultName != null && !(defaultName in prompts)) {
      throw new DataError(
        `default prompt "${defaultName}" is not one of the prompts (${Object.keys(prompts).join(', ') || 'none'})`,
      );
    }
    this.prompts = { ...prompts };
    this.defaultName = defaultName ?? undefined;
  }

  /** From the JSON of `config_sentence_transformers.json`. */
  static fromConfig(config: {
    prompts?: Record<string, string>;
    default_prompt_name?: string | null;
  }): Prompts {
    return new Prompts(config.prompts ?? {}, config.default_prompt_name);
  }

  /** The fields sentence-transformers writes to `config_sentence_transformers.json`. */
  toConfig(): { prompts: Record<string, string>; default_prompt_name: string | null } {
    return { prompts: { ...this.prompts }, default_prompt_name: this.defaultName ?? null };
  }

  /** The prompt called `name`; an unknown name is an error listing the known ones. */
  get(name: string): string {
    const prompt = this.prompts[name];
    if (prompt === undefined) {
      throw new DataError(
        `no prompt named "${name}" (prompts: ${Object.keys(this.prompts).join(', ') || 'none'})`,
      );
    }
    return prompt;
  }

  /**
   * The prompt `encode` uses, by sentence-transformers' rules: an explicit `prompt` wins, then
   * `promptName`, then the default prompt, else none ('').
   */
  resolve(options: { prompt?: string; promptName?: string } = {}): string {
    if (options.prompt !== undefined) return options.prompt;
    if (options.promptName !== undefined) return this.get(options.promptName);
    return this.defaultName !== undefined ? this.get(this.defaultName) : '';
  }

  /** Texts with the resolved prompt prepended. */
  apply(texts: readonly string[], options: { prompt?: string; promptName?: string } = {}): string[] {
    return applyPrompt(texts, this.resolve(options));
  }
}

/**
 * sentence-transformers' `prompts` training argument: one prompt for every text column, a prompt per
 * column `{ anchor: 'query: ', positive: 'passage: ' }`, or per data set `{ nli: {...}, qa: 'query: ' }`.
 */
export type DatasetPrompts =
  | string
  | Record<string, string>
  | Record<string, string | Record<string, string>>;

/** Columns that hold labels, never text (sentence-transformers' valid label columns). */
export const LABEL_COLUMNS: readonly string[] = ['label', 'score', 'labels', 'scores'];

/**
 * The prompt for one column of one data set, or undefined. With a data set name that is a key of
 * `prompts`, that entry applies (a string for all its columns, or per column); otherwise a string applies
 * to every column and a flat record maps columns to prompts. Label columns never get a prompt.
 */
export function resolveColumnPrompt(
  prompts: DatasetPrompts | undefined,
  column: string,
  datasetName?: string,
): string | undefined {
  if (prompts === undefined || LABEL_COLUMNS.includes(column)) return undefined;
  if (typeof prompts === 'string') return prompts;
  if (datasetName !== undefined && datasetName in prompts) {
    const entry = prompts[datasetName]!;
    return typeof entry === 'string' ? entry : entry[column];
  }
  const entry = prompts[column];
  return typeof entry === 'string' ? entry : undefined;
}

/** A data set whose text columns carry their prompts as prefixes (what the trainer's collator does). */
export function applyColumnPrompts(
  ds: Dataset,
  prompts: DatasetPrompts | undefined,
  datasetName?: string,
): Dataset {
  let out = ds;
  for (const column of ds.columnNames) {
    const prompt = resolveColumnPrompt(prompts, column, datasetName);
    if (!prompt) continue;
    const values = ds.column(column);
    if (!values.every((v) => typeof v === 'string')) continue;
    out = out.addColumn(column, applyPrompt(values as string[], prompt));
  }
  return out;
}
