import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Dataset } from './dataset.js';
import { DataError, type OnBadRow, type SkipReport } from './errors.js';
import { BadRowPolicy } from './internal/bad_rows.js';
import { requireColumns, requireText, rowLocation } from './recipes/nli.js';

/** A retrieval set as BEIR / MTEB lay it out on disk. */
export interface BeirSet {
  /** `corpus.jsonl` rows. */
  corpus: Array<{ _id: string; title: string; text: string }>;
  /** `queries.jsonl` rows. */
  queries: Array<{ _id: string; text: string }>;
  /** `qrels/<split>.tsv` rows: query id, corpus id, relevance. */
  qrels: Array<[string, string, number]>;
}

/** Options of qaToBeir. */
export interface QaToBeirOptions {
  /** Question column (default the first of `query`, `question`, `anchor`). */
  query?: string;
  /** Passage column (default the first of `positive`, `context`, `passage`, `pos`). */
  passage?: string;
  onBadRow?: OnBadRow;
}

function pick(ds: Dataset, given: string | undefined, candidates: string[], what: string): string {
  if (given !== undefined) return given;
  const found = candidates.find((c) => ds.hasColumn(c));
  if (!found)
    throw new DataError(
      `no ${what} column: expected one of ${candidates.join(', ')} (columns: ${ds.columnNames.join(', ')})`,
    );
  return found;
}

/**
 * QA rows (question → query, context → passage) → a BEIR set: identical passages share one corpus id
 * (`d0`, `d1`, ...), identical questions one query id (`q0`, ...), each (question, passage) a qrel of 1.
 */
export function qaToBeir(ds: Dataset, options: QaToBeirOptions = {}): BeirSet & { skipped: SkipReport } {
  const query = pick(ds, options.query, ['query', 'question', 'anchor'], 'question');
  const passage = pick(ds, options.passage, ['positive', 'context', 'passage', 'pos'], 'passage');
  requireColumns(ds.columnNames, [query, passage]);
  const policy = new BadRowPolicy(options.onBadRow);
  const docIds = new Map<string, string>();
  const queryIds = new Map<string, string>();
  const set: BeirSet = { corpus: [], queries: [], qrels: [] };
  const judged = new Set<string>();
  for (let i = 0; i < ds.numRows; i++) {
    const location = rowLocation(ds, i);
    const row = policy.attempt(() => ({
      q: requireText(ds.column(query)[i], { ...location, field: query }),
      p: requireText(ds.column(passage)[i], { ...location, field: passage }),
    }));
    if (!row) continue;
    let did = docIds.get(row.p);
    if (did === undefined) {
      did = `d${docIds.size}`;
      docIds.set(row.p, did);
      set.corpus.push({ _id: did, title: '', text: row.p });
    }
    let qid = queryIds.get(row.q);
    if (qid === undefined) {
      qid = `q${queryIds.size}`;
      queryIds.set(row.q, qid);
      set.queries.push({ _id: qid, text: row.q });
    }
    const key = `${qid}\t${did}`;
    if (!judged.has(key)) {
      judged.add(key);
      set.qrels.push([qid, did, 1]);
    }
  }
  return { ...set, skipped: policy.report };
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(`${path}: cannot write (${(e as Error).message})`);
  }
}

/**
 * Writes `corpus.jsonl`, `queries.jsonl` and `qrels/<split>.tsv` (header `query-id corpus-id score`) into
 * `folder`, each file atomically, as BEIR and MTEB lay them out.
 */
export function writeBeir(folder: string, set: BeirSet, split = 'test'): string[] {
  const files = [
    join(folder, 'corpus.jsonl'),
    join(folder, 'queries.jsonl'),
    join(folder, 'qrels', `${split}.tsv`),
  ];
  const jsonl = (rows: object[]) => rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  writeAtomic(files[0]!, jsonl(set.corpus));
  writeAtomic(files[1]!, jsonl(set.queries));
  writeAtomic(files[2]!, `query-id\tcorpus-id\tscore\n${set.qrels.map((r) => `${r.join('\t')}\n`).join('')}`);
  return files;
}
