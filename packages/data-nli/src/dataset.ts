import { permutation } from '@contrastive/core';
import { DataError, type DataLocation, type SkipReport, emptySkipReport } from './errors.js';
import { splitIndices } from './internal/split_indices.js';

/** One cell: data sets hold strings and numbers (booleans and nulls pass through from JSON/Parquet). */
/** A cell: text, number, boolean, null, or a list of numbers (teacher scores for distillation). */
export type CellValue = string | number | boolean | null | readonly number[];

/** One row: column name → value. */
export type Row = Record<string, CellValue>;

interface RowOrigins {
  files: (string | undefined)[];
  lines: (number | undefined)[];
}

/** Options of `Dataset.trainTestSplit`. */
export interface TrainTestSplitOptions {
  /** Fraction (0 < x < 1) or number of rows (integer ≥ 1) for the test part. */
  testSize: number;
  /** Seed of the shuffle (default 42). */
  seed?: number;
  /** Keep the proportions of this column's values in both parts. */
  stratifyBy?: string;
}

/**
 * An immutable in-memory table with named columns, stored column by column (like an Arrow table):
 * `column(name)` is O(1); every transformation returns a new Dataset.
 */
export class Dataset {
  readonly numRows: number;
  /** Rows the reader or recipe that built this data set skipped (empty for derived data sets). */
  readonly skipped: SkipReport;
  readonly #columns: Map<string, CellValue[]>;
  readonly #labelNames: Map<string, readonly string[]>;
  /** File and line each row was read from, when a reader built it (kept through select/shuffle/map). */
  readonly #origins: RowOrigins | undefined;

  private constructor(
    columns: Map<string, CellValue[]>,
    numRows: number,
    labelNames: Map<string, readonly string[]> = new Map(),
    skipped: SkipReport = emptySkipReport(),
    origins?: RowOrigins,
  ) {
    this.#columns = columns;
    this.numRows = numRows;
    this.#labelNames = labelNames;
    this.skipped = skipped;
    this.#origins = origins;
  }

  /** Where row `index` came from (file and line) when known, for error messages. */
  origin(index: number): DataLocation {
    const origins = this.#origins;
    if (!origins) return {};
    return { file: origins.files[index], line: origins.lines[index] };
  }

  /** A copy that records the file and line of every row (readers use this). */
  withOrigins(file: string, lines: readonly (number | undefined)[]): Dataset {
    if (lines.length !== this.numRows)
      throw new RangeError(`${lines.length} line numbers for ${this.numRows} rows`);
    const origins = { files: new Array<string>(this.numRows).fill(file), lines: lines.slice() };
    return new Dataset(this.#columns, this.numRows, this.#labelNames, this.skipped, origins);
  }

  /** Same origins as `other` (same row count); for recipes that build rows one for one. */
  withOriginsOf(other: Dataset): Dataset {
    if (other.numRows !== this.numRows)
      throw new RangeError(`${other.numRows} origins for ${this.numRows} rows`);
    return new Dataset(this.#columns, this.numRows, this.#labelNames, this.skipped, other.#origins);
  }

  /**
   * Builds a data set from rows. The columns are `columns` when given, else the first row's keys; every
   * row must have exactly those keys (a DataError names the row otherwise).
   */
  static fromRows(
    rows: readonly Row[],
    options: { columns?: readonly string[]; source?: string } = {},
  ): Dataset {
    const names = options.columns ?? (rows[0] ? Object.keys(rows[0]) : []);
    const columns = new Map<string, CellValue[]>(names.map((n) => [n, new Array<CellValue>(rows.length)]));
    rows.forEach((row, i) => {
      for (const name of names) {
        if (!(name in row)) {
          throw new DataError(`row ${i} has no column "${name}"`, { file: options.source, field: name });
        }
        columns.get(name)![i] = row[name]!;
      }
      const keys = Object.keys(row);
      if (keys.length !== names.length) {
        const extra = keys.find((k) => !columns.has(k));
        throw new DataError(`row ${i} has a column "${extra}" that row 0 does not have`, {
          file: options.source,
          field: extra,
        });
      }
    });
    return new Dataset(columns, rows.length);
  }

  /** Builds a data set from equally long column arrays (copied). */
  static fromColumns(columns: Record<string, readonly CellValue[]>): Dataset {
    const entries = Object.entries(columns);
    const numRows = entries[0]?.[1].length ?? 0;
    for (const [name, values] of entries) {
      if (values.length !== numRows) {
        throw new DataError(`column "${name}" has ${values.length} values, expected ${numRows}`, {
          field: name,
        });
      }
    }
    return new Dataset(new Map(entries.map(([n, v]) => [n, v.slice()])), numRows);
  }

  /** Stacks data sets with the same columns (in any order) one after another. */
  static concatenate(datasets: readonly Dataset[]): Dataset {
    const first = datasets[0];
    if (!first) return Dataset.fromRows([]);
    const names = first.columnNames;
    for (const [i, ds] of datasets.entries()) {
      const other = ds.columnNames;
      if (other.length !== names.length || other.some((n) => !first.#columns.has(n))) {
        throw new DataError(
          `cannot concatenate: data set ${i} has columns [${other.join(', ')}], data set 0 has [${names.join(', ')}]`,
        );
      }
    }
    const columns = new Map<string, CellValue[]>(
      names.map((n) => [n, datasets.flatMap((ds) => ds.#columns.get(n)!)]),
    );
    // Label names survive only where every part agrees on them.
    const labelNames = new Map<string, readonly string[]>();
    for (const [column, labels] of first.#labelNames) {
      if (datasets.every((ds) => sameList(ds.#labelNames.get(column), labels)))
        labelNames.set(column, labels);
    }
    const origins = datasets.every((ds) => ds.#origins)
      ? {
          files: datasets.flatMap((ds) => ds.#origins!.files),
          lines: datasets.flatMap((ds) => ds.#origins!.lines),
        }
      : undefined;
    return new Dataset(
      columns,
      datasets.reduce((n, ds) => n + ds.numRows, 0),
      labelNames,
      emptySkipReport(),
      origins,
    );
  }

  /** Column names in order. */
  get columnNames(): string[] {
    return [...this.#columns.keys()];
  }

  hasColumn(name: string): boolean {
    return this.#columns.has(name);
  }

  /** The values of one column (do not modify). Throws a DataError naming the missing column. */
  column(name: string): readonly CellValue[] {
    const values = this.#columns.get(name);
    if (!values) {
      throw new DataError(`no column "${name}" (columns: ${this.columnNames.join(', ') || 'none'})`, {
        field: name,
      });
    }
    return values;
  }

  /** A column that must hold strings only. */
  stringColumn(name: string): string[] {
    return this.column(name).map((v, i) => {
      if (typeof v !== 'string')
        throw new DataError(`row ${i}: expected a string, got ${JSON.stringify(v)}`, { field: name });
      return v;
    });
  }

  /** A column that must hold numbers only. */
  numberColumn(name: string): number[] {
    return this.column(name).map((v, i) => {
      if (typeof v !== 'number')
        throw new DataError(`row ${i}: expected a number, got ${JSON.stringify(v)}`, { field: name });
      return v;
    });
  }

  /** The names behind an integer label column (like a Hugging Face ClassLabel), if known. */
  labelNames(column: string): readonly string[] | undefined {
    return this.#labelNames.get(column);
  }

  /** A copy that records `names` as the label names of `column` (label id i ↔ names[i]). */
  withLabelNames(column: string, names: readonly string[]): Dataset {
    this.column(column);
    const labelNames = new Map(this.#labelNames);
    labelNames.set(column, names.slice());
    return new Dataset(this.#columns, this.numRows, labelNames, this.skipped, this.#origins);
  }

  /** A copy that carries `skipped` as its skip report (readers and recipes use this). */
  withSkipReport(skipped: SkipReport): Dataset {
    return new Dataset(this.#columns, this.numRows, this.#labelNames, skipped, this.#origins);
  }

  /** Row `index` as an object. */
  row(index: number): Row {
    if (!Number.isInteger(index) || index < 0 || index >= this.numRows) {
      throw new RangeError(`row index ${index} out of range [0, ${this.numRows})`);
    }
    const row: Row = {};
    for (const [name, values] of this.#columns) row[name] = values[index]!;
    return row;
  }

  *rows(): IterableIterator<Row> {
    for (let i = 0; i < this.numRows; i++) yield this.row(i);
  }

  [Symbol.iterator](): IterableIterator<Row> {
    return this.rows();
  }

  toRows(): Row[] {
    return [...this.rows()];
  }

  /** Rows in groups of `size` (the last one shorter unless `dropLast`). */
  *batches(size: number, options: { dropLast?: boolean } = {}): IterableIterator<Row[]> {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`batch size must be a positive integer, got ${size}`);
    for (let start = 0; start < this.numRows; start += size) {
      const end = Math.min(start + size, this.numRows);
      if (options.dropLast && end - start < size) return;
      const batch: Row[] = [];
      for (let i = start; i < end; i++) batch.push(this.row(i));
      yield batch;
    }
  }

  /**
   * A new data set from `fn(row, index)` on every row. All returned rows must have the same columns;
   * label names carry over for columns that keep their name and values.
   */
  map(fn: (row: Row, index: number) => Row): Dataset {
    const rows: Row[] = [];
    for (let i = 0; i < this.numRows; i++) rows.push(fn(this.row(i), i));
    const mapped = Dataset.fromRows(rows, rows.length === 0 ? { columns: this.columnNames } : {});
    return new Dataset(
      mapped.#columns,
      mapped.numRows,
      this.#keptLabelNames(mapped),
      emptySkipReport(),
      this.#origins,
    );
  }

  filter(predicate: (row: Row, index: number) => boolean): Dataset {
    const keep: number[] = [];
    for (let i = 0; i < this.numRows; i++) if (predicate(this.row(i), i)) keep.push(i);
    return this.select(keep);
  }

  /** The rows at `indices` (in that order, repeats allowed) or in `[start, end)`. */
  select(indices: readonly number[] | { start: number; end?: number }): Dataset {
    const list =
      'start' in indices && !Array.isArray(indices)
        ? rangeIndices(indices.start, indices.end ?? this.numRows, this.numRows)
        : (indices as readonly number[]);
    for (const i of list) {
      if (!Number.isInteger(i) || i < 0 || i >= this.numRows) {
        throw new RangeError(`row index ${i} out of range [0, ${this.numRows})`);
      }
    }
    const columns = new Map<string, CellValue[]>();
    for (const [name, values] of this.#columns)
      columns.set(
        name,
        list.map((i) => values[i]!),
      );
    const origins = this.#origins
      ? { files: list.map((i) => this.#origins!.files[i]), lines: list.map((i) => this.#origins!.lines[i]) }
      : undefined;
    return new Dataset(columns, list.length, this.#labelNames, emptySkipReport(), origins);
  }

  /** The rows in a seeded random order (mulberry32 Fisher–Yates). */
  shuffle(seed = 42): Dataset {
    return this.select(permutation(this.numRows, seed));
  }

  /** Seeded split into `train` and `test` (`testSize` a fraction or a row count), optionally stratified. */
  trainTestSplit(options: TrainTestSplitOptions): { train: Dataset; test: Dataset } {
    const { testSize, seed = 42, stratifyBy } = options;
    let testFraction: number;
    if (testSize > 0 && testSize < 1) testFraction = testSize;
    else if (Number.isInteger(testSize) && testSize >= 1 && testSize < this.numRows)
      testFraction = testSize / this.numRows;
    else
      throw new RangeError(
        `testSize must be a fraction in (0, 1) or a row count in [1, ${this.numRows}), got ${testSize}`,
      );
    const [trainIdx, testIdx] = splitIndices(this.numRows, {
      ratios: [1 - testFraction, testFraction],
      seed,
      strata: stratifyBy !== undefined ? this.column(stratifyBy) : undefined,
    });
    // Shuffled like Hugging Face's train_test_split, with a seed derived from the split seed.
    return { train: this.select(trainIdx!).shuffle(seed + 1), test: this.select(testIdx!).shuffle(seed + 2) };
  }

  /** This data set followed by `others` (same columns). */
  concatenate(...others: Dataset[]): Dataset {
    return Dataset.concatenate([this, ...others]);
  }

  renameColumn(from: string, to: string): Dataset {
    return this.renameColumns({ [from]: to });
  }

  /** Renames columns by `{ old: new }`, keeping their order. */
  renameColumns(mapping: Record<string, string>): Dataset {
    for (const from of Object.keys(mapping)) this.column(from);
    const columns = new Map<string, CellValue[]>();
    for (const [name, values] of this.#columns) {
      const to = mapping[name] ?? name;
      if (columns.has(to)) throw new DataError(`renaming gives two columns named "${to}"`, { field: to });
      columns.set(to, values);
    }
    const labelNames = new Map<string, readonly string[]>();
    for (const [name, labels] of this.#labelNames) labelNames.set(mapping[name] ?? name, labels);
    return new Dataset(columns, this.numRows, labelNames, this.skipped, this.#origins);
  }

  removeColumns(names: string | readonly string[]): Dataset {
    const remove = new Set(typeof names === 'string' ? [names] : names);
    for (const name of remove) this.column(name);
    return this.selectColumns(this.columnNames.filter((n) => !remove.has(n)));
  }

  /** Only these columns, in this order. */
  selectColumns(names: readonly string[]): Dataset {
    const columns = new Map<string, CellValue[]>(names.map((n) => [n, this.column(n) as CellValue[]]));
    const labelNames = new Map([...this.#labelNames].filter(([n]) => columns.has(n)));
    return new Dataset(columns, this.numRows, labelNames, this.skipped, this.#origins);
  }

  /** A copy with one more (or a replaced) column. */
  addColumn(name: string, values: readonly CellValue[]): Dataset {
    if (values.length !== this.numRows) {
      throw new DataError(
        `column "${name}" has ${values.length} values, the data set has ${this.numRows} rows`,
        {
          field: name,
        },
      );
    }
    const columns = new Map(this.#columns);
    columns.set(name, values.slice());
    const labelNames = new Map(this.#labelNames);
    labelNames.delete(name);
    return new Dataset(columns, this.numRows, labelNames, this.skipped, this.#origins);
  }

  /** Distinct values of a column in order of first appearance. */
  unique(name: string): CellValue[] {
    return [...new Set(this.column(name))];
  }

  #keptLabelNames(mapped: Dataset): Map<string, readonly string[]> {
    const kept = new Map<string, readonly string[]>();
    for (const [name, labels] of this.#labelNames) {
      const before = this.#columns.get(name)!;
      const after = mapped.#columns.get(name);
      if (after && after.length === before.length && after.every((v, i) => v === before[i]))
        kept.set(name, labels);
    }
    return kept;
  }
}

function rangeIndices(start: number, end: number, numRows: number): number[] {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > numRows || start > end) {
    throw new RangeError(`row range [${start}, ${end}) is not inside [0, ${numRows})`);
  }
  return Array.from({ length: end - start }, (_, i) => start + i);
}

function sameList(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
}
