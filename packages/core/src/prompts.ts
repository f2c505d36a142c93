import { LABEL_COLUMNS } from './label_columns.js';

/**
 * Prompts, resolved once for every package, by sentence-transformers' rules: the model-level prompts of
 * `config_sentence_transformers.json` (what `encode` prepends) and the trainer's `prompts` argument (what the
 * collator prepends to each text column).
 */

/** A prompt per text column: `{ anchor: 'query: ', positive: 'passage: ' }`. */
export type ColumnPrompts = Readonly<Record<string, string>>;

/**
 * sentence-transformers' `prompts` training argument: one prompt for every text column (`'query: '`), a
 * prompt per column (`{ anchor: 'query: ' }`), or per data set name, each entry one of the former
 * (`{ nli: { anchor: 'query: ' }, qa: 'query: ' }`).
 */
export type TrainingPrompts = string | Readonly<Record<string, string | ColumnPrompts>>;

/** A model's named prompts, as in `config_sentence_transformers.json`. */
export interface ModelPrompts {
  prompts: Readonly<Record<string, string>>;
  default_prompt_name?: string | null;
}

/** How a caller asks for a prompt at encode time. */
export interface PromptChoice {
  /** Used as is; wins over `promptName`. */
  prompt?: string;
  /** One of the model's prompt names. */
  promptName?: string;
}

/** The prompt called `name`; an unknown name is an error listing the known ones. */
export function promptByName(prompts: Readonly<Record<string, string>>, name: string): string {
  const prompt = Object.hasOwn(prompts, name) ? prompts[name] : undefined;
  if (prompt === undefined) {
    throw new Error(
      `prompt "${name}" not found; known prompts: ${Object.keys(prompts).join(', ') || '(none)'}`,
    );
  }
  return prompt;
}

/**
 * The prompt `encode` prepends: an explicit `prompt` wins, then `promptName`, then the model's default prompt
 * name; undefined when none applies. A name the model does not have is an error listing the known ones.
 */
export function resolvePrompt(model: ModelPrompts, choice: PromptChoice = {}): string | undefined {
  if (choice.prompt !== undefined) return choice.prompt;
  const name = choice.promptName ?? model.default_prompt_name ?? undefined;
  return name === undefined ? undefined : promptByName(model.prompts, name);
}

/**
 * The prompts that apply to one data set: sentence-transformers takes `prompts[datasetName]` when the data set
 * name is a key, else `prompts` itself, which must then be a string or a flat `{ column: prompt }` record.
 * A record nested by data set name without an entry for this data set is an error (as in sentence-transformers),
 * so a misspelt data set name does not silently train without prompts.
 */
export function datasetPrompts(
  prompts: TrainingPrompts | undefined,
  datasetName?: string,
): string | ColumnPrompts | undefined {
  if (prompts === undefined || typeof prompts === 'string') return prompts;
  if (datasetName !== undefined && Object.hasOwn(prompts, datasetName)) {
    const entry = prompts[datasetName]!;
    if (typeof entry === 'string' || isColumnPrompts(entry)) return entry;
    throw new Error(
      `prompts.${datasetName}: expected a prompt or { column: prompt }, got ${JSON.stringify(entry)}`,
    );
  }
  const nested = Object.keys(prompts).filter((k) => typeof prompts[k] !== 'string');
  if (nested.length > 0) {
    const where =
      datasetName === undefined
        ? 'no data set name is given'
        : `data set "${datasetName}" is not one of them`;
    throw new Error(
      `prompts are nested by data set name (${Object.keys(prompts).join(', ')}), but ${where}; ` +
        'give a prompt for every data set, or a flat { column: prompt } record',
    );
  }
  return prompts as ColumnPrompts;
}

/**
 * The prompt for one column of one data set, or undefined: a string applies to every column, a record maps
 * columns to prompts, and a record keyed by data set name picks the data set's entry first (`datasetPrompts`).
 * Label columns (LABEL_COLUMNS) never get a prompt.
 */
export function resolveColumnPrompt(
  prompts: TrainingPrompts | undefined,
  column: string,
  datasetName?: string,
): string | undefined {
  if (LABEL_COLUMNS.includes(column)) return undefined;
  const entry = datasetPrompts(prompts, datasetName);
  if (entry === undefined || typeof entry === 'string') return entry;
  return Object.hasOwn(entry, column) ? entry[column] : undefined;
}

/**
 * Every column of a data set that gets a prompt, with its prompt (columns without one are left out), e.g. for
 * the trainer's collator: `columnPrompts(args.prompts, textColumns, 'nli')`.
 */
export function columnPrompts(
  prompts: TrainingPrompts | undefined,
  columns: readonly string[],
  datasetName?: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const column of columns) {
    const prompt = resolveColumnPrompt(prompts, column, datasetName);
    if (prompt !== undefined) out[column] = prompt;
  }
  return out;
}

function isColumnPrompts(v: unknown): v is ColumnPrompts {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((p) => typeof p === 'string')
  );
}
