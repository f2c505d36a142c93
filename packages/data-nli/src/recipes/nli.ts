import { join } from 'node:path';
import { mulberry32 } from '@contrastive/core';
import { type CellValue, Dataset, type Row } from '../dataset.js';
import { streamDelimited } from '../delimited.js';
import { DataError, type DataLocation, type OnBadRow, mergeSkipReports } from '../errors.js';
import { BadRowPolicy } from '../internal/bad_rows.js';
import { rowLocation } from '../internal/parse_rows.js';
import { streamJsonObjects } from '../jsonl.js';
import { streamLineAligned } from '../line_aligned.js';

export { rowLocation };

/**
 * NLI label names in id order, sentence-transformers' convention (training_nli.py):
 * contradiction = 0, entailment = 1, neutral = 2.
 */
export const NLI_LABELS = ['contradiction', 'entailment', 'neutral'] as const;
export type NliLabel = (typeof NLI_LABELS)[number];

/** Label id of each NLI label name (sentence-transformers' `label2int`). */
export const NLI_LABEL_IDS: Readonly<Record<NliLabel, number>> = {
  contradiction: 0,
  entailment: 1,
  neutral: 2,
};

/**
 * How integer labels in a file are read. `st` (our own files): contradiction 0, entailment 1, neutral 2.
 * `hf` (Hugging Face snli/multi_nli/all-nli): entailment 0, neutral 1, contradiction 2, and -1 = no gold label.
 */
export type NliLabelScheme = 'st' | 'hf';

const HF_NLI_LABELS: readonly NliLabel[] = ['entailment', 'neutral', 'contradiction'];

/** Options shared by the NLI loaders. */
export interface NliLoadOptions {
  onBadRow?: OnBadRow;
  /** How integer labels are read (default: `hf` for snli-jsonl, `st` elsewhere). */
  labelScheme?: NliLabelScheme;
}

/** Marks a row that has no gold label (SNLI `-`, HF -1): skipped and counted, never an error. */
class NoGoldLabel extends DataError {}

/**
 * Label id (st convention) of a label cell: a name (any case) or an integer in `scheme`. SNLI's `-`
 * and HF's -1 throw NoGoldLabel; anything else outside the label set throws a DataError.
 */
export function parseNliLabel(
  value: CellValue | undefined,
  location: DataLocation,
  scheme: NliLabelScheme = 'st',
): number {
  const text = typeof value === 'string' ? value.trim() : value;
  if (text === '-' || text === -1 || text === '-1')
    throw new NoGoldLabel('no gold label ("-"): annotators disagreed', location);
  if (typeof text === 'string' && text !== '') {
    const id = NLI_LABEL_IDS[text.toLowerCase() as NliLabel];
    if (id !== undefined) return id;
  }
  const number =
    typeof text === 'number'
      ? text
      : typeof text === 'string' && /^\d+$/.test(text)
        ? Number(text)
        : Number.NaN;
  if (Number.isInteger(number) && number >= 0 && number <= 2) {
    return scheme === 'hf' ? NLI_LABEL_IDS[HF_NLI_LABELS[number]!] : number;
  }
  throw new DataError(
    `label ${JSON.stringify(value ?? null)} is not one of entailment, neutral, contradiction${scheme === 'st' ? ' (or 0, 1, 2)' : ''}`,
    location,
  );
}

interface RawNliRow {
  premise: CellValue | undefined;
  hypothesis: CellValue | undefined;
  label: CellValue | undefined;
  location: DataLocation;
  /** Files of the sentences when they differ from the label's (line-aligned sources). */
  sentenceFiles?: { premise: string; hypothesis: string };
}

/** Validates raw rows into the NLI layout (premise, hypothesis, label id), skipping `-` labels with a count. */
async function buildNli(
  raw: AsyncIterable<RawNliRow> | Iterable<RawNliRow>,
  policy: BadRowPolicy,
  scheme: NliLabelScheme,
): Promise<Dataset> {
  const rows: Row[] = [];
  const files: (string | undefined)[] = [];
  const lines: (number | undefined)[] = [];
  for await (const { premise, hypothesis, label, location, sentenceFiles } of raw) {
    try {
      const row = {
        premise: requireText(premise, {
          ...location,
          file: sentenceFiles?.premise ?? location.file,
          field: 'premise',
        }),
        hypothesis: requireText(hypothesis, {
          ...location,
          file: sentenceFiles?.hypothesis ?? location.file,
          field: 'hypothesis',
        }),
        label: parseNliLabel(label, { ...location, field: 'label' }, scheme),
      };
      rows.push(row);
      files.push(location.file);
      lines.push(location.line);
    } catch (e) {
      if (e instanceof NoGoldLabel) policy.skipAlways(e);
      else if (e instanceof DataError) policy.bad(e);
      else throw e;
    }
  }
  let ds = Dataset.fromRows(rows, { columns: ['premise', 'hypothesis', 'label'] }).withLabelNames(
    'label',
    NLI_LABELS,
  );
  const file = files[0];
  if (file !== undefined && files.every((f) => f === file)) ds = ds.withOrigins(file, lines);
  return ds.withSkipReport(policy.report);
}

/** A non-empty string cell, else a DataError at `location` ("empty" / "missing" / "not text"). */
export function requireText(value: CellValue | undefined, location: DataLocation): string {
  if (value === undefined) throw new DataError(`missing field "${location.field}"`, location);
  if (typeof value !== 'string') throw new DataError(`expected text, got ${JSON.stringify(value)}`, location);
  if (value.trim() === '') throw new DataError('empty text', location);
  return value;
}

/**
 * SNLI in its line-aligned form (`s1.<split>`, `s2.<split>`, `labels.<split>` in `dir`) → NLI layout.
 * Rows whose label is `-` are skipped and counted in `skipped`.
 */
export async function loadSnliLines(
  dir: string,
  options: NliLoadOptions & { split?: string } = {},
): Promise<Dataset> {
  const split = options.split ?? 'train';
  const files = {
    premise: join(dir, `s1.${split}`),
    hypothesis: join(dir, `s2.${split}`),
    label: join(dir, `labels.${split}`),
  };
  const policy = new BadRowPolicy(options.onBadRow);
  async function* raw(): AsyncGenerator<RawNliRow> {
    for await (const { row, line } of streamLineAligned(files)) {
      yield {
        premise: row.premise,
        hypothesis: row.hypothesis,
        label: row.label,
        location: { file: files.label, line },
        sentenceFiles: { premise: files.premise, hypothesis: files.hypothesis },
      };
    }
  }
  return buildNli(raw(), policy, options.labelScheme ?? 'st');
}

/**
 * SNLI/MultiNLI JSON Lines → NLI layout. Reads the original release's `sentence1`, `sentence2`,
 * `gold_label` or Hugging Face's `premise`, `hypothesis`, `label` (integer labels in the `hf` scheme by
 * default). `-` / -1 labels are skipped and counted.
 */
export async function loadSnliJsonl(path: string, options: NliLoadOptions = {}): Promise<Dataset> {
  const policy = new BadRowPolicy(options.onBadRow);
  const objects = streamJsonObjects(path, options);
  async function* raw(): AsyncGenerator<RawNliRow> {
    for await (const { value, line } of objects) {
      const original = 'sentence1' in value || 'gold_label' in value;
      yield {
        premise: cell(value[original ? 'sentence1' : 'premise']),
        hypothesis: cell(value[original ? 'sentence2' : 'hypothesis']),
        label: cell(value[original ? 'gold_label' : 'label']),
        location: { file: path, line },
      };
    }
  }
  const ds = await buildNli(raw(), policy, options.labelScheme ?? 'hf');
  return ds.withSkipReport(mergeSkipReports(objects.skipped, ds.skipped));
}

function cell(value: unknown): CellValue | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return value;
  return JSON.stringify(value);
}

/**
 * GLUE MNLI TSV (header with `sentence1`, `sentence2`, `gold_label`; tab-separated without quoting, as
 * GLUE reads it) → NLI layout. Works for SNLI's TSV release too.
 */
export async function loadMnliTsv(path: string, options: NliLoadOptions = {}): Promise<Dataset> {
  const policy = new BadRowPolicy(options.onBadRow);
  const stream = streamDelimited(path, { delimiter: '\t', quoting: false, onBadRow: options.onBadRow });
  let checked = false;
  async function* raw(): AsyncGenerator<RawNliRow> {
    for await (const { row, line } of stream) {
      if (!checked) {
        requireColumns(stream.columns, ['sentence1', 'sentence2', 'gold_label'], path);
        checked = true;
      }
      yield {
        premise: row.sentence1,
        hypothesis: row.sentence2,
        label: row.gold_label,
        location: { file: path, line },
      };
    }
  }
  const ds = await buildNli(raw(), policy, options.labelScheme ?? 'st');
  if (!checked) requireColumns(stream.columns, ['sentence1', 'sentence2', 'gold_label'], path);
  return ds.withSkipReport(mergeSkipReports(stream.skipped, ds.skipped));
}

/** Throws a DataError naming the first of `required` that `columns` lacks. */
export function requireColumns(columns: readonly string[], required: readonly string[], file?: string): void {
  for (const name of required) {
    if (!columns.includes(name)) {
      throw new DataError(`no column "${name}" (columns: ${columns.join(', ') || 'none'})`, {
        file,
        field: name,
      });
    }
  }
}

/**
 * Any data set with NLI columns → the NLI layout (premise, hypothesis, label id): accepts
 * `premise`/`hypothesis`/`label` or `sentence1`/`sentence2`/`gold_label`|`label`, labels as names or ids.
 */
export function toNliDataset(ds: Dataset, options: NliLoadOptions = {}): Promise<Dataset> {
  const names = ds.hasColumn('premise')
    ? { premise: 'premise', hypothesis: 'hypothesis', label: 'label' }
    : {
        premise: 'sentence1',
        hypothesis: 'sentence2',
        label: ds.hasColumn('gold_label') ? 'gold_label' : 'label',
      };
  requireColumns(ds.columnNames, Object.values(names));
  const policy = new BadRowPolicy(options.onBadRow);
  const premise = ds.column(names.premise);
  const hypothesis = ds.column(names.hypothesis);
  const label = ds.column(names.label);
  const raw = Array.from({ length: ds.numRows }, (_, i) => ({
    premise: premise[i],
    hypothesis: hypothesis[i],
    label: label[i],
    location: rowLocation(ds, i),
  }));
  return buildNli(raw, policy, options.labelScheme ?? 'st').then((out) =>
    out.withSkipReport(mergeSkipReports(ds.skipped, out.skipped)),
  );
}

/** File and line of a row when known, else just its index in the message. */

function nliColumns(ds: Dataset): {
  premise: readonly CellValue[];
  hypothesis: readonly CellValue[];
  label: number[];
} {
  requireColumns(ds.columnNames, ['premise', 'hypothesis', 'label']);
  return {
    premise: ds.column('premise'),
    hypothesis: ds.column('hypothesis'),
    label: ds.numberColumn('label'),
  };
}

/** NLI layout for SoftmaxLoss: (premise, hypothesis, label) with label ids 0 contradiction, 1 entailment, 2 neutral. */
export function nliToSoftmaxRows(ds: Dataset): Dataset {
  const { label } = nliColumns(ds);
  label.forEach((id, i) => {
    if (!(id in NLI_LABELS))
      throw new DataError(`label id ${id} is not 0, 1 or 2`, { ...rowLocation(ds, i), field: 'label' });
  });
  return ds.selectColumns(['premise', 'hypothesis', 'label']).withLabelNames('label', NLI_LABELS);
}

/** For CosineSimilarityLoss: (sentence1, sentence2, score) with entailment → 1, neutral and contradiction → 0. */
export function nliToScoredPairs(ds: Dataset): Dataset {
  const { premise, hypothesis, label } = nliColumns(ds);
  return Dataset.fromColumns({
    sentence1: premise,
    sentence2: hypothesis,
    score: label.map((id) => (id === NLI_LABEL_IDS.entailment ? 1 : 0)),
  }).withOriginsOf(ds);
}

/** For MultipleNegativesRankingLoss: (anchor, positive) from the entailment pairs. */
export function nliToPairs(ds: Dataset): Dataset {
  const { label } = nliColumns(ds);
  const keep = label.flatMap((id, i) => (id === NLI_LABEL_IDS.entailment ? [i] : []));
  return ds
    .select(keep)
    .selectColumns(['premise', 'hypothesis'])
    .renameColumns({ premise: 'anchor', hypothesis: 'positive' });
}

/** Options of nliToTriplets. */
export interface NliTripletOptions {
  /**
   * Which contradiction each entailment gets when a premise has several: without a seed they are used in
   * turn (1st entailment ↔ 1st contradiction, ...); with a seed one is drawn at random.
   */
  seed?: number;
  /** Also add (positive, anchor, negative) per triplet, as sentence-transformers' training_nli_v2 does. */
  symmetric?: boolean;
}

/**
 * For MultipleNegativesRankingLoss with hard negatives: (anchor, positive, negative) = (premise, an
 * entailment of it, a contradiction of the same premise). Premises without a contradiction give no triplet.
 */
export function nliToTriplets(ds: Dataset, options: NliTripletOptions = {}): Dataset {
  const { premise, hypothesis, label } = nliColumns(ds);
  const byPremise = new Map<CellValue, { entailments: number[]; contradictions: number[] }>();
  for (let i = 0; i < ds.numRows; i++) {
    let entry = byPremise.get(premise[i]!);
    if (!entry) {
      entry = { entailments: [], contradictions: [] };
      byPremise.set(premise[i]!, entry);
    }
    if (label[i] === NLI_LABEL_IDS.entailment) entry.entailments.push(i);
    else if (label[i] === NLI_LABEL_IDS.contradiction) entry.contradictions.push(i);
  }
  const random = options.seed !== undefined ? mulberry32(options.seed) : undefined;
  const anchor: CellValue[] = [];
  const positive: CellValue[] = [];
  const negative: CellValue[] = [];
  const rows: number[] = [];
  for (const [text, { entailments, contradictions }] of byPremise) {
    if (contradictions.length === 0) continue;
    entailments.forEach((e, k) => {
      const c = random
        ? contradictions[Math.floor(random() * contradictions.length)]!
        : contradictions[k % contradictions.length]!;
      anchor.push(text);
      positive.push(hypothesis[e]!);
      negative.push(hypothesis[c]!);
      rows.push(e);
      if (options.symmetric) {
        anchor.push(hypothesis[e]!);
        positive.push(text);
        negative.push(hypothesis[c]!);
        rows.push(e);
      }
    });
  }
  return Dataset.fromColumns({ anchor, positive, negative }).withOriginsOf(ds.select(rows));
}
