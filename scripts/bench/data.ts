import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedPath } from '../../test-support/shared.js';

export interface NliPair {
  premise: string;
  hypothesis: string;
}

/** SNLI dev entailment pairs in file order (the benchmark data). */
export function snliEntailmentPairs(): NliPair[] {
  const dir = sharedPath('data', 'snli');
  const lines = (name: string) => readFileSync(join(dir, name), 'utf8').split('\n');
  const s1 = lines('s1.dev');
  const s2 = lines('s2.dev');
  const labels = lines('labels.dev');
  const pairs: NliPair[] = [];
  labels.forEach((label, i) => {
    if (label.trim() !== 'entailment') return;
    const premise = s1[i];
    const hypothesis = s2[i];
    if (premise === undefined || hypothesis === undefined)
      throw new Error(`${dir}: s1.dev/s2.dev have fewer lines than labels.dev (line ${i + 1})`);
    pairs.push({ premise: premise.trim(), hypothesis: hypothesis.trim() });
  });
  return pairs;
}

/** The tokenizer files of all-MiniLM-L6-v2 (no weights). */
export function miniLmConfigDir(): string {
  return sharedPath('models', 'all-MiniLM-L6-v2-config');
}
