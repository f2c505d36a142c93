// Where each example writes its results, and the atomic write every example uses.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '@contrastive/core';

/** The examples/ folder (this file is examples/common/results.ts). */
export const examplesDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** An example's own folder: its results file lands there unless --output says otherwise. */
export function exampleDir(name: string): string {
  return join(examplesDir, name);
}

/** Writes `results.json` (pretty JSON) atomically into `dir` and returns its path. */
export function writeResultsJson(dir: string, results: unknown): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'results.json');
  try {
    writeFileAtomic(file, `${JSON.stringify(results, null, 2)}\n`);
  } catch (e) {
    throw new Error(`cannot write ${file}: ${(e as Error).message}`);
  }
  return file;
}

/** Writes `results.md` atomically into `dir` and returns its path. */
export function writeResultsMd(dir: string, markdown: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'results.md');
  try {
    writeFileAtomic(file, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  } catch (e) {
    throw new Error(`cannot write ${file}: ${(e as Error).message}`);
  }
  return file;
}

/** A markdown table from a header and rows (numbers with 4 decimals). */
export function markdownTable(
  header: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
) {
  const cell = (v: string | number) =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : v;
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** True when this module is the script node was started with (examples are both runnable and importable). */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(moduleUrl);
}
