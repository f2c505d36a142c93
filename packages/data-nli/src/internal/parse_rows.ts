import { Dataset, type Row } from '../dataset.js';
import { type DataLocation, type OnBadRow, mergeSkipReports } from '../errors.js';
import { BadRowPolicy } from './bad_rows.js';

/** Where row `index` came from (file and line), or `row N` for data built in memory. */
export function rowLocation(ds: Dataset, index: number): DataLocation {
  const origin = ds.origin(index);
  return origin.file !== undefined ? origin : { file: `row ${index}` };
}

/**
 * Builds a new data set by parsing each row of `ds` with `parse` (which throws a DataError for a bad row).
 * Bad rows go through the `onBadRow` policy; kept rows keep their file/line origins and the skip report of
 * `ds` is merged with this pass's.
 */
export function parseRows(
  ds: Dataset,
  columns: readonly string[],
  onBadRow: OnBadRow | undefined,
  parse: (index: number, location: DataLocation) => Row,
): Dataset {
  const policy = new BadRowPolicy(onBadRow);
  const rows: Row[] = [];
  const kept: number[] = [];
  for (let i = 0; i < ds.numRows; i++) {
    const row = policy.attempt(() => parse(i, rowLocation(ds, i)));
    if (row) {
      rows.push(row);
      kept.push(i);
    }
  }
  return Dataset.fromRows(rows, { columns })
    .withOriginsOf(ds.select(kept))
    .withSkipReport(mergeSkipReports(ds.skipped, policy.report));
}
