import { writeOutputFile } from '@contrastive/core';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { type ColumnSource, parquetWriteBuffer } from 'hyparquet-writer';
import { type CellValue, Dataset, type Row } from './dataset.js';
import { DataError } from './errors.js';
import { fileError } from './lines.js';

/** Options of the Parquet readers. */
export interface ParquetReadOptions {
  /** Read only these columns (all by default). */
  columns?: readonly string[];
}

/**
 * Reads a Parquet file (any codec: snappy, gzip, zstd, brotli, lz4) into a Dataset. 64-bit integers
 * become numbers (an error if one does not fit exactly); lists and structs are an error naming the column.
 */
export async function readParquet(path: string, options: ParquetReadOptions = {}): Promise<Dataset> {
  const rows: Row[] = [];
  let columns: string[] | undefined;
  for await (const batch of streamParquet(path, options)) {
    columns ??= batch.columnNames;
    rows.push(...batch.rows());
  }
  if (!columns) columns = options.columns ? [...options.columns] : await parquetColumnNames(path);
  return Dataset.fromRows(rows, { columns });
}

/** Reads a Parquet file one row group at a time (for files larger than memory). */
export async function* streamParquet(
  path: string,
  options: ParquetReadOptions = {},
): AsyncGenerator<Dataset> {
  const file = await openParquet(path);
  const metadata = await parquetMetadataAsync(file);
  const names = topLevelColumns(metadata.schema);
  const columns = options.columns ? [...options.columns] : names;
  for (const name of columns) {
    if (!names.includes(name)) {
      throw new DataError(`no column "${name}" (columns: ${names.join(', ')})`, { file: path, field: name });
    }
  }
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const objects = await parquetReadObjects({ file, metadata, columns, rowStart, rowEnd, compressors });
    const rows = objects.map((object, i) => toRow(object, columns, path, rowStart + i));
    yield Dataset.fromRows(rows, { columns });
    rowStart = rowEnd;
  }
}

async function parquetColumnNames(path: string): Promise<string[]> {
  const metadata = await parquetMetadataAsync(await openParquet(path));
  return topLevelColumns(metadata.schema);
}

async function openParquet(path: string) {
  try {
    return await asyncBufferFromFile(path);
  } catch (e) {
    throw fileError(path, e);
  }
}

function topLevelColumns(schema: readonly { name: string; num_children?: number }[]): string[] {
  // schema[0] is the root; walk its direct children, skipping the descendants of nested ones.
  const names: string[] = [];
  const root = schema[0];
  let i = 1;
  for (let child = 0; child < (root?.num_children ?? 0); child++) {
    const element = schema[i]!;
    names.push(element.name);
    i += 1 + countDescendants(schema, i);
  }
  return names;
}

function countDescendants(schema: readonly { num_children?: number }[], index: number): number {
  let total = 0;
  let next = index + 1;
  for (let c = 0; c < (schema[index]?.num_children ?? 0); c++) {
    const sub = countDescendants(schema, next);
    total += 1 + sub;
    next += 1 + sub;
  }
  return total;
}

function toRow(
  object: Record<string, unknown>,
  columns: readonly string[],
  path: string,
  rowIndex: number,
): Row {
  const row: Row = {};
  for (const name of columns) row[name] = toCell(object[name], path, rowIndex, name);
  return row;
}

function toCell(value: unknown, path: string, rowIndex: number, field: string): CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') {
    const n = Number(value);
    if (!Number.isSafeInteger(n)) {
      throw new DataError(`row ${rowIndex}: integer ${value} does not fit in a JavaScript number`, {
        file: path,
        field,
      });
    }
    return n;
  }
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value) && value.every((x) => typeof x === 'number' || typeof x === 'bigint'))
    return value.map(Number);
  throw new DataError(`row ${rowIndex}: nested values (structs, lists of non-numbers) are not supported`, {
    file: path,
    field,
  });
}

/** Options of writeParquet. */
export interface ParquetWriteOptions {
  /** Rows per row group (default 100 000). */
  rowGroupSize?: number;
}

/**
 * Writes a data set as a snappy-compressed Parquet file. Column types are inferred: strings → UTF-8
 * STRING, integers → INT64 (read back as numbers), other numbers → DOUBLE, booleans → BOOLEAN; nulls
 * are allowed anywhere; a column mixing types is an error naming it.
 */
export async function writeParquet(
  dataset: Dataset,
  path: string,
  options: ParquetWriteOptions = {},
): Promise<void> {
  const columnData: ColumnSource[] = dataset.columnNames.map((name) => {
    const values = dataset.column(name);
    const type = inferParquetType(values, name, path);
    const data =
      type === 'INT64' ? values.map((v) => (v === null ? null : BigInt(v as number))) : values.slice();
    return { name, data, type, nullable: true };
  });
  const bytes = parquetWriteBuffer({ columnData, rowGroupSize: options.rowGroupSize ?? 100_000 });
  await writeOutputFile(path, new Uint8Array(bytes));
}

function inferParquetType(
  values: readonly CellValue[],
  name: string,
  path: string,
): 'STRING' | 'INT64' | 'DOUBLE' | 'BOOLEAN' | 'JSON' {
  const kinds = new Set<string>();
  let allIntegers = true;
  for (const v of values) {
    if (v === null) continue;
    kinds.add(Array.isArray(v) ? 'list' : typeof v);
    if (typeof v === 'number' && !Number.isSafeInteger(v)) allIntegers = false;
  }
  if (kinds.size > 1) {
    throw new DataError(
      `column mixes ${[...kinds].join(' and ')} values; Parquet needs one type per column`,
      {
        file: path,
        field: name,
      },
    );
  }
  const kind = [...kinds][0] ?? 'string';
  if (kind === 'number') return allIntegers ? 'INT64' : 'DOUBLE';
  if (kind === 'boolean') return 'BOOLEAN';
  // Lists of numbers (teacher scores) are stored as JSON text and parsed back on read.
  if (kind === 'list') return 'JSON';
  return 'STRING';
}
