import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedPath } from './shared.js';

/** STS-B train sentences (column 6 of the tab-separated original release), first `n`: unlabeled text for tests. */
export function stsSentences(n: number): string[] {
  return readFileSync(sharedPath('data', 'stsb', 'sts-train.csv'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(0, n)
    .map((l) => l.split('\t')[5]!);
}

/** The last line of a CLI's stdout, parsed (each command prints one JSON line). */
export function lastJsonLine(stdout: string) {
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

/** A JSON-lines file (a CLI's output, a run's `metrics.jsonl`), one parsed value per line; `T` unchecked. */
export function readJsonl<T = ReturnType<typeof JSON.parse>>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T);
}

/** The training losses a run logged to its `metrics.jsonl`, in order. */
export function loggedLosses(out: string): number[] {
  return readJsonl(join(out, 'metrics.jsonl'))
    .filter((m) => 'loss' in m)
    .map((m) => m.loss as number);
}
