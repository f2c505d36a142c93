import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { withAtomicOutput } from '@contrastive/core';
import { CsvError, parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';
import { type CellValue, Dataset, type Row } from './dataset.js';
import { DataError, type OnBadRow, type SkipReport } from './errors.js';
import { BadRowPolicy } from './internal/bad_rows.js';
import { INVALID_UTF8, fileError, streamLines } from './lines.js';

/** Options of the CSV/TSV readers. */
export interface DelimitedReadOptions {
  /** Field separator (`,` for readCsv, a tab for readTsv). */
  delimiter?: string;
  /**
   * RFC 4180 double-quote quoting (default true). `false` splits every line on the delimiter and keeps
   * quotes as literal text: the format of the STS benchmark and the GLUE TSV files.
   */
  quoting?: boolean;
  /** `true` (default): the first line names the columns; an array: these names, and no header line. */
  header?: boolean | readonly string[];
  /** Rows with more fields than columns: `error` (default) or `ignore` the extra trailing fields. */
  extraFields?: 'error' | 'ignore';
  /** Columns to parse as numbers (a non-numeric value is a bad row). All other values stay strings. */
  numberColumns?: readonly string[];
  /** `throw` (default) stops at the first malformed row; `skip` counts it in `dataset.skipped`. */
  onBadRow?: OnBadRow;
}

/** A row with the 1-based line number it starts on. */
export interface LocatedRow {
  row: Row;
  line: number;
}

/** An async stream of rows whose `skipped` report fills up as the stream is read. */
export interface RowStream extends AsyncIterable<LocatedRow> {
  readonly skipped: SkipReport;
  /** Column names (known once the first row has been read). */
  readonly columns: readonly string[];
}

/** Reads a whole CSV file (RFC 4180 quoting, LF or CRLF, optional BOM) into a Dataset of string columns. */
export function readCsv(path: string, options: DelimitedReadOptions = {}): Promise<Dataset> {
  return collect(streamDelimited(path, { delimiter: ',', ...options }), path);
}

/** Reads a tab-separated file; `quoting: false` for the no-quote variant of STS and GLUE files. */
export function readTsv(path: string, options: DelimitedReadOptions = {}): Promise<Dataset> {
  return collect(streamDelimited(path, { delimiter: '\t', ...options }), path);
}

/** Streams a CSV/TSV file row by row without loading it whole. */
export function streamDelimited(path: string, options: DelimitedReadOptions = {}): RowStream {
  const policy = new BadRowPolicy(options.onBadRow);
  const state = { columns: [] as string[] };
  const source =
    options.quoting === false ? unquotedRecords(path, options, policy) : quotedRecords(path, options, policy);
  const rows = toRows(path, source, options, policy, state);
  return {
    [Symbol.asyncIterator]: () => rows[Symbol.asyncIterator](),
    get skipped() {
      return policy.report;
    },
    get columns() {
      return state.columns;
    },
  };
}

/** Collects a RowStream into a Dataset that carries its skip report. */
export async function collect(stream: RowStream, path: string): Promise<Dataset> {
  const rows: Row[] = [];
  const lines: number[] = [];
  for await (const { row, line } of stream) {
    rows.push(row);
    lines.push(line);
  }
  return Dataset.fromRows(rows, { columns: stream.columns })
    .withOrigins(path, lines)
    .withSkipReport(stream.skipped);
}

interface RawRecord {
  fields: string[];
  line: number;
  /** With onBadRow 'skip': a line of the record that is not UTF-8. */
  invalidUtf8Line?: number;
}

async function* toRows(
  path: string,
  records: AsyncIterable<RawRecord>,
  options: DelimitedReadOptions,
  policy: BadRowPolicy,
  state: { columns: string[] },
): AsyncGenerator<LocatedRow> {
  const header = options.header ?? true;
  let columns: string[] | undefined = Array.isArray(header) ? [...header] : undefined;
  if (columns) state.columns = columns;
  const numberColumns = new Set(options.numberColumns ?? []);
  for await (const { fields, line, invalidUtf8Line } of records) {
    if (invalidUtf8Line !== undefined) {
      const error = new DataError(INVALID_UTF8, { file: path, line: invalidUtf8Line });
      // A header that cannot be read cannot be skipped.
      if (!columns) throw error;
      policy.bad(error);
      continue;
    }
    if (!columns) {
      columns = fields.map((f) => f.trim());
      checkHeader(path, line, columns, numberColumns);
      state.columns = columns;
      continue;
    }
    const row = policy.attempt(() => fieldsToRow(path, line, fields, columns!, options, numberColumns));
    if (row) yield { row, line };
  }
  if (!columns) throw new DataError('empty file: no header line', { file: path, line: 1 });
}

function checkHeader(path: string, line: number, columns: string[], numberColumns: Set<string>): void {
  const seen = new Set<string>();
  for (const [i, name] of columns.entries()) {
    if (name === '') throw new DataError(`header field ${i + 1} is empty`, { file: path, line });
    if (seen.has(name))
      throw new DataError(`header names column "${name}" twice`, { file: path, line, field: name });
    seen.add(name);
  }
  for (const name of numberColumns) {
    if (!seen.has(name))
      throw new DataError(`no column "${name}" in the header`, { file: path, line, field: name });
  }
}

function fieldsToRow(
  path: string,
  line: number,
  fields: string[],
  columns: string[],
  options: DelimitedReadOptions,
  numberColumns: Set<string>,
): Row {
  if (fields.length < columns.length) {
    throw new DataError(
      `expected ${columns.length} fields, got ${fields.length} (missing column "${columns[fields.length]}")`,
      { file: path, line, field: columns[fields.length] },
    );
  }
  if (fields.length > columns.length && options.extraFields !== 'ignore') {
    throw new DataError(`expected ${columns.length} fields, got ${fields.length}`, { file: path, line });
  }
  const row: Row = {};
  for (const [i, name] of columns.entries()) {
    const text = fields[i]!;
    row[name] = numberColumns.has(name) ? parseNumber(text, { file: path, line, field: name }) : text;
  }
  return row;
}

/** Parses a decimal number; empty or non-numeric text is a DataError at `location`. */
export function parseNumber(
  text: string,
  location: { file?: string; line?: number; field?: string },
): number {
  const trimmed = text.trim();
  const value = trimmed === '' ? Number.NaN : Number(trimmed);
  if (!Number.isFinite(value)) {
    throw new DataError(
      trimmed === '' ? 'empty value, expected a number' : `"${text}" is not a number`,
      location,
    );
  }
  return value;
}

async function* unquotedRecords(
  path: string,
  options: DelimitedReadOptions,
  policy: BadRowPolicy,
): AsyncGenerator<RawRecord> {
  const delimiter = options.delimiter ?? '\t';
  const invalidUtf8 = policy.onBadRow === 'skip' ? 'mark' : 'throw';
  for await (const { text, line, invalidUtf8: bad } of streamLines(path, { invalidUtf8 })) {
    if (bad) yield { fields: [], line, invalidUtf8Line: line };
    else if (text.trim() !== '') yield { fields: text.split(delimiter), line };
  }
}

async function* quotedRecords(
  path: string,
  options: DelimitedReadOptions,
  policy: BadRowPolicy,
): AsyncGenerator<RawRecord> {
  const newlines = new NewlineCounter(path, policy.onBadRow === 'skip');
  const parser = parse({
    delimiter: options.delimiter ?? ',',
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: policy.onBadRow === 'skip',
  });
  const errors: Error[] = [];
  parser.on('skip', (err: CsvError & { bytes?: number }) => {
    const line = err.bytes !== undefined ? newlines.lineAt(err.bytes) : undefined;
    policy.bad(new DataError(csvReason(err), { file: path, line }));
  });
  const input = createReadStream(path);
  input.on('error', (e) => {
    errors.push(fileError(path, e));
    parser.destroy();
  });
  newlines.on('error', (e) => {
    errors.push(e);
    parser.destroy();
  });
  input.pipe(newlines).pipe(parser);
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { bytes: number } }>) {
      const { record, info } = item;
      // csv-parse's own line count is off for quoted CRLF; count the newlines ourselves.
      const endLine = newlines.lineAt(Math.max(0, info.bytes - 1));
      const inner = record.reduce((n, f) => n + countNewlines(f), 0);
      const invalidUtf8Line = newlines.invalidLineIn(endLine - inner, endLine);
      yield { fields: record, line: endLine - inner, ...(invalidUtf8Line ? { invalidUtf8Line } : {}) };
    }
  } catch (e) {
    if (errors[0]) throw errors[0];
    const err = e as CsvError & { bytes?: number };
    // csv-parse's codes mostly start with CSV_, but not all (INVALID_OPENING_QUOTE): every CsvError names the file.
    if (e instanceof CsvError || err?.code?.startsWith('CSV_')) {
      const line = err.bytes !== undefined ? newlines.lineAt(err.bytes) : undefined;
      throw new DataError(csvReason(err), { file: path, line });
    }
    throw e;
  } finally {
    input.destroy();
  }
  if (errors[0]) throw errors[0];
}

function csvReason(err: CsvError): string {
  // Drop csv-parse's own "at line N" (it counts differently from us).
  return `malformed CSV: ${err.message.replace(/ at line \d+/, '')}`;
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Pass-through stream that remembers where the newlines are, to turn byte offsets into line numbers, and
 * checks that every line is UTF-8 (csv-parse would turn invalid bytes into U+FFFD silently): the first bad
 * line is an error, or with `collectInvalid` (onBadRow 'skip') its number is kept for the reader to skip.
 * Lines can be checked one by one because a newline byte never occurs inside a UTF-8 sequence.
 */
class NewlineCounter extends Transform {
  #offsets: number[] = [];
  #dropped = 0;
  #cursor = 0;
  #seen = 0;
  readonly #path: string;
  readonly #collectInvalid: boolean;
  readonly #invalidLines = new Set<number>();
  /** Lines completed so far, and the bytes of the line in progress. */
  #lines = 0;
  #partial: Buffer[] = [];

  constructor(path: string, collectInvalid: boolean) {
    super();
    this.#path = path;
    this.#collectInvalid = collectInvalid;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let start = 0;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) {
      this.#offsets.push(this.#seen + i);
      const piece = chunk.subarray(start, i);
      const line = this.#partial.length > 0 ? Buffer.concat([...this.#partial, piece]) : piece;
      this.#partial = [];
      start = i + 1;
      if (!this.#checkLine(line, callback)) return;
    }
    if (start < chunk.length) this.#partial.push(chunk.subarray(start));
    this.#seen += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#partial.length > 0 && !this.#checkLine(Buffer.concat(this.#partial), callback)) return;
    callback();
  }

  /** Checks the next line; false (after failing the stream) when it is invalid and not collected. */
  #checkLine(bytes: Buffer, callback: TransformCallback): boolean {
    this.#lines++;
    if (isUtf8(bytes)) return true;
    if (this.#collectInvalid) {
      this.#invalidLines.add(this.#lines);
      return true;
    }
    callback(new DataError(INVALID_UTF8, { file: this.#path, line: this.#lines }));
    return false;
  }

  /** The first line in [from, to] that is not UTF-8 (only collected with `collectInvalid`). */
  invalidLineIn(from: number, to: number): number | undefined {
    if (this.#invalidLines.size === 0) return undefined;
    for (let line = from; line <= to; line++) if (this.#invalidLines.has(line)) return line;
    return undefined;
  }

  /** 1-based line of byte `offset`; offsets must be asked for in non-decreasing order. */
  lineAt(offset: number): number {
    while (this.#cursor < this.#offsets.length && this.#offsets[this.#cursor]! < offset) this.#cursor++;
    const line = this.#dropped + this.#cursor + 1;
    if (this.#cursor > 4096) {
      this.#offsets.splice(0, this.#cursor);
      this.#dropped += this.#cursor;
      this.#cursor = 0;
    }
    return line;
  }
}

/** Options of writeCsv / writeTsv. */
export interface DelimitedWriteOptions {
  delimiter?: string;
  /**
   * `true` (default): RFC 4180, quoting fields that need it. `false`: no quoting at all (the STS/GLUE
   * variant); a field holding the delimiter or a line break is then an error.
   */
  quoting?: boolean;
  /** Write a header line (default true). */
  header?: boolean;
  /** Line ending (default `\n`). */
  lineEnding?: '\n' | '\r\n';
}

/** Writes a data set as CSV (RFC 4180 quoting by default). Null is written as an empty field. */
export async function writeCsv(
  dataset: Dataset,
  path: string,
  options: DelimitedWriteOptions = {},
): Promise<void> {
  const delimiter = options.delimiter ?? ',';
  const lineEnding = options.lineEnding ?? '\n';
  const columns = dataset.columnNames;
  await withAtomicOutput(path, async (file) => {
    const chunk: string[][] = [];
    const flush = async (withHeader: boolean) => {
      if (chunk.length === 0 && !withHeader) return;
      let text: string;
      if (options.quoting === false) {
        const lines = chunk.map((fields) => fields.join(delimiter) + lineEnding);
        text = (withHeader ? columns.join(delimiter) + lineEnding : '') + lines.join('');
      } else {
        text = stringify(withHeader ? [columns, ...chunk] : chunk, {
          delimiter,
          record_delimiter: lineEnding,
        });
      }
      await file.write(text);
      chunk.length = 0;
    };
    let headerPending = options.header !== false;
    if (options.quoting === false) checkUnquotable(columns, -1, columns, delimiter, path);
    for (let i = 0; i < dataset.numRows; i++) {
      const fields = columns.map((name) => cellToText(dataset.column(name)[i]!));
      if (options.quoting === false) checkUnquotable(fields, i, columns, delimiter, path);
      chunk.push(fields);
      if (chunk.length >= 5000) {
        await flush(headerPending);
        headerPending = false;
      }
    }
    await flush(headerPending);
  });
}

/** Writes a tab-separated file (see writeCsv; `quoting: false` for the STS/GLUE variant). */
export function writeTsv(dataset: Dataset, path: string, options: DelimitedWriteOptions = {}): Promise<void> {
  return writeCsv(dataset, path, { delimiter: '\t', ...options });
}

function cellToText(value: CellValue): string {
  if (value === null) return '';
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

function checkUnquotable(
  fields: string[],
  row: number,
  columns: string[],
  delimiter: string,
  path: string,
): void {
  for (const [i, field] of fields.entries()) {
    if (field.includes(delimiter) || field.includes('\n') || field.includes('\r')) {
      const what = row < 0 ? 'column name' : `row ${row}`;
      throw new DataError(
        `${what} holds a delimiter or line break, which cannot be written without quoting`,
        {
          file: path,
          field: columns[i],
        },
      );
    }
  }
}
