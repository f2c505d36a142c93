import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listLosses } from '@contrastive/losses';
import { initBackend } from '@contrastive/tensor-gpu';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { registerTrain, runTrain } from '../src/commands/train.js';

const fixture = sharedPath('fixtures', 'tiny-bert');
let dir: string;

/** Small data files in each column layout the losses take, built from SNLI dev. */
function writeLayouts(d: string) {
  const read = (f: string) => readFileSync(join(sharedPath('data', 'snli'), f), 'utf8').split('\n');
  const [s1, s2, labels] = [read('s1.dev'), read('s2.dev'), read('labels.dev')];
  const rows = Array.from({ length: 24 }, (_, i) => ({
    a: s1[i]!,
    b: s2[i]!,
    c: s2[(i + 5) % 24]!,
    l: labels[i]!,
  }));
  const jsonl = (name: string, objs: object[]) =>
    writeFileSync(join(d, `${name}.jsonl`), objs.map((o) => JSON.stringify(o)).join('\n'));
  jsonl(
    'pairs',
    rows.map((r) => ({ anchor: r.a, positive: r.b })),
  );
  jsonl(
    'triplets',
    rows.map((r) => ({ anchor: r.a, positive: r.b, negative: r.c })),
  );
  jsonl(
    'scored',
    rows.map((r, i) => ({ sentence1: r.a, sentence2: r.b, score: r.l === 'entailment' ? 1 : (i % 3) / 4 })),
  );
  jsonl(
    'binary',
    rows.map((r) => ({ sentence1: r.a, sentence2: r.b, label: r.l === 'entailment' ? 1 : 0 })),
  );
  jsonl(
    'nli',
    rows.map((r) => ({
      premise: r.a,
      hypothesis: r.b,
      label: { contradiction: 0, entailment: 1, neutral: 2 }[r.l] ?? 2,
    })),
  );
  jsonl(
    'margin',
    rows.map((r, i) => ({ query: r.a, positive: r.b, negative: r.c, label: 0.5 + (i % 4) / 4 })),
  );
  // Multilingual distillation: a text, its "translation", the teacher's embedding (the fixture is 32 wide).
  jsonl(
    'teacher',
    rows.map((r, i) => ({
      english: r.a,
      translated: r.b,
      label: Array.from({ length: 32 }, (_, j) => Math.sin(i + j) / 10),
    })),
  );
  jsonl(
    'distill',
    rows.map((r, i) => ({ query: r.a, positive: r.b, negative: r.c, label: [3 + (i % 2), 1 - (i % 3) / 3] })),
  );
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  dir = tempDir('losses-cli-');
  writeLayouts(dir);
});

const cases: Array<[string, string, string[]]> = [
  ['softmax', 'nli', []],
  ['cosine', 'scored', []],
  ['mnrl', 'triplets', []],
  ['mnrl-symmetric', 'pairs', []],
  ['cached-mnrl', 'pairs', ['mini_batch_size=4']],
  ['infonce', 'pairs', ['temperature=0.1']],
  ['triplet', 'triplets', []],
  ['contrastive', 'binary', []],
  ['online-contrastive', 'binary', []],
  ['cosent', 'scored', []],
  ['angle', 'scored', []],
  ['gist', 'pairs', [`guide=${fixture}`]],
  ['margin-mse', 'margin', []],
  ['distill-kl', 'distill', []],
  ['embedding-mse', 'teacher', []],
  ['matryoshka', 'pairs', ['inner=mnrl', 'dims=32,16']],
];

describe('contrastive train: every --loss name trains on its column layout', () => {
  it.each(cases)('%s on %s', async (loss, data, lossArgs) => {
    const r = await runTrain({
      model: fixture,
      train: [join(dir, `${data}.jsonl`)],
      loss,
      lossArg: lossArgs,
      output: join(dir, `out-${loss}`),
      maxSteps: 2,
      batchSize: 8,
      saveStrategy: 'no',
      progress: false,
    });
    expect(r.steps).toBe(2);
    expect(Number.isFinite(r.train_loss as number)).toBe(true);
  });
});

describe('contrastive train --help', () => {
  it('lists every registered loss with its options, from the loss definitions', () => {
    const program = new Command();
    let help = '';
    program.configureOutput({
      writeOut: (s) => {
        help += s;
      },
    });
    registerTrain(program);
    program.commands[0]!.outputHelp();
    expect(help).toContain('--loss <name>');
    expect(help.replace(/\s+/g, ' ')).toContain(listLosses().join(', '));
    for (const name of listLosses()) expect(help).toMatch(new RegExp(`^  ${name} \\(`, 'm'));
    expect(help).toContain('Options: temperature=0.05, similarity=cosine, useAnchorsAsNegatives=false');
    expect(help).toContain('Options: distance=euclidean, margin=5');
  });
});
