/** Where a bad row came from: enough to find it in an editor. */
export interface DataLocation {
  /** Path of the file (or a label such as `<memory>`). */
  file?: string;
  /** 1-based line number of the row (the line where the record starts or ends for multi-line CSV records). */
  line?: number;
  /** Column or field name the problem is in. */
  field?: string;
}

/**
 * Malformed input. The message starts with `file:line:` (when known) so that the user can jump to it;
 * the same facts are available as fields.
 */
export class DataError extends Error {
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly field: string | undefined;
  /** The problem without the location prefix. */
  readonly reason: string;

  constructor(reason: string, location: DataLocation = {}) {
    super(formatLocation(location) + reason);
    this.name = 'DataError';
    this.reason = reason;
    this.file = location.file;
    this.line = location.line;
    this.field = location.field;
  }
}

function formatLocation({ file, line, field }: DataLocation): string {
  let prefix = '';
  if (file !== undefined) prefix += file;
  if (line !== undefined) prefix += `${prefix ? ':' : 'line '}${line}`;
  if (field !== undefined) prefix += `${prefix ? ' ' : ''}(${field})`;
  return prefix ? `${prefix}: ` : '';
}

/** What to do with a malformed row: stop with a DataError (default) or skip it and count it. */
export type OnBadRow = 'throw' | 'skip';

/** One skipped row, as kept in a SkipReport. */
export interface SkippedRow {
  file: string | undefined;
  line: number | undefined;
  reason: string;
}

/** How many rows a reader or recipe skipped, with the first few of them. */
export interface SkipReport {
  count: number;
  /** The first `SKIP_EXAMPLES` skipped rows (file, line, reason). */
  examples: SkippedRow[];
}

/** How many skipped rows a SkipReport keeps by name. */
export const SKIP_EXAMPLES = 10;

export function emptySkipReport(): SkipReport {
  return { count: 0, examples: [] };
}

/** Adds up several skip reports (e.g. the reader's and a recipe's). */
export function mergeSkipReports(...reports: SkipReport[]): SkipReport {
  const merged = emptySkipReport();
  for (const report of reports) {
    merged.count += report.count;
    for (const example of report.examples) {
      if (merged.examples.length < SKIP_EXAMPLES) merged.examples.push(example);
    }
  }
  return merged;
}

/** A one-line summary: `3 rows skipped (first at a.csv:4 (reason), a.csv:9 (reason), ...)`. */
export function describeSkipReport(report: SkipReport): string {
  if (report.count === 0) return '0 rows skipped';
  const where = report.examples
    .map((e) => `${e.file ?? ''}${e.line !== undefined ? `:${e.line}` : ''} (${e.reason})`)
    .join(', ');
  return `${report.count} row${report.count === 1 ? '' : 's'} skipped (first: ${where}${report.count > report.examples.length ? ', ...' : ''})`;
}
