import { extname } from 'node:path';
import type { CellValue, Dataset } from './dataset.js';
import { type DelimitedReadOptions, parseNumber, readCsv, readTsv, writeCsv, writeTsv } from './delimited.js';
import { DataError, type OnBadRow } from './errors.js';
import { parseRows } from './internal/parse_rows.js';
import { readJson, readJsonl, writeJsonl } from './jsonl.js';
import { readParquet, writeParquet } from './parquet.js';

/** File formats readDataFile and writeDataFile know, by extension. */
export type DataFileFormat = 'csv' | 'tsv' | 'jsonl' | 'json' | 'parquet';

/** The format a path's extension names (`.jsonl`/`.ndjson`, `.json`, `.csv`, `.tsv`, `.parquet`). */
export function formatFromPath(path: string): DataFileFormat {
  const ext = extname(path).toLowerCase();
  switch (ext) {
    case '.csv':
      return 'csv';
    case '.tsv':
      return 'tsv';
    case '.jsonl':
    case '.ndjson':
      return 'jsonl';
    case '.json':
      return 'json';
    case '.parquet':
      return 'parquet';
    default:
      throw new DataError(
        `cannot tell the format from the extension "${ext}" (use .csv, .tsv, .jsonl, .json or .parquet)`,
        {
          file: path,
        },
      );
  }
}

/** Options of readDataFile. */
export interface ReadDataFileOptions {
  /** Override the format the extension implies. */
  format?: DataFileFormat;
  onBadRow?: OnBadRow;
  /** CSV/TSV only: see DelimitedReadOptions. */
  delimited?: Omit<DelimitedReadOptions, 'onBadRow'>;
  /**
   * Columns that hold numbers (label or score columns), wherever the file has them: CSV/TSV text and JSON
   * strings are parsed (`0.5`, or a JSON list `[0.1, 0.9]` as writeCsv writes lists); anything else is a bad
   * row naming file, line and column. Columns the file lacks are ignored. E.g. LABEL_COLUMNS for training.
   */
  numberColumns?: readonly string[];
}

/** Reads a data file, choosing the reader from the extension. */
export async function readDataFile(path: string, options: ReadDataFileOptions = {}): Promise<Dataset> {
  const dataset = await readUntyped(path, options);
  const numeric = (options.numberColumns ?? []).filter((c) => dataset.hasColumn(c));
  return numeric.length > 0 ? typeNumberColumns(dataset, path, numeric, options.onBadRow) : dataset;
}

function readUntyped(path: string, options: ReadDataFileOptions): Promise<Dataset> {
  const format = options.format ?? formatFromPath(path);
  const onBadRow = options.onBadRow;
  switch (format) {
    case 'csv':
      return readCsv(path, { ...options.delimited, onBadRow });
    case 'tsv':
      return readTsv(path, { ...options.delimited, onBadRow });
    case 'jsonl':
      return readJsonl(path, { onBadRow });
    case 'json':
      return readJson(path, { onBadRow });
    case 'parquet':
      return readParquet(path);
  }
}

function typeNumberColumns(
  dataset: Dataset,
  path: string,
  numeric: readonly string[],
  onBadRow: OnBadRow | undefined,
): Dataset {
  const labelNames = new Map(numeric.map((c) => [c, dataset.labelNames(c)]));
  let typed = parseRows(dataset, dataset.columnNames, onBadRow, (i, location) => {
    const row = dataset.row(i);
    const where = location.line === undefined ? `row ${i + 1}: ` : '';
    for (const column of numeric) {
      row[column] = toNumberCell(row[column] ?? null, where, {
        file: location.line === undefined ? path : location.file,
        line: location.line,
        field: column,
      });
    }
    return row;
  });
  for (const [column, names] of labelNames) if (names) typed = typed.withLabelNames(column, names);
  return typed;
}

function toNumberCell(
  value: CellValue,
  where: string,
  location: { file?: string; line?: number; field: string },
): CellValue {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
    throw new DataError(`${where}${value} is not a finite number`, location);
  }
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[')) {
      let list: unknown;
      try {
        list = JSON.parse(text);
      } catch {
        list = undefined;
      }
      if (Array.isArray(list) && list.every((x) => typeof x === 'number' && Number.isFinite(x))) return list;
      throw new DataError(`${where}${JSON.stringify(value)} is not a list of numbers`, location);
    }
    if (where === '') return parseNumber(value, location);
    try {
      return parseNumber(value, location);
    } catch (e) {
      throw new DataError(`${where}${(e as DataError).reason}`, location);
    }
  }
  throw new DataError(`${where}${JSON.stringify(value)} is not a number`, location);
}

/** Writes a data set, choosing the writer from the extension (`.json` is written as JSON Lines). */
export function writeDataFile(
  dataset: Dataset,
  path: string,
  options: { format?: DataFileFormat } = {},
): Promise<void> {
  const format = options.format ?? formatFromPath(path);
  switch (format) {
    case 'csv':
      return writeCsv(dataset, path);
    case 'tsv':
      return writeTsv(dataset, path);
    case 'jsonl':
    case 'json':
      return writeJsonl(dataset, path);
    case 'parquet':
      return writeParquet(dataset, path);
  }
}
