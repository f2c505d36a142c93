import { writeOutputFile } from '@contrastive/core';
import { Dataset, type Row } from './dataset.js';
import { DataError } from './errors.js';
import { streamLines } from './lines.js';

/** Options of readLineAligned. */
export interface LineAlignedOptions {
  /** Trim whitespace at both ends of every line (default true: the tokenized SNLI files end lines with a space). */
  trim?: boolean;
}

/**
 * Reads plain files that hold one item per line and belong together line by line (e.g. SNLI's `s1.dev`,
 * `s2.dev`, `labels.dev`) into one Dataset: `{ column: path }`. Files of different lengths are an error
 * naming both files.
 */
export async function readLineAligned(
  files: Record<string, string>,
  options: LineAlignedOptions = {},
): Promise<Dataset> {
  const trim = options.trim ?? true;
  const entries = Object.entries(files);
  if (entries.length === 0) throw new DataError('readLineAligned needs at least one file');
  const columns: Record<string, string[]> = {};
  for (const [name, path] of entries) {
    const values: string[] = [];
    for await (const { text } of streamLines(path)) values.push(trim ? text.trim() : text);
    columns[name] = values;
  }
  const [firstName, firstPath] = entries[0]!;
  const expected = columns[firstName]!.length;
  for (const [name, path] of entries) {
    const length = columns[name]!.length;
    if (length !== expected) {
      throw new DataError(
        `has ${length} lines but ${firstPath} has ${expected}; line-aligned files must match`,
        {
          file: path,
          line: Math.min(length, expected) + 1,
        },
      );
    }
  }
  return Dataset.fromColumns(columns);
}

/** Streams line-aligned files together without loading them: one row per line number. */
export async function* streamLineAligned(
  files: Record<string, string>,
  options: LineAlignedOptions = {},
): AsyncGenerator<{ row: Row; line: number }> {
  const trim = options.trim ?? true;
  const entries = Object.entries(files);
  const iterators = entries.map(([, path]) => streamLines(path)[Symbol.asyncIterator]());
  try {
    for (let line = 1; ; line++) {
      const results = await Promise.all(iterators.map((it) => it.next()));
      const done = results.map((r) => r.done === true);
      if (done.every(Boolean)) return;
      const shortIndex = done.indexOf(true);
      if (shortIndex >= 0) {
        const [, shortPath] = entries[shortIndex]!;
        const [, longPath] = entries[done.indexOf(false)]!;
        throw new DataError(
          `ends at line ${line - 1} but ${longPath} goes on; line-aligned files must match`,
          {
            file: shortPath,
            line,
          },
        );
      }
      const row: Row = {};
      results.forEach((r, i) => {
        const text = (r.value as { text: string }).text;
        row[entries[i]![0]] = trim ? text.trim() : text;
      });
      yield { row, line };
    }
  } finally {
    await Promise.all(iterators.map((it) => it.return?.(undefined)));
  }
}

/** Writes each column of a data set to its own file, one value per line: `{ column: path }`. */
export async function writeLineAligned(dataset: Dataset, files: Record<string, string>): Promise<void> {
  for (const [name, path] of Object.entries(files)) {
    const values = dataset.column(name).map((v, i) => {
      const text = v === null ? '' : String(v);
      if (text.includes('\n') || text.includes('\r')) {
        throw new DataError(`row ${i} holds a line break, which a line-aligned file cannot hold`, {
          file: path,
          field: name,
        });
      }
      return text;
    });
    await writeOutputFile(path, values.length > 0 ? values.join('\n') + '\n' : '');
  }
}
