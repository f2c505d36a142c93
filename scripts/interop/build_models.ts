/**
 * Builds the models of the sentence-transformers load check (`st_check.py`): each made by our CLI the way a user
 * makes one (init, train, saved), with what our engines give for them (embeddings, scores) in `expected.json`.
 * Python's sentence-transformers then loads each folder unchanged and must give the same numbers.
 * The last case goes through the hub: the first model served by the hub test's local stand-in for huggingface.co
 * (`test-org/tiny-bert`), encoded by id, so our download writes the hub cache that sentence-transformers then
 * reads offline.
 * Usage: node --conditions=@contrastive/source --import tsx scripts/interop/build_models.ts <out-dir>
 *   then, where sentence-transformers is installed: python3 scripts/interop/st_check.py <out-dir>
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCli } from '../../test-support/cli.js';
import { startFakeHub } from '../../test-support/fake_hub.js';
import { sharedPath } from '../../test-support/shared.js';
import { readJsonl } from '../../test-support/training_output.js';

const out = resolve(process.argv[2] ?? '');
if (!process.argv[2]) throw new Error('usage: build_models.ts <out-dir>');
mkdirSync(out, { recursive: true });
const tinyBert = sharedPath('fixtures', 'tiny-bert');
const tinyCrossEncoder = sharedPath('fixtures', 'tiny-cross-encoder');

/** One CLI run (asynchronous: the hub case's server runs in this process); a failure stops the build. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<void> {
  const r = await runCli(args, { env: { ORT_DISABLE_TELEMETRY: '1', ...env } });
  if (r.status !== 0) throw new Error(`contrastive ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
}

// Texts of several lengths (one past the tiny models' 32-token limit: truncation must agree too).
const texts = [
  'A man is playing a guitar.',
  'Two dogs run across a snowy field while a child watches from the porch.',
  'The quarterly revenue grew by ten percent, driven by strong demand in the services segment and lower costs.',
  'hi',
  `${'a very long sentence that keeps going '.repeat(6)}and ends here.`,
];
writeFileSync(join(out, 'texts.txt'), `${texts.join('\n')}\n`);
const pairs = [
  ['what was the revenue growth', 'revenue growth was ten percent'],
  ['how much debt', 'total debt was two billion'],
  ['who plays guitar', 'a man is playing a guitar'],
  ['is it snowing', 'two dogs run across a snowy field'],
  ['dividend policy', 'the board declared a dividend'],
  ['tax rate', 'the tax rate was stable'],
];
writeFileSync(
  join(out, 'train.jsonl'),
  pairs.map(([query, pos]) => JSON.stringify({ query, pos })).join('\n'),
);
writeFileSync(
  join(out, 'labeled.jsonl'),
  pairs
    .flatMap(([a, b], i) => [
      { sentence1: a, sentence2: b, label: 1 },
      { sentence1: a, sentence2: pairs[(i + 1) % pairs.length]![1], label: 0 },
    ])
    .map((r) => JSON.stringify(r))
    .join('\n'),
);
writeFileSync(
  join(out, 'nli.jsonl'),
  pairs.map(([a, b], i) => JSON.stringify({ sentence1: a, sentence2: b, label: i % 3 })).join('\n'),
);
writeFileSync(
  join(out, 'pairs.jsonl'),
  pairs.map(([sentence1, sentence2]) => JSON.stringify({ sentence1, sentence2 })).join('\n'),
);

/** A new randomly initialized model of the tiny fixture's shape and tokenizer. */
const init = (name: string, flags: string[]) =>
  cli(['init', '--preset', 'tiny', '--tokenizer', tinyBert, '--output', join(out, name), ...flags]);
const train = (model: string, loss: string, data: string, output: string, flags: string[] = []) =>
  cli([
    'train',
    '--model',
    model,
    '--train',
    join(out, data),
    '--loss',
    loss,
    '--output',
    join(out, output),
    '--max-steps',
    '3',
    '--batch-size',
    '4',
    '--no-progress',
    ...flags,
  ]);
/** `contrastive encode` of the texts by `model` (a folder or a hub id): the embeddings. */
const encode = async (
  model: string,
  name: string,
  flags: string[] = [],
  env: Record<string, string> = {},
) => {
  const file = join(out, `${name}.jsonl`);
  await cli(['encode', '--model', model, '--input', join(out, 'texts.txt'), '--output', file, ...flags], env);
  return readJsonl<{ embedding: number[] }>(file).map((r) => r.embedding);
};
/** `contrastive score` of the pairs by the cross-encoder folder `model`: its scores. */
const score = async (model: string, name: string, flags: string[] = []) => {
  const file = join(out, `${name}.jsonl`);
  await cli(['score', '--model', model, '--input', join(out, 'pairs.jsonl'), '--output', file, ...flags]);
  return readJsonl<{ score?: number; scores?: number[] }>(file).map((r) => r.score ?? r.scores);
};
const at = (name: string) => join(out, name);
/** One embedding case of `expected.json`: the folder `model` encoded on `engine`, the flags following from `more`. */
const encoderCase = async (
  model: string,
  engine: 'onnx' | 'tfjs',
  name: string,
  more: { prompt_name?: string; truncate_dim?: number } = {},
) => {
  const flags = ['--engine', engine];
  if (more.prompt_name !== undefined) flags.push('--prompt-name', more.prompt_name);
  if (more.truncate_dim !== undefined) flags.push('--truncate-dim', String(more.truncate_dim));
  return { model, engine, ...more, embeddings: await encode(at(model), name, flags) };
};

// (1) The tiny BERT fine-tuned with MNRL and a training prompt (saved in config_sentence_transformers.json).
await train(tinyBert, 'mnrl', 'train.jsonl', 'mnrl-prompt', ['--prompt', 'query: ']);
// (2) A new model: CLS pooling + Normalize, fine-tuned; (3) lasttoken pooling, fine-tuned.
await init('init-cls', ['--pooling', 'cls', '--normalize']);
await train(at('init-cls'), 'mnrl', 'train.jsonl', 'cls-normalize');
await init('init-last', ['--pooling', 'lasttoken']);
await train(at('init-last'), 'mnrl', 'train.jsonl', 'lasttoken');
// (4) The tiny cross-encoder fine-tuned with BCE; (5) a new 3-label cross-encoder fine-tuned with cross-entropy.
await train(tinyCrossEncoder, 'bce', 'labeled.jsonl', 'ce-bce');
await init('init-ce3', ['--cross-encoder', '--num-labels', '3']);
await train(at('init-ce3'), 'ce', 'nli.jsonl', 'ce-3labels');

// (6) The first model through the hub cache: `contrastive encode --model test-org/tiny-bert` downloads it into
// <out>/hub-cache (HF_HUB_CACHE) from the local stand-in (HF_ENDPOINT).
const hub = await startFakeHub(at('mnrl-prompt'));
let hubEmbeddings: number[][];
try {
  hubEmbeddings = await encode('test-org/tiny-bert', 'e7', [], {
    HF_ENDPOINT: hub.endpoint,
    HF_HUB_CACHE: at('hub-cache'),
    HF_HUB_OFFLINE: '',
  });
} finally {
  await hub.close();
}

const expected = {
  texts,
  pairs,
  encoders: [
    await encoderCase('mnrl-prompt', 'onnx', 'e1'),
    await encoderCase('mnrl-prompt', 'tfjs', 'e2'),
    await encoderCase('mnrl-prompt', 'onnx', 'e3', { prompt_name: 'query' }),
    await encoderCase('cls-normalize', 'onnx', 'e4'),
    await encoderCase('cls-normalize', 'onnx', 'e5', { truncate_dim: 16 }),
    await encoderCase('lasttoken', 'onnx', 'e6'),
    {
      model: 'test-org/tiny-bert',
      hub_cache: 'hub-cache',
      engine: 'auto',
      embeddings: hubEmbeddings,
    },
  ],
  cross_encoders: [
    { model: 'ce-bce', activation: 'sigmoid', scores: await score(at('ce-bce'), 's1') },
    {
      model: 'ce-3labels',
      activation: 'softmax',
      scores: await score(at('ce-3labels'), 's2', ['--softmax']),
    },
  ],
};
writeFileSync(join(out, 'expected.json'), JSON.stringify(expected));
process.stdout.write(`${JSON.stringify({ out, encoders: expected.encoders.length, cross_encoders: 2 })}\n`);
