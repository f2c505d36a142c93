import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Dataset, type Row } from '../dataset.js';
import { streamDelimited } from '../delimited.js';
import { DataError, type OnBadRow, mergeSkipReports } from '../errors.js';
import { BadRowPolicy } from '../internal/bad_rows.js';
import { requireColumns, requireText } from './nli.js';

/** Options of loadClassificationCsv. */
export interface ClassificationLoadOptions {
  /** Column holding the text (default `text`). */
  textColumn?: string;
  /** Column holding the label name (default `label`). */
  labelColumn?: string;
  /**
   * The label set, in id order. A label outside it is a bad row. Without it, the sorted distinct labels
   * of the file are used.
   */
  labels?: readonly string[];
  onBadRow?: OnBadRow;
}

/**
 * A CSV of (text, label name) → the classification layout (text, label id) with the label names
 * recorded on the `label` column (`dataset.labelNames('label')`).
 */
export async function loadClassificationCsv(
  path: string,
  options: ClassificationLoadOptions = {},
): Promise<Dataset> {
  const textColumn = options.textColumn ?? 'text';
  const labelColumn = options.labelColumn ?? 'label';
  const policy = new BadRowPolicy(options.onBadRow);
  const stream = streamDelimited(path, { delimiter: ',', onBadRow: options.onBadRow });
  const texts: string[] = [];
  const names: string[] = [];
  const lines: number[] = [];
  const known = options.labels ? new Map(options.labels.map((l, i) => [l, i])) : undefined;
  let checked = false;
  for await (const { row, line } of stream) {
    if (!checked) {
      requireColumns(stream.columns, [textColumn, labelColumn], path);
      checked = true;
    }
    const parsed = policy.attempt(() => {
      const location = { file: path, line };
      const text = requireText(row[textColumn], { ...location, field: textColumn });
      const label = String(row[labelColumn]).trim();
      if (label === '') throw new DataError('empty label', { ...location, field: labelColumn });
      if (known && !known.has(label)) {
        throw new DataError(`label "${label}" is not in the label set (${known.size} labels)`, {
          ...location,
          field: labelColumn,
        });
      }
      return { text, label };
    });
    if (parsed) {
      texts.push(parsed.text);
      names.push(parsed.label);
      lines.push(line);
    }
  }
  if (!checked) requireColumns(stream.columns, [textColumn, labelColumn], path);
  const labelNames = options.labels ? [...options.labels] : [...new Set(names)].sort();
  const ids = new Map(labelNames.map((l, i) => [l, i]));
  const rows: Row[] = texts.map((text, i) => ({ text, label: ids.get(names[i]!)! }));
  return Dataset.fromRows(rows, { columns: ['text', 'label'] })
    .withLabelNames('label', labelNames)
    .withOrigins(path, lines)
    .withSkipReport(mergeSkipReports(stream.skipped, policy.report));
}

/**
 * Banking77 (`train.csv` / `test.csv` with header `text,category`, and `categories.json` with the 77
 * labels) → (text, label id); label ids follow `categories.json`'s order.
 */
export async function loadBanking77(
  dir: string,
  options: { split?: string; onBadRow?: OnBadRow } = {},
): Promise<Dataset> {
  const split = options.split ?? 'train';
  const categoriesPath = join(dir, 'categories.json');
  let labels: string[] | undefined;
  if (existsSync(categoriesPath)) {
    const parsed: unknown = JSON.parse(await readFile(categoriesPath, 'utf8'));
    if (!Array.isArray(parsed) || !parsed.every((l) => typeof l === 'string')) {
      throw new DataError('expected a JSON array of label names', { file: categoriesPath });
    }
    labels = parsed;
  }
  return loadClassificationCsv(join(dir, `${split}.csv`), {
    textColumn: 'text',
    labelColumn: 'category',
    labels,
    onBadRow: options.onBadRow,
  });
}
