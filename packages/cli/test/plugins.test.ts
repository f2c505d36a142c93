import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { repoRoot } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { readJsonl } from '../../../test-support/training_output.js';
import { runTrainCli, tinyBert } from './helpers.js';

let dir: string;
const cliDir = fileURLToPath(new URL('..', import.meta.url));

// A plugin with every kind of export: an augmenter and an evaluator as named exports, a loss through register(api).
const PLUGIN = `import { tf } from '@contrastive/tensor-gpu';
import { embedColumns } from '@contrastive/losses';

export const augmenters = {
  shout: ({ n }) => ({ name: 'shout', augment: async (text) => Array.from({ length: n }, (_, i) => text.toUpperCase() + '!'.repeat(i + 1)) }),
};

export const evaluators = {
  'mean-norm': ({ data, split }) => ({
    name: 'mean-norm',
    mainScoreName: 'mean_norm',
    async evaluate(model) {
      const texts = (await import('node:fs')).readFileSync(data, 'utf8').trim().split('\\n');
      const e = await model.embed(texts);
      const norms = e.map((v) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0)));
      const mean = norms.reduce((a, b) => a + b, 0) / norms.length;
      return { name: 'mean-norm', split, mainScoreName: 'mean_norm', mainScore: mean, scores: { mean_norm: mean } };
    },
  }),
};

// A miner that ranks corpus passages by length, longest first (unscored): easy to check by hand.
export const miners = {
  longest: () => ({
    name: 'longest',
    scored: false,
    async candidates(queries, ctx) {
      const ranked = [...ctx.corpus].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
      return queries.map(() => ({ candidates: ranked.slice(0, ctx.k).map((text) => ({ text })) }));
    },
  }),
};

export function register(api) {
  api.registerLoss('plugin-pull', () => ({
    name: 'plugin-pull',
    columns: { minInputs: 2, maxInputs: 2, label: 'none', description: '(anchor, positive)' },
    forward: (model, batch, ctx) =>
      tf.tidy(() => {
        const [a, p] = embedColumns(model, batch, ctx, 'plugin-pull');
        return tf.mean(tf.sum(tf.square(tf.sub(a, p)), 1));
      }),
  }));
}
`;

beforeAll(() => {
  dir = tempDir('contrastive-plugins-');
  // The plugin imports @contrastive/tensor-gpu and @contrastive/losses as an installed plugin would: here they
  // resolve through the CLI package's own node_modules (the same files the CLI runs, so one tfjs instance).
  symlinkSync(join(cliDir, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'plugin.mjs'), PLUGIN);
  writeFileSync(join(dir, 'empty.mjs'), 'export const nothing = 1;\n');
  writeFileSync(join(dir, 'texts.txt'), 'a cat\nTwo dogs\n');
  writeFileSync(
    join(dir, 'pairs.jsonl'),
    ['a cat|a kitten', 'two dogs|some puppies', 'rain today|wet weather', 'a car|a vehicle']
      .map((l) => JSON.stringify({ anchor: l.split('|')[0], positive: l.split('|')[1] }))
      .join('\n'),
  );
});

describe('contrastive --plugin', () => {
  it('uses a plugin augmenter by --method, before or after the subcommand', async () => {
    for (const args of [
      ['--plugin', join(dir, 'plugin.mjs'), 'augment'],
      ['augment', '--plugin', join(dir, 'plugin.mjs')],
    ]) {
      const out = join(dir, 'shout.jsonl');
      const r = await runCli([
        ...args,
        '--method',
        'shout',
        '--n',
        '2',
        '--input',
        join(dir, 'texts.txt'),
        '--output',
        out,
      ]);
      expect(r.status, r.stderr).toBe(0);
      const lines = readJsonl(out);
      expect(lines).toEqual([
        { text: 'a cat', augmented: ['A CAT!', 'A CAT!!'] },
        { text: 'Two dogs', augmented: ['TWO DOGS!', 'TWO DOGS!!'] },
      ]);
    }
  });

  it('lists a plugin loss in train --help, resolving a relative path against the working directory', async () => {
    // runCli runs in the repository root (its tsx loader resolves from there).
    const relativePath = relative(repoRoot, join(dir, 'plugin.mjs'));
    expect(relativePath.startsWith('..')).toBe(true);
    const r = await runCli(['--plugin', relativePath, 'train', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('plugin-pull: (plugin)');
  });

  it('evaluates with a plugin task: the mean norm of normalized embeddings is 1', async () => {
    const out = join(dir, 'eval.json');
    const r = await runCli([
      '--plugin',
      join(dir, 'plugin.mjs'),
      'eval',
      '--model',
      tinyBert,
      '--task',
      'mean-norm',
      '--data',
      join(dir, 'texts.txt'),
      '--normalize',
      '--engine',
      'tfjs',
      '--output',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const line = JSON.parse(r.stdout.trim()) as { main_score: number };
    expect(line.main_score).toBeCloseTo(1, 5);
  });

  it('mines with a plugin miner by --strategy; mineHardNegatives still drops the positives', async () => {
    const rows = join(dir, 'rows.jsonl');
    writeFileSync(
      rows,
      [
        { query: 'q1', pos: 'the longest passage of them all' },
        { query: 'q2', pos: 'short one' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const corpus = join(dir, 'corpus.jsonl');
    const texts = [
      'the longest passage of them all',
      'a fairly long passage',
      'medium text',
      'tiny',
      'short one',
    ];
    writeFileSync(corpus, texts.map((text) => JSON.stringify({ text })).join('\n'));
    const out = join(dir, 'mined.jsonl');
    const r = await runCli([
      '--plugin',
      join(dir, 'plugin.mjs'),
      'mine',
      '--input',
      rows,
      '--corpus',
      corpus,
      '--strategy',
      'longest',
      '--num-negatives',
      '2',
      '--output',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const mined = readJsonl<{ query: string; neg: string[] }>(out);
    // Longest first, the row's own positive skipped.
    expect(mined.map((m) => [m.query, m.neg])).toEqual([
      ['q1', ['a fairly long passage', 'medium text']],
      ['q2', ['the longest passage of them all', 'a fairly long passage']],
    ]);
    const unknown = await runCli([
      'mine',
      '--input',
      rows,
      '--corpus',
      corpus,
      '--strategy',
      'longest',
      '--output',
      out,
    ]);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/--strategy.*longest/);
  });

  it("trains with a loss from the config file's plugins list (a path relative to the config)", async () => {
    const config = join(dir, 'train.yaml');
    writeFileSync(config, 'plugins:\n  - ./plugin.mjs\nloss: plugin-pull\nmax-steps: 2\nbatch-size: 2\n');
    const output = join(dir, 'out');
    const r = await runTrainCli({ train: join(dir, 'pairs.jsonl'), output, progress: false }, [
      '--config',
      config,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout.trim()) as { steps: number; train_loss: number };
    expect(result.steps).toBe(2);
    expect(result.train_loss).toBeGreaterThan(0);
    expect(existsSync(join(output, 'model.safetensors'))).toBe(true);
  });

  it('names a module that is no plugin, and one that cannot be found', async () => {
    const empty = await runCli(['--plugin', join(dir, 'empty.mjs'), 'encode', '--help']);
    expect(empty.status).toBe(1);
    expect(empty.stderr).toBe(
      `contrastive: plugin ${join(dir, 'empty.mjs')}: not a contrastive plugin (it exports no register(api), losses, modules, evaluators, augmenters or miners)\n`,
    );
    const missing = await runCli(['--plugin', 'no-such-contrastive-plugin', 'encode', '--help']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^contrastive: plugin no-such-contrastive-plugin: cannot find module/);
  });

  it('prints help with exit 0 without arguments, and the version', async () => {
    const help = await runCli([]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: contrastive');
    const version = await runCli(['--version']);
    expect(version.stdout.trim()).toBe(
      JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')).version,
    );
  });
});
