import { extname } from 'node:path';
import type { Dataset } from './dataset.js';
import { type DelimitedReadOptions, readCsv, readTsv, writeCsv, writeTsv } from './delimited.js';
import { DataError, type OnBadRow } from './errors.js';
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
}

/** Reads a data file, choosing the reader from the extension. */
export function readDataFile(path: string, options: ReadDataFileOptions = {}): Promise<Dataset> {
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
