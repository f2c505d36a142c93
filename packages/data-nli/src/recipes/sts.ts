import { statSync } from 'node:fs';
import { join } from 'node:path';
import { Dataset, type Row } from '../dataset.js';
import { parseNumber, streamDelimited } from '../delimited.js';
import { DataError, type OnBadRow, mergeSkipReports } from '../errors.js';
import { BadRowPolicy } from '../internal/bad_rows.js';
import { streamLines } from '../lines.js';
import { requireColumns, requireText } from './nli.js';

/** The columns of the original STS benchmark files, in order (extra trailing source fields are dropped). */
export const STS_ORIGINAL_COLUMNS = [
  'genre',
  'file',
  'year',
  'id',
  'score',
  'sentence1',
  'sentence2',
] as const;

/**
 * Reads an original STS benchmark file (`sts-train.csv`...): tab-separated, no header, no quoting
 * (quotes are literal text), 7 fields and on some lines 1–2 extra source fields, which are dropped.
 * `score` is the raw 0–5 similarity.
 */
export async function readStsOriginal(path: string, options: { onBadRow?: OnBadRow } = {}): Promise<Dataset> {
  const policy = new BadRowPolicy(options.onBadRow);
  const rows: Row[] = [];
  const lines: number[] = [];
  for await (const { text, line } of streamLines(path)) {
    if (text.trim() === '') continue;
    const row = policy.attempt(() => {
      const fields = text.split('\t');
      if (fields.length < STS_ORIGINAL_COLUMNS.length) {
        const missing = STS_ORIGINAL_COLUMNS[fields.length]!;
        throw new DataError(
          `expected at least 7 tab-separated fields, got ${fields.length} (no ${missing})`,
          {
            file: path,
            line,
            field: missing,
          },
        );
      }
      const location = { file: path, line };
      const score = parseScore(fields[4]!, 5, { ...location, field: 'score' });
      return {
        genre: fields[0]!,
        file: fields[1]!,
        year: fields[2]!,
        id: fields[3]!,
        score,
        sentence1: requireText(fields[5], { ...location, field: 'sentence1' }),
        sentence2: requireText(fields[6], { ...location, field: 'sentence2' }),
      };
    });
    if (row) {
      rows.push(row);
      lines.push(line);
    }
  }
  return Dataset.fromRows(rows, { columns: [...STS_ORIGINAL_COLUMNS] })
    .withOrigins(path, lines)
    .withSkipReport(policy.report);
}

/** A score in [0, max]; anything else (non-numeric, out of range) is a DataError at `location`. */
export function parseScore(
  text: string,
  max: number,
  location: { file?: string; line?: number; field?: string },
): number {
  const score = parseNumber(text, location);
  if (score < 0 || score > max) throw new DataError(`score ${score} is outside [0, ${max}]`, location);
  return score;
}

/**
 * STS benchmark (original release) → (sentence1, sentence2, score) with scores divided by 5 into [0, 1],
 * as sentence-transformers' training_stsbenchmark does. `path` is a file, or the folder holding
 * `sts-<split>.csv` (`split`: train, dev/validation, test; default dev).
 */
export async function loadStsb(
  path: string,
  options: { split?: string; onBadRow?: OnBadRow } = {},
): Promise<Dataset> {
  let file = path;
  if (isDirectory(path)) {
    const split = options.split === 'validation' ? 'dev' : (options.split ?? 'dev');
    file = join(path, `sts-${split}.csv`);
  }
  const raw = await readStsOriginal(file, options);
  return toScoredPairs(raw, raw.numberColumn('score'));
}

/**
 * GLUE STS-B TSV (header with `sentence1`, `sentence2`, `score`; tab-separated, no quoting) →
 * (sentence1, sentence2, score / 5). The GLUE test file has no scores and is an error here.
 */
export async function loadGlueStsb(path: string, options: { onBadRow?: OnBadRow } = {}): Promise<Dataset> {
  const policy = new BadRowPolicy(options.onBadRow);
  const stream = streamDelimited(path, { delimiter: '\t', quoting: false, onBadRow: options.onBadRow });
  const rows: Row[] = [];
  const lines: number[] = [];
  for await (const { row, line } of stream) {
    if (rows.length === 0 && lines.length === 0)
      requireColumns(stream.columns, ['sentence1', 'sentence2', 'score'], path);
    const parsed = policy.attempt(() => {
      const location = { file: path, line };
      return {
        sentence1: requireText(row.sentence1, { ...location, field: 'sentence1' }),
        sentence2: requireText(row.sentence2, { ...location, field: 'sentence2' }),
        score: parseScore(String(row.score), 5, { ...location, field: 'score' }) / 5,
      };
    });
    lines.push(line);
    if (parsed) rows.push(parsed);
    else lines.pop();
  }
  if (rows.length === 0) requireColumns(stream.columns, ['sentence1', 'sentence2', 'score'], path);
  return Dataset.fromRows(rows, { columns: ['sentence1', 'sentence2', 'score'] })
    .withOrigins(path, lines)
    .withSkipReport(mergeSkipReports(stream.skipped, policy.report));
}

function toScoredPairs(raw: Dataset, scores: number[]): Dataset {
  return Dataset.fromColumns({
    sentence1: raw.column('sentence1'),
    sentence2: raw.column('sentence2'),
    score: scores.map((s) => s / 5),
  })
    .withOriginsOf(raw)
    .withSkipReport(raw.skipped);
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
