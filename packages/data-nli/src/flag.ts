import { type CellValue, Dataset } from './dataset.js';
import { DataError, type OnBadRow, type SkipReport, mergeSkipReports } from './errors.js';
import { BadRowPolicy } from './internal/bad_rows.js';
import { streamJsonObjects, writeJsonl } from './jsonl.js';
import { NLI_LABEL_IDS, requireColumns, rowLocation } from './recipes/nli.js';

/** One training example in FlagEmbedding's JSONL format. */
export interface FlagRecord {
  query: string;
  pos: string[];
  neg: string[];
  /** Teacher scores of `pos` (same length), for distillation. */
  pos_scores?: number[];
  /** Teacher scores of `neg` (same length). */
  neg_scores?: number[];
  /** Instruction prepended to the query. */
  prompt?: string;
  /** Task type (e.g. `normal`, `symmetric_class`). */
  type?: string;
}

/** A FlagEmbedding file as read: the records, the line each came from, and what was skipped. */
export interface FlagFile {
  records: FlagRecord[];
  lines: number[];
  file: string;
  skipped: SkipReport;
}

/**
 * Reads FlagEmbedding JSONL `{query, pos[], neg[], pos_scores?, neg_scores?, prompt?, type?}`. Other
 * fields are ignored. A record without a query, with an empty text, with no positive, or with scores
 * that do not match its texts is a bad row.
 */
export async function readFlagJsonl(path: string, options: { onBadRow?: OnBadRow } = {}): Promise<FlagFile> {
  const policy = new BadRowPolicy(options.onBadRow);
  const objects = streamJsonObjects(path, options);
  const records: FlagRecord[] = [];
  const lines: number[] = [];
  for await (const { value, line } of objects) {
    const record = policy.attempt(() => parseFlagRecord(value, path, line));
    if (record) {
      records.push(record);
      lines.push(line);
    }
  }
  return { records, lines, file: path, skipped: mergeSkipReports(objects.skipped, policy.report) };
}

function parseFlagRecord(value: Record<string, unknown>, file: string, line: number): FlagRecord {
  const at = (field: string) => ({ file, line, field });
  const text = (v: unknown, field: string): string => {
    if (v === undefined) throw new DataError(`missing field "${field}"`, at(field));
    if (typeof v !== 'string') throw new DataError(`expected text, got ${JSON.stringify(v)}`, at(field));
    if (v.trim() === '') throw new DataError('empty text', at(field));
    return v;
  };
  const texts = (v: unknown, field: string): string[] => {
    if (v === undefined) throw new DataError(`missing field "${field}"`, at(field));
    if (!Array.isArray(v)) throw new DataError('expected an array of texts', at(field));
    return v.map((t, i) => text(t, `${field}[${i}]`));
  };
  const scores = (v: unknown, field: string, expected: number): number[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'number' && Number.isFinite(s))) {
      throw new DataError('expected an array of numbers', at(field));
    }
    if (v.length !== expected) throw new DataError(`has ${v.length} scores for ${expected} texts`, at(field));
    return v as number[];
  };
  const record: FlagRecord = { query: text(value.query, 'query'), pos: texts(value.pos, 'pos'), neg: [] };
  if (record.pos.length === 0) throw new DataError('no positive passage', at('pos'));
  record.neg = value.neg === undefined ? [] : texts(value.neg, 'neg');
  const posScores = scores(value.pos_scores, 'pos_scores', record.pos.length);
  if (posScores) record.pos_scores = posScores;
  const negScores = scores(value.neg_scores, 'neg_scores', record.neg.length);
  if (negScores) record.neg_scores = negScores;
  for (const key of ['prompt', 'type'] as const) {
    const v = value[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new DataError(`expected a string, got ${JSON.stringify(v)}`, at(key));
    record[key] = v;
  }
  return record;
}

/** Writes FlagEmbedding JSONL (fields in FlagEmbedding's order; absent optional fields are left out). */
export function writeFlagJsonl(records: Iterable<FlagRecord>, path: string): Promise<void> {
  function* ordered() {
    for (const r of records) {
      const out: Record<string, unknown> = { query: r.query, pos: r.pos, neg: r.neg };
      if (r.pos_scores) out.pos_scores = r.pos_scores;
      if (r.neg_scores) out.neg_scores = r.neg_scores;
      if (r.prompt !== undefined) out.prompt = r.prompt;
      if (r.type !== undefined) out.type = r.type;
      yield out;
    }
  }
  return writeJsonl(ordered(), path);
}

/** Options of flagToRows. */
export interface FlagToRowsOptions {
  /**
   * Negatives per row (the first n of each record's `neg`). Default: the fewest any record has, so all
   * rows have the same columns. A record with fewer is a bad row.
   */
  numNegatives?: number;
  /**
   * Prepend each record's `prompt` to its query. Default false: records with prompts give a `prompt` column,
   * which the trainer prepends to the query at training time (so the prompt stays visible as data).
   */
  prependPrompt?: boolean;
  /**
   * Carry the teacher's `pos_scores`/`neg_scores` as a `label` column for distillation losses:
   * `'list'` → [positive score, negative scores...] (DistillKLDivLoss), `'margin'` → positive − negative score
   * (MarginMSELoss; a list of margins with several negatives). Records without scores are bad rows.
   */
  teacherScores?: 'list' | 'margin';
  onBadRow?: OnBadRow;
}

/**
 * FlagEmbedding records → rows (anchor, positive[, negative | negative_1, negative_2, ...]): one row per
 * positive passage, each with the record's first `numNegatives` negatives.
 */
export function flagToRows(flag: FlagFile | readonly FlagRecord[], options: FlagToRowsOptions = {}): Dataset {
  const file = 'records' in flag ? flag : { records: flag, lines: [], file: undefined, skipped: undefined };
  const { records } = file;
  const numNegatives =
    options.numNegatives ?? Math.min(...records.map((r) => r.neg.length), Number.POSITIVE_INFINITY);
  const n = Number.isFinite(numNegatives) ? numNegatives : 0;
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`numNegatives must be a non-negative integer, got ${n}`);
  const negativeNames = negativeColumnNames(n);
  const columns: Record<string, CellValue[]> = { anchor: [], positive: [] };
  for (const name of negativeNames) columns[name] = [];
  if (options.teacherScores) columns.label = [];
  const rowPrompts = !options.prependPrompt && records.some((r) => r.prompt);
  if (rowPrompts) columns.prompt = [];
  const lines: (number | undefined)[] = [];
  const policy = new BadRowPolicy(options.onBadRow);
  records.forEach((record, r) => {
    const line = file.lines[r];
    if (record.neg.length < n) {
      policy.bad(
        new DataError(`has ${record.neg.length} negatives, ${n} needed`, {
          file: file.file ?? `record ${r}`,
          line,
          field: 'neg',
        }),
      );
      return;
    }
    if (
      options.teacherScores &&
      (record.pos_scores?.length !== record.pos.length || (record.neg_scores?.length ?? 0) < n)
    ) {
      policy.bad(
        new DataError(
          'teacher scores requested but pos_scores/neg_scores are missing or shorter than pos/neg',
          {
            file: file.file ?? `record ${r}`,
            line,
            field: record.pos_scores?.length !== record.pos.length ? 'pos_scores' : 'neg_scores',
          },
        ),
      );
      return;
    }
    const query = options.prependPrompt && record.prompt ? record.prompt + record.query : record.query;
    record.pos.forEach((positive, p) => {
      columns.anchor!.push(query);
      columns.positive!.push(positive);
      if (rowPrompts) columns.prompt!.push(record.prompt ?? '');
      negativeNames.forEach((name, k) => columns[name]!.push(record.neg[k]!));
      if (options.teacherScores) {
        const pos = record.pos_scores![p]!;
        const negs = record.neg_scores!.slice(0, n);
        columns.label!.push(
          options.teacherScores === 'list'
            ? [pos, ...negs]
            : negs.length === 1
              ? pos - negs[0]!
              : negs.map((x) => pos - x),
        );
      }
      lines.push(line);
    });
  });
  let ds = Dataset.fromColumns(columns);
  if (file.file !== undefined) ds = ds.withOrigins(file.file, lines);
  return ds.withSkipReport(mergeSkipReports(file.skipped ?? { count: 0, examples: [] }, policy.report));
}

/** `negative` for one negative, `negative_1` ... `negative_n` for more (sentence-transformers' naming). */
export function negativeColumnNames(count: number): string[] {
  if (count === 1) return ['negative'];
  return Array.from({ length: count }, (_, i) => `negative_${i + 1}`);
}

/** Negative columns of a pairs/triplets data set, in order (`negative`, or `negative_1`, `negative_2`, ...). */
export function negativeColumnsOf(ds: Dataset): string[] {
  if (ds.hasColumn('negative')) return ['negative'];
  const names: string[] = [];
  for (let i = 1; ds.hasColumn(`negative_${i}`); i++) names.push(`negative_${i}`);
  return names;
}

/**
 * (anchor, positive[, negatives...]) rows → FlagEmbedding records, grouping rows by anchor: `pos` and
 * `neg` are the distinct positives and negatives of each anchor, in order of appearance.
 */
export function rowsToFlag(ds: Dataset, options: { prompt?: string; type?: string } = {}): FlagRecord[] {
  requireColumns(ds.columnNames, ['anchor', 'positive']);
  const negatives = negativeColumnsOf(ds);
  const byAnchor = new Map<string, { pos: Set<string>; neg: Set<string> }>();
  for (let i = 0; i < ds.numRows; i++) {
    const location = rowLocation(ds, i);
    const anchor = asText(ds.column('anchor')[i], { ...location, field: 'anchor' });
    let entry = byAnchor.get(anchor);
    if (!entry) {
      entry = { pos: new Set(), neg: new Set() };
      byAnchor.set(anchor, entry);
    }
    entry.pos.add(asText(ds.column('positive')[i], { ...location, field: 'positive' }));
    for (const name of negatives) entry.neg.add(asText(ds.column(name)[i], { ...location, field: name }));
  }
  return [...byAnchor].map(([query, { pos, neg }]) => {
    const record: FlagRecord = { query, pos: [...pos], neg: [...neg] };
    if (options.prompt !== undefined) record.prompt = options.prompt;
    if (options.type !== undefined) record.type = options.type;
    return record;
  });
}

/** NLI layout → FlagEmbedding records: per premise, entailments are `pos`, contradictions `neg`. */
export function nliToFlag(ds: Dataset): FlagRecord[] {
  requireColumns(ds.columnNames, ['premise', 'hypothesis', 'label']);
  const premise = ds.column('premise');
  const hypothesis = ds.column('hypothesis');
  const label = ds.numberColumn('label');
  const byPremise = new Map<string, { pos: string[]; neg: string[] }>();
  for (let i = 0; i < ds.numRows; i++) {
    const key = String(premise[i]);
    let entry = byPremise.get(key);
    if (!entry) {
      entry = { pos: [], neg: [] };
      byPremise.set(key, entry);
    }
    if (label[i] === NLI_LABEL_IDS.entailment) entry.pos.push(String(hypothesis[i]));
    else if (label[i] === NLI_LABEL_IDS.contradiction) entry.neg.push(String(hypothesis[i]));
  }
  return [...byPremise]
    .filter(([, e]) => e.pos.length > 0)
    .map(([query, e]) => ({ query, pos: e.pos, neg: e.neg }));
}

function asText(
  value: CellValue | undefined,
  location: { file?: string; line?: number; field?: string },
): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new DataError(
      value === '' ? 'empty text' : `expected text, got ${JSON.stringify(value)}`,
      location,
    );
  }
  return value;
}
