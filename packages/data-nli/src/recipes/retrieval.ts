import type { Dataset, Row } from '../dataset.js';
import { readCsv } from '../delimited.js';
import { DataError, type OnBadRow } from '../errors.js';
import { parseRows } from '../internal/parse_rows.js';
import { requireColumns, requireText } from './nli.js';

/** Options of toRetrievalRows. */
export interface RetrievalColumns {
  /** Source column of the query (default `query`). */
  query?: string;
  /** Source column of the relevant passage (default `positive`). */
  positive?: string;
  /** Source columns of hard negatives, written as `negative` (one) or `negative_1`, `negative_2`, ... */
  negatives?: readonly string[];
  onBadRow?: OnBadRow;
}

/** Any (question, passage[, negatives]) data set → the retrieval layout (query, positive[, negative...]). */
export function toRetrievalRows(ds: Dataset, options: RetrievalColumns = {}): Dataset {
  const query = options.query ?? 'query';
  const positive = options.positive ?? 'positive';
  const negatives = options.negatives ?? [];
  requireColumns(ds.columnNames, [query, positive, ...negatives]);
  const negativeNames = negatives.length === 1 ? ['negative'] : negatives.map((_, i) => `negative_${i + 1}`);
  return parseRows(ds, ['query', 'positive', ...negativeNames], options.onBadRow, (i, location) => {
    const out: Row = {
      query: requireText(ds.column(query)[i], { ...location, field: query }),
      positive: requireText(ds.column(positive)[i], { ...location, field: positive }),
    };
    negatives.forEach((name, k) => {
      out[negativeNames[k]!] = requireText(ds.column(name)[i], { ...location, field: name });
    });
    return out;
  });
}

/**
 * Financial-QA-10k (`question,answer,context,ticker,filing`) → (query, positive) = (question, context).
 * The published file has a few rows with an empty question or context; they are skipped by default and
 * listed in `skipped` (pass `onBadRow: 'throw'` to stop at them instead).
 */
export async function loadFinancialQa(path: string, options: { onBadRow?: OnBadRow } = {}): Promise<Dataset> {
  const onBadRow = options.onBadRow ?? 'skip';
  const raw = await readCsv(path, { onBadRow });
  if (!raw.hasColumn('question') || !raw.hasColumn('context')) {
    throw new DataError(`expected columns question and context (columns: ${raw.columnNames.join(', ')})`, {
      file: path,
    });
  }
  return toRetrievalRows(raw, { query: 'question', positive: 'context', onBadRow });
}
