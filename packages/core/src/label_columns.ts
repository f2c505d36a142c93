/**
 * Columns that hold labels, never text, in the order sentence-transformers' collator looks for them
 * (`valid_label_columns`): the first present one is the label column, every other column is text.
 */
export const LABEL_COLUMNS: readonly string[] = ['label', 'score', 'labels', 'scores'];

/** What a label column holds, as the losses check it: class ids, real-valued scores, or lists of scores. */
export type LabelKind = 'class' | 'float' | 'list';

/** The label column of a data set with these columns (the first of LABEL_COLUMNS present), or undefined. */
export function findLabelColumn(columnNames: readonly string[]): string | undefined {
  return LABEL_COLUMNS.find((c) => columnNames.includes(c));
}

/**
 * The kind of a label column's values: all integers → 'class', other finite numbers → 'float', arrays of
 * finite numbers → 'list' (then every row must be one). Anything else is an error naming the 1-based row
 * and the column (`column`, default "label").
 */
export function labelKind(values: ArrayLike<unknown>, column = 'label'): LabelKind {
  const rows = Array.from(values);
  const bad = (row: number, what: string) =>
    new Error(`label column "${column}" row ${row + 1} is ${describe(rows[row])}, ${what}`);
  if (rows.some((v) => Array.isArray(v))) {
    rows.forEach((v, i) => {
      if (!Array.isArray(v)) throw bad(i, 'not a list of numbers (other rows hold lists)');
      if (!v.every(isFiniteNumber)) throw bad(i, 'not a list of numbers');
    });
    return 'list';
  }
  const i = rows.findIndex((v) => !isFiniteNumber(v));
  if (i >= 0) throw bad(i, 'not a number');
  return rows.every((v) => Number.isInteger(v)) ? 'class' : 'float';
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function describe(v: unknown): string {
  // JSON.stringify turns NaN/Infinity into "null" and undefined into nothing; say what they are.
  if (typeof v === 'number' || v === undefined) return String(v);
  return JSON.stringify(v);
}
