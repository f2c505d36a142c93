/**
 * `pnpm bench`: encode and training throughput of the issue-8 protocol, one JSON line per configuration.
 *
 * - Model: all-MiniLM-L6-v2's shape (`mini`: hidden 384, 6 layers, 12 heads, intermediate 1536, vocab 30522) with
 *   random weights and the real tokenizer; bert-base's shape (`base`) for encode.
 * - Data: SNLI dev entailment pairs in file order, tokens truncated to 128, dynamic padding.
 * - encode: the first 1024 premises, batch 64, mean pooling, no gradient, batches in file order and sorted by length.
 * - train (tfjs-wasm): MNRL (scale 20) on batches of 32 (premise, hypothesis), dropout 0.1, full backward, AdamW;
 *   one warm-up step, then 8 timed steps.
 * - Each configuration runs in its own process, which reports its peak RSS.
 *
 * Flags: --quick (128 sentences, 2 training steps), --shape <preset> (every configuration on that shape),
 * --json <file> (also write the lines there), --threads <n> (onnxruntime intra-op threads, default 2),
 * --repeat <n> (best of n timed encode passes), --only <backend> (tfjs-wasm, tfjs-gpu or onnx).
 * - tfjs-gpu rows appear when @tensorflow/tfjs-node-gpu is installed (the same protocol on its CUDA backend).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { exitOnFatalErrors } from '@contrastive/core';

// No onnxruntime-node telemetry or /tmp/mat-debug-<pid>.log (onnxruntime loads lazily, after this line).
process.env.ORT_DISABLE_TELEMETRY ??= '1';
exitOnFatalErrors('bench');

interface Configuration {
  backend: 'tfjs-wasm' | 'tfjs-gpu' | 'onnx';
  shape: string;
  train: boolean;
}

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    shape: { type: 'string' },
    json: { type: 'string' },
    threads: { type: 'string', default: '2' },
    repeat: { type: 'string', default: '1' },
    only: { type: 'string' },
  },
});

const configurations: Configuration[] = args.shape
  ? [
      { backend: 'tfjs-wasm', shape: args.shape, train: true },
      { backend: 'onnx', shape: args.shape, train: true },
    ]
  : [
      { backend: 'tfjs-wasm', shape: 'mini', train: true },
      { backend: 'tfjs-wasm', shape: 'base', train: false },
      { backend: 'onnx', shape: 'mini', train: true },
      { backend: 'onnx', shape: 'base', train: false },
    ];
// With @tensorflow/tfjs-node-gpu installed the same protocol also runs on its CUDA backend (plain MNRL: no wasm heap).
if (gpuBindingInstalled()) {
  configurations.push(
    { backend: 'tfjs-gpu', shape: args.shape ?? 'mini', train: true },
    ...(args.shape ? [] : [{ backend: 'tfjs-gpu' as const, shape: 'base', train: false }]),
  );
}
if (args.only && !['tfjs-wasm', 'tfjs-gpu', 'onnx'].includes(args.only))
  throw new Error(`--only must be tfjs-wasm, tfjs-gpu or onnx, got ${args.only}`);

function gpuBindingInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
    return true;
  } catch {
    return false;
  }
}

const runner = join(dirname(fileURLToPath(import.meta.url)), 'bench', 'run_config.ts');
const lines: string[] = [];
for (const c of configurations.filter((c) => !args.only || c.backend === args.only)) {
  const childArgs = [
    '--conditions=@contrastive/source',
    '--import',
    'tsx',
    runner,
    '--backend',
    c.backend,
    '--shape',
    c.shape,
    '--threads',
    args.threads,
    '--repeat',
    args.repeat,
    ...(c.train ? ['--train'] : []),
    ...(args.quick ? ['--sentences', '128', '--train-steps', '2'] : []),
  ];
  const child = spawnSync(process.execPath, childArgs, {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const last = child.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  let line: Record<string, unknown>;
  // The error's message, not its stack trace or Node's version banner.
  const why =
    (child.stderr || child.error?.message || '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('at ') && !/^Node\.js v/.test(l) && !/^\^+$/.test(l))
      .slice(-2)
      .join(' | ')
      .slice(0, 400) || `exit ${child.status ?? child.signal}`;
  if (last) {
    line = JSON.parse(last) as Record<string, unknown>;
    // The process died after reporting encode numbers (a wasm abort in training kills it).
    if (child.status !== 0 && c.train && line.train_pairs_per_s === null && !line.train_error)
      line.train_error = why;
    else if (child.status !== 0 && !line.error && !line.train_error) line.error = why;
  } else {
    line = {
      backend: c.backend,
      threads: c.backend === 'onnx' ? Number(args.threads) : 1,
      shape: c.shape,
      encode_sentences_per_s: null,
      encode_sentences_per_s_sorted: null,
      train_pairs_per_s: null,
      peak_rss_mb: null,
      error: why,
    };
  }
  const text = JSON.stringify(line);
  lines.push(text);
  process.stdout.write(`${text}\n`);
}
if (args.json) writeFileSync(args.json, `${lines.join('\n')}\n`);
