import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { numberField, pickColumn, readTable, readText, stringField } from './internal/tables.js';
import type { Label } from './logistic_regression.js';

/** Sentence pairs with gold similarity scores (any scale; correlations do not care). */
export interface StsData {
  sentences1: string[];
  sentences2: string[];
  scores: number[];
}

export interface ClassificationData {
  texts: string[];
  labels: Label[];
}

export interface TripletData {
  anchors: string[];
  positives: string[];
  negatives: string[];
}

export interface PairData {
  sentences1: string[];
  sentences2: string[];
  /** 1 = similar / duplicate, 0 = not. */
  labels: number[];
}

export interface RerankingSample {
  query: string;
  positive: string[];
  negative: string[];
}

/** BEIR layout, in memory. */
export interface RetrievalData {
  /** Document id → text: (title + ' ' + text) trimmed, as MTEB builds it. */
  corpus: Map<string, string>;
  queries: Map<string, string>;
  /** Query id → (document id → graded relevance). */
  qrels: Map<string, Map<string, number>>;
}

const SENTENCE1 = ['sentence1', 'sentence_1', 'text1', 'sentence_A', 'premise'];
const SENTENCE2 = ['sentence2', 'sentence_2', 'text2', 'sentence_B', 'hypothesis'];

/**
 * Reads STS pairs from CSV/TSV/JSONL with sentence1, sentence2 and score columns, or from the original
 * STS-B release (`sts-*.csv`: tab-separated, no header, no quoting, score in field 5, sentences in 6 and 7).
 */
export function loadStsData(path: string): StsData {
  if (isOriginalStsb(path)) return loadOriginalStsb(path);
  const table = readTable(path);
  const c1 = pickColumn(table, SENTENCE1, 'first sentence');
  const c2 = pickColumn(table, SENTENCE2, 'second sentence');
  const cs = pickColumn(table, ['score', 'similarity_score', 'relatedness_score', 'label'], 'score');
  const data: StsData = { sentences1: [], sentences2: [], scores: [] };
  for (const row of table.rows) {
    data.sentences1.push(stringField(table, row, c1));
    data.sentences2.push(stringField(table, row, c2));
    data.scores.push(numberField(table, row, cs));
  }
  if (data.scores.length < 2)
    throw new Error(`${path}: needs at least 2 scored pairs, found ${data.scores.length}`);
  return data;
}

function isOriginalStsb(path: string): boolean {
  if (!/\.csv(\.gz)?$/i.test(path)) return false;
  const first = readText(path).split(/\r?\n/, 1)[0] ?? '';
  const fields = first.split('\t');
  return (
    fields.length >= 7 &&
    fields[4] !== undefined &&
    Number.isFinite(Number(fields[4])) &&
    fields[4].trim() !== ''
  );
}

function loadOriginalStsb(path: string): StsData {
  const data: StsData = { sentences1: [], sentences2: [], scores: [] };
  readText(path)
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const fields = line.split('\t');
      const score = Number(fields[4]);
      if (fields.length < 7 || !Number.isFinite(score)) {
        throw new Error(`${path}:${i + 1}: expected ≥7 tab-separated fields with a numeric score in field 5`);
      }
      data.scores.push(score);
      data.sentences1.push(fields[5]!);
      data.sentences2.push(fields[6]!);
    });
  return data;
}

export interface ClassificationLoadOptions {
  /** Default `text`. */
  textColumn?: string;
  /** Default: `label`, else `category` (Banking77's CSV), else `label_text`. */
  labelColumn?: string;
}

/** Reads labelled texts from CSV/TSV/JSONL. Labels stay as written (numbers in JSON stay numbers). */
export function loadClassificationData(
  path: string,
  options: ClassificationLoadOptions = {},
): ClassificationData {
  const table = readTable(path);
  const textColumn = pickColumn(table, [options.textColumn ?? 'text'], 'text');
  const labelColumn = pickColumn(
    table,
    options.labelColumn ? [options.labelColumn] : ['label', 'category', 'label_text'],
    'label',
  );
  const data: ClassificationData = { texts: [], labels: [] };
  for (const row of table.rows) {
    data.texts.push(stringField(table, row, textColumn));
    const label = row.values[labelColumn];
    if (typeof label !== 'string' && typeof label !== 'number') {
      throw new Error(
        `${path}:${row.line}: "${labelColumn}" must be a string or number, got ${JSON.stringify(label)}`,
      );
    }
    if (label === '') throw new Error(`${path}:${row.line}: empty "${labelColumn}"`);
    data.labels.push(label);
  }
  if (data.texts.length === 0) throw new Error(`${path}: no rows`);
  return data;
}

/** Reads anchor / positive / negative columns from CSV/TSV/JSONL. */
export function loadTripletData(path: string): TripletData {
  const table = readTable(path);
  const ca = pickColumn(table, ['anchor', 'query', 'sentence1'], 'anchor');
  const cp = pickColumn(table, ['positive', 'pos', 'sentence2'], 'positive');
  const cn = pickColumn(table, ['negative', 'neg', 'sentence3'], 'negative');
  const data: TripletData = { anchors: [], positives: [], negatives: [] };
  for (const row of table.rows) {
    data.anchors.push(stringField(table, row, ca));
    data.positives.push(stringField(table, row, cp));
    data.negatives.push(stringField(table, row, cn));
  }
  return data;
}

/** Reads sentence1 / sentence2 / label (0 or 1) from CSV/TSV/JSONL. */
export function loadPairData(path: string): PairData {
  const table = readTable(path);
  const c1 = pickColumn(table, SENTENCE1, 'first sentence');
  const c2 = pickColumn(table, SENTENCE2, 'second sentence');
  const cl = pickColumn(table, ['label', 'labels', 'is_duplicate', 'score'], 'label');
  const data: PairData = { sentences1: [], sentences2: [], labels: [] };
  for (const row of table.rows) {
    data.sentences1.push(stringField(table, row, c1));
    data.sentences2.push(stringField(table, row, c2));
    const label = numberField(table, row, cl);
    if (label !== 0 && label !== 1)
      throw new Error(`${path}:${row.line}: "${cl}" must be 0 or 1, got ${label}`);
    data.labels.push(label);
  }
  return data;
}

/** Reads JSONL records `{query, positive: string[], negative: string[]}` (MTEB's reranking layout). */
export function loadRerankingData(path: string): RerankingSample[] {
  const table = readTable(path);
  return table.rows.map((row) => {
    const query = stringField(table, row, 'query');
    const list = (column: string): string[] => {
      const v = row.values[column];
      const items = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(items) || !items.every((s) => typeof s === 'string')) {
        throw new Error(`${path}:${row.line}: "${column}" must be a list of strings`);
      }
      return items;
    };
    return { query, positive: list('positive'), negative: list('negative') };
  });
}

function firstExisting(folder: string, names: string[]): string {
  for (const n of names) {
    const p = join(folder, n);
    if (existsSync(p)) return p;
  }
  throw new Error(`${folder}: none of ${names.join(', ')} found`);
}

/** True when `path` is a folder in BEIR layout (has corpus.jsonl[.gz]). */
export function isBeirFolder(path: string): boolean {
  return (
    existsSync(path) &&
    statSync(path).isDirectory() &&
    (existsSync(join(path, 'corpus.jsonl')) || existsSync(join(path, 'corpus.jsonl.gz')))
  );
}

/**
 * Reads a BEIR folder: `corpus.jsonl` ({_id, title, text}), `queries.jsonl` ({_id, text}) and
 * `qrels/<split>.tsv` (header `query-id corpus-id score`). Only queries that have qrels are kept, as BEIR
 * and MTEB do.
 */
export function loadBeirData(folder: string, split = 'test'): RetrievalData {
  const corpusTable = readTable(firstExisting(folder, ['corpus.jsonl', 'corpus.jsonl.gz']));
  const corpus = new Map<string, string>();
  for (const row of corpusTable.rows) {
    const id = stringField(corpusTable, row, '_id');
    const title = row.values.title === undefined || row.values.title === null ? '' : String(row.values.title);
    const text = row.values.text === undefined || row.values.text === null ? '' : String(row.values.text);
    // MTEB: (title + ' ' + text).strip().
    corpus.set(id, `${title} ${text}`.trim());
  }
  const queriesTable = readTable(firstExisting(folder, ['queries.jsonl', 'queries.jsonl.gz']));
  const allQueries = new Map<string, string>();
  for (const row of queriesTable.rows) {
    allQueries.set(stringField(queriesTable, row, '_id'), stringField(queriesTable, row, 'text'));
  }
  const qrelsPath = firstExisting(join(folder, 'qrels'), [`${split}.tsv`, `${split}.tsv.gz`]);
  const qrels = new Map<string, Map<string, number>>();
  readText(qrelsPath)
    .split(/\r?\n/)
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const fields = line.split('\t');
      if (i === 0 && !Number.isFinite(Number(fields[2]))) return; // header
      const [qid, did, score] = fields;
      const grade = Number(score);
      if (fields.length < 3 || !qid || !did || !Number.isFinite(grade)) {
        throw new Error(`${qrelsPath}:${i + 1}: expected "query-id<TAB>corpus-id<TAB>score"`);
      }
      let judged = qrels.get(qid);
      if (!judged) {
        judged = new Map();
        qrels.set(qid, judged);
      }
      judged.set(did, grade);
    });
  const queries = new Map<string, string>();
  for (const qid of qrels.keys()) {
    const text = allQueries.get(qid);
    if (text !== undefined) queries.set(qid, text);
  }
  if (queries.size === 0) throw new Error(`${folder}: no query of ${qrelsPath} is in queries.jsonl`);
  return { corpus, queries, qrels };
}
