import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { decodeUtf8 } from '@contrastive/core';
import { parse } from 'csv-parse/sync';

/** One record of a data file, with the 1-based line it came from for error messages. */
export interface TableRow {
  line: number;
  values: Record<string, unknown>;
}

export interface Table {
  path: string;
  columns: string[];
  rows: TableRow[];
}

/** Reads a file as UTF-8 text (gunzipping `*.gz`); invalid UTF-8 is an error naming file and line. */
export function readText(path: string): string {
  if (!existsSync(path)) throw new Error(`file not found: ${path}`);
  const bytes = readFileSync(path);
  // decodeUtf8 drops a byte order mark.
  return decodeUtf8(path.endsWith('.gz') ? gunzipSync(bytes) : bytes, path);
}

/**
 * Reads CSV (RFC 4180, header row), TSV (tab-separated, header row, no quoting) or JSONL (one object a
 * line), optionally gzipped; the format comes from the extension.
 */
export function readTable(path: string): Table {
  const name = path.replace(/\.gz$/, '').toLowerCase();
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return readJsonl(path);
  if (name.endsWith('.csv')) return readDelimited(path, ',');
  if (name.endsWith('.tsv') || name.endsWith('.txt')) return readDelimited(path, '\t');
  throw new Error(`${path}: unsupported file type (expected .csv, .tsv, .jsonl, optionally .gz)`);
}

export function readJsonl(path: string): Table {
  const rows: TableRow[] = [];
  const columns = new Set<string>();
  readText(path)
    .split(/\r?\n/)
    .forEach((text, i) => {
      if (text.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw new Error(`${path}:${i + 1}: invalid JSON (${(e as Error).message})`);
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new Error(`${path}:${i + 1}: expected a JSON object per line`);
      }
      for (const k of Object.keys(value)) columns.add(k);
      rows.push({ line: i + 1, values: value as Record<string, unknown> });
    });
  return { path, columns: [...columns], rows };
}

function readDelimited(path: string, delimiter: string): Table {
  let records: string[][];
  try {
    records = parse(readText(path), {
      delimiter,
      quote: delimiter === '\t' ? false : '"',
      relax_column_count: true,
      skip_empty_lines: true,
    }) as string[][];
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  const header = records[0];
  if (!header) throw new Error(`${path}: empty file`);
  const columns = header.map((c) => c.trim());
  const rows = records.slice(1).map((record, i) => {
    const values: Record<string, unknown> = {};
    columns.forEach((c, j) => {
      values[c] = record[j];
    });
    // Line numbers count the header; a quoted field spanning lines makes them approximate.
    return { line: i + 2, values };
  });
  return { path, columns, rows };
}

/** A required string field of a row; the error names file, line and column. */
export function stringField(table: Table, row: TableRow, column: string): string {
  const v = row.values[column];
  if (v === undefined || v === null) throw new Error(`${table.path}:${row.line}: missing "${column}"`);
  if (typeof v !== 'string' && typeof v !== 'number') {
    throw new Error(`${table.path}:${row.line}: "${column}" must be text, got ${JSON.stringify(v)}`);
  }
  return String(v);
}

/** A required numeric field of a row; the error names file, line and column. */
export function numberField(table: Table, row: TableRow, column: string): number {
  const v = row.values[column];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) {
    throw new Error(`${table.path}:${row.line}: "${column}" must be a number, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** The first of `candidates` that the table has, or an error listing what it has. */
export function pickColumn(table: Table, candidates: readonly string[], what: string): string {
  const found = candidates.find((c) => table.columns.includes(c));
  if (!found) {
    throw new Error(
      `${table.path}: no ${what} column (looked for ${candidates.map((c) => `"${c}"`).join(', ')}; the file has ${table.columns.map((c) => `"${c}"`).join(', ')})`,
    );
  }
  return found;
}
