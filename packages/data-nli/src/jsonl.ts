import { readFile } from 'node:fs/promises';
import { InvalidUtf8Error, decodeUtf8, withAtomicOutput } from '@contrastive/core';
import { type CellValue, Dataset, type Row } from './dataset.js';
import { type LocatedRow, type RowStream, collect } from './delimited.js';
import { DataError, type OnBadRow, type SkipReport } from './errors.js';
import { BadRowPolicy } from './internal/bad_rows.js';
import { INVALID_UTF8, fileError, streamLines } from './lines.js';

/** A parsed JSON object with the line it came from. */
export interface LocatedObject {
  value: Record<string, unknown>;
  line: number;
}

/** An async stream of JSON objects whose `skipped` report fills up as it is read. */
export interface ObjectStream extends AsyncIterable<LocatedObject> {
  readonly skipped: SkipReport;
}

/**
 * Streams a JSON Lines file object by object (blank lines ignored). A line that is not valid JSON or
 * not an object is a bad row (DataError with file and line, or counted with `onBadRow: 'skip'`).
 */
export function streamJsonObjects(path: string, options: { onBadRow?: OnBadRow } = {}): ObjectStream {
  const policy = new BadRowPolicy(options.onBadRow);
  async function* objects(): AsyncGenerator<LocatedObject> {
    const invalidUtf8 = policy.onBadRow === 'skip' ? 'mark' : 'throw';
    for await (const { text, line, invalidUtf8: bad } of streamLines(path, { invalidUtf8 })) {
      if (bad) {
        policy.bad(new DataError(INVALID_UTF8, { file: path, line }));
        continue;
      }
      if (text.trim() === '') continue;
      const value = policy.attempt(() => parseObjectLine(text, path, line));
      if (value) yield { value, line };
    }
  }
  const generator = objects();
  return {
    [Symbol.asyncIterator]: () => generator,
    get skipped() {
      return policy.report;
    },
  };
}

/**
 * Streams a JSON Lines file as flat rows: every object must have the same keys as the first one and
 * only string, number, boolean or null values.
 */
export function streamJsonl(path: string, options: { onBadRow?: OnBadRow } = {}): RowStream {
  const policy = new BadRowPolicy(options.onBadRow);
  const objects = streamJsonObjects(path, options);
  const state = { columns: [] as string[] };
  async function* rows(): AsyncGenerator<LocatedRow> {
    for await (const { value, line } of objects) {
      if (state.columns.length === 0) state.columns = Object.keys(value);
      const row = policy.attempt(() => objectToRow(value, state.columns, path, line));
      if (row) yield { row, line };
    }
  }
  const generator = rows();
  return {
    [Symbol.asyncIterator]: () => generator,
    get skipped() {
      return mergeReports(objects.skipped, policy.report);
    },
    get columns() {
      return state.columns;
    },
  };
}

/** Reads a JSON Lines file into a Dataset (see streamJsonl for what a valid row is). */
export async function readJsonl(path: string, options: { onBadRow?: OnBadRow } = {}): Promise<Dataset> {
  return collect(streamJsonl(path, options), path);
}

/**
 * Reads a `.json` file: a JSON array of row objects, `{ "data": [...] }`, or (if it is not one JSON
 * document) JSON Lines.
 */
export async function readJson(path: string, options: { onBadRow?: OnBadRow } = {}): Promise<Dataset> {
  let text: string;
  try {
    text = decodeUtf8(await readFile(path), path);
  } catch (e) {
    if (e instanceof InvalidUtf8Error) throw new DataError(INVALID_UTF8, { file: path, line: e.line });
    throw fileError(path, e);
  }
  let document: unknown;
  try {
    // decodeUtf8 has dropped a byte order mark.
    document = JSON.parse(text);
  } catch {
    return readJsonl(path, options);
  }
  const items =
    document &&
    typeof document === 'object' &&
    !Array.isArray(document) &&
    Array.isArray((document as { data?: unknown }).data)
      ? (document as { data: unknown[] }).data
      : document;
  if (!Array.isArray(items)) {
    // A single object per file is a one-line JSON Lines file.
    if (document && typeof document === 'object') return readJsonl(path, options);
    throw new DataError('expected a JSON array of objects', { file: path, line: 1 });
  }
  const policy = new BadRowPolicy(options.onBadRow);
  const rows: Row[] = [];
  let columns: string[] | undefined;
  items.forEach((item, i) => {
    const row = policy.attempt(() => {
      if (!item || typeof item !== 'object' || Array.isArray(item)) {
        throw new DataError(`item ${i} is not an object`, { file: path });
      }
      columns ??= Object.keys(item);
      return objectToRow(item as Record<string, unknown>, columns, path, undefined, i);
    });
    if (row) rows.push(row);
  });
  return Dataset.fromRows(rows, { columns: columns ?? [] }).withSkipReport(policy.report);
}

function parseObjectLine(text: string, path: string, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new DataError(`invalid JSON: ${(e as Error).message}`, { file: path, line });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new DataError(
      `expected a JSON object, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`,
      {
        file: path,
        line,
      },
    );
  }
  return value as Record<string, unknown>;
}

function objectToRow(
  value: Record<string, unknown>,
  columns: readonly string[],
  path: string,
  line: number | undefined,
  item?: number,
): Row {
  const where = item !== undefined ? `item ${item}: ` : '';
  const row: Row = {};
  for (const name of columns) {
    if (!(name in value))
      throw new DataError(`${where}missing field "${name}"`, { file: path, line, field: name });
    const cell = value[name];
    if (!isCell(cell)) {
      throw new DataError(
        `${where}field "${name}" is ${Array.isArray(cell) ? 'an array' : 'an object'}, expected a string, a number or a list of numbers`,
        {
          file: path,
          line,
          field: name,
        },
      );
    }
    row[name] = cell;
  }
  if (Object.keys(value).length !== columns.length) {
    const extra = Object.keys(value).find((k) => !columns.includes(k));
    throw new DataError(`${where}unexpected field "${extra}" (the first row has ${columns.join(', ')})`, {
      file: path,
      line,
      field: extra,
    });
  }
  return row;
}

function isCell(value: unknown): value is CellValue {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    (Array.isArray(value) && value.every((x) => typeof x === 'number' && Number.isFinite(x)))
  );
}

function mergeReports(a: SkipReport, b: SkipReport): SkipReport {
  const examples = [...a.examples, ...b.examples].sort((x, y) => (x.line ?? 0) - (y.line ?? 0)).slice(0, 10);
  return { count: a.count + b.count, examples };
}

/**
 * Writes rows as JSON Lines (one object per line, keys in column order), in chunks so that big data sets
 * do not build one giant string.
 */
export async function writeJsonl(data: Dataset | Iterable<object>, path: string): Promise<void> {
  // Atomic: a temp file renamed into place, so a full disk or a crash never leaves a truncated file.
  await withAtomicOutput(path, async (file) => {
    let chunk: string[] = [];
    for (const item of data instanceof Dataset ? data.rows() : data) {
      chunk.push(JSON.stringify(item));
      if (chunk.length >= 5000) {
        await file.write(chunk.join('\n') + '\n');
        chunk = [];
      }
    }
    if (chunk.length > 0) await file.write(chunk.join('\n') + '\n');
  });
}
