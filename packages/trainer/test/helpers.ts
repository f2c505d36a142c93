import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SentenceEncoder } from '@contrastive/bert';
import { sharedPath } from '../../../test-support/shared.js';
import type { ColumnarDataset } from '../src/index.js';

export const tinyModelDir = sharedPath('fixtures', 'tiny-bert');

export function loadTiny(): Promise<SentenceEncoder> {
  return SentenceEncoder.load(tinyModelDir);
}

export function columnar(columns: Record<string, unknown[]>): ColumnarDataset {
  const names = Object.keys(columns);
  return { columnNames: names, numRows: columns[names[0]!]!.length, column: (n) => columns[n]! };
}

/** The first `n` (premise, hypothesis) entailment pairs of SNLI dev, read straight from the line-aligned files. */
export function snliPairs(n: number): { anchor: string[]; positive: string[]; negative: string[] } {
  const read = (f: string) => readFileSync(join(sharedPath('data', 'snli'), f), 'utf8').split('\n');
  const s1 = read('s1.dev');
  const s2 = read('s2.dev');
  const labels = read('labels.dev');
  const anchor: string[] = [];
  const positive: string[] = [];
  const negative: string[] = [];
  for (let i = 0; i < labels.length && anchor.length < n; i++) {
    if (labels[i] !== 'entailment') continue;
    anchor.push(s1[i]!);
    positive.push(s2[i]!);
    negative.push(s2[(i + 7) % labels.length]!);
  }
  return { anchor, positive, negative };
}

export async function weightsOf(m: SentenceEncoder): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const { name, variable } of m.namedVariables()) out.set(name, (await variable.data()) as Float32Array);
  return out;
}

export function maxWeightDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let m = 0;
  for (const [k, v] of a) {
    const w = b.get(k)!;
    for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]! - w[i]!));
  }
  return m;
}
