import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type HubOptions, snapshotDownload } from '@contrastive/hub';
import { isBeirFolder, loadBeirData, loadClassificationData, loadStsData } from './data.js';
import { ClassificationEvaluator, type ClassificationOptions } from './evaluators/classification.js';
import { RetrievalEvaluator, type RetrievalOptions } from './evaluators/retrieval.js';
import { StsEvaluator } from './evaluators/sts.js';
import type { Evaluator } from './types.js';

export type TaskType = 'sts' | 'classification' | 'retrieval';

/** A task of the registry: where its data lives on the hub (MTEB's copies) and how to score it. */
export interface TaskSpec {
  name: string;
  type: TaskType;
  hubRepo: string;
  /** MTEB's pinned dataset revision where known, else `main`. */
  revision: string;
  split: string;
}

/** The tasks `getTask` knows by name; any BEIR folder path works as well. */
export const KNOWN_TASKS: readonly TaskSpec[] = [
  {
    name: 'STSBenchmark',
    type: 'sts',
    hubRepo: 'mteb/stsbenchmark-sts',
    revision: 'b0fddb56ed78048fa8b90373c8a3cfc37b684831',
    split: 'test',
  },
  {
    name: 'SICK-R',
    type: 'sts',
    hubRepo: 'mteb/sickr-sts',
    revision: 'a6ea5a8cab320b040a23452cc28066d9beae2cee',
    split: 'test',
  },
  {
    name: 'STS12',
    type: 'sts',
    hubRepo: 'mteb/sts12-sts',
    revision: 'a0d554a64d88156834ff5ae9920b964011b16384',
    split: 'test',
  },
  {
    name: 'STS13',
    type: 'sts',
    hubRepo: 'mteb/sts13-sts',
    revision: '7e90230a92c190f1bf69ae9002b8cea547a64cca',
    split: 'test',
  },
  {
    name: 'STS14',
    type: 'sts',
    hubRepo: 'mteb/sts14-sts',
    revision: '6031580fec1f6af667f0bd2da0a551cf4f0b2375',
    split: 'test',
  },
  {
    name: 'STS15',
    type: 'sts',
    hubRepo: 'mteb/sts15-sts',
    revision: 'ae752c7c21bf194d8b67fd573edf7ae58183cbe3',
    split: 'test',
  },
  {
    name: 'STS16',
    type: 'sts',
    hubRepo: 'mteb/sts16-sts',
    revision: '4d8694f8f0e0100860b497b999b3dbed754a0513',
    split: 'test',
  },
  {
    name: 'Banking77Classification',
    type: 'classification',
    hubRepo: 'mteb/banking77',
    revision: '0fd18e25b25c072e09e0d92ab615fda904d66300',
    split: 'test',
  },
  {
    name: 'SciFact',
    type: 'retrieval',
    hubRepo: 'mteb/scifact',
    revision: 'd56462d0e63a25450459c4f213e49ffdb866f7f9',
    split: 'test',
  },
  { name: 'NFCorpus', type: 'retrieval', hubRepo: 'mteb/nfcorpus', revision: 'main', split: 'test' },
  { name: 'ArguAna', type: 'retrieval', hubRepo: 'mteb/arguana', revision: 'main', split: 'test' },
];

export function knownTaskNames(): string[] {
  return KNOWN_TASKS.map((t) => t.name);
}

export interface GetTaskOptions extends ClassificationOptions, RetrievalOptions {
  /** Local data instead of the hub: a file (STS: the split's file) or a folder holding the split files. */
  path?: string;
  split?: string;
  /** Classification: label column (default `label`, else `category`). */
  labelColumn?: string;
  /** How to reach the hub when `path` is not given (revision, cacheDir, offline, token, endpoint...). */
  hub?: HubOptions;
}

/**
 * An evaluator for a named task (see `knownTaskNames()`) or for a BEIR folder given as the name. Data come
 * from `options.path` when given, else from MTEB's copy on the Hugging Face hub (through the hub cache).
 */
export async function getTask(name: string, options: GetTaskOptions = {}): Promise<Evaluator> {
  const spec = KNOWN_TASKS.find((t) => t.name.toLowerCase() === name.toLowerCase());
  if (!spec) {
    if (isBeirFolder(name)) {
      const split = options.split ?? 'test';
      return new RetrievalEvaluator(loadBeirData(name, split), { ...options, name: basename(name), split });
    }
    throw new Error(
      `unknown task "${name}"; known tasks: ${knownTaskNames().join(', ')} (or a path to a BEIR folder)`,
    );
  }
  const split = options.split ?? spec.split;
  const folder = options.path ?? (await downloadTask(spec, split, options.hub));
  switch (spec.type) {
    case 'sts':
      return new StsEvaluator(loadStsData(resolveSplitFile(folder, split, spec.name)), {
        name: spec.name,
        split,
      });
    case 'classification': {
      const loadOptions = options.labelColumn ? { labelColumn: options.labelColumn } : {};
      return new ClassificationEvaluator(
        loadClassificationData(resolveSplitFile(folder, 'train', spec.name), loadOptions),
        loadClassificationData(resolveSplitFile(folder, split, spec.name), loadOptions),
        { ...options, name: spec.name, split },
      );
    }
    case 'retrieval':
      if (!isBeirFolder(folder))
        throw new Error(`${spec.name}: ${folder} is not a BEIR folder (no corpus.jsonl)`);
      return new RetrievalEvaluator(loadBeirData(folder, split), { ...options, name: spec.name, split });
  }
}

async function downloadTask(spec: TaskSpec, split: string, hub: HubOptions = {}): Promise<string> {
  const allowPatterns =
    spec.type === 'retrieval'
      ? ['corpus.jsonl*', 'queries.jsonl*', `qrels/${split}.tsv*`]
      : ['*.jsonl', '*.jsonl.gz', '*.csv', '*.tsv'];
  return snapshotDownload(spec.hubRepo, {
    revision: spec.revision,
    ...hub,
    repoType: 'dataset',
    allowPatterns,
  });
}

const SPLIT_ALIASES: Record<string, string[]> = {
  validation: ['validation', 'dev'],
  dev: ['dev', 'validation'],
};

/** The file of `split` in a task folder (`test.jsonl[.gz]`, `test.csv`, `sts-test.csv`...), or `path` itself if a file. */
export function resolveSplitFile(path: string, split: string, task: string): string {
  if (!existsSync(path)) throw new Error(`${task}: ${path} does not exist`);
  if (statSync(path).isFile()) return path;
  const names = (SPLIT_ALIASES[split] ?? [split]).flatMap((s) => [
    `${s}.jsonl`,
    `${s}.jsonl.gz`,
    `${s}.csv`,
    `${s}.tsv`,
    `sts-${s}.csv`,
    `data/${s}.jsonl`,
  ]);
  for (const n of names) if (existsSync(join(path, n))) return join(path, n);
  throw new Error(`${task}: no ${split} split in ${path} (looked for ${names.join(', ')})`);
}
