/**
 * `pnpm bench`: encode and training throughput of the issue-8 protocol, one JSON line per configuration.
 *
 * - Model: all-MiniLM-L6-v2's shape (`mini`: hidden 384, 6 layers, 12 heads, intermediate 1536, vocab 30522) with
 *   random weights and the real tokenizer; bert-base's shape (`base`: training on onnx, encode on both).
 * - Data: SNLI dev entailment pairs in file order, tokens truncated to 128, dynamic padding.
 * - encode: the first 1024 premises, batch 64, mean pooling, no gradient, batches in file order and sorted by length.
 * - train: MNRL (scale 20) on batches of 32 (premise, hypothesis), dropout 0.1, full backward, AdamW;
 *   one warm-up step, then 8 timed steps.
 * - Each configuration runs in its own process, which reports its peak RSS. On glibc that process starts with the
 *   malloc tunables the `contrastive` CLI starts its commands with (`glibc_tunables` in each row).
 *
 * Flags: --quick (128 sentences, 2 training steps), --shape <preset> (every configuration on that shape),
 * --json <file> (also write the lines there), --threads <n> (onnxruntime intra-op threads, default 2),
 * --workers <n>|auto (onnx encode: sessions in worker threads, the threads split among them; default auto, what
 *   the library's `encode` of many texts uses: `autoWorkers`, two sessions for a small model on the CPU;
 *   --workers 1 measures one session in the calling thread),
 * --repeat <n> (best of n timed encode passes), --only <backend> (tfjs-wasm, tfjs-gpu or onnx),
 * --device <name> (onnx: cpu, the default, or webgpu, cuda, cuda:<n>: the onnx rows only, named in `device`; not with
 *   --reference or --roofline, which are CPU measurements).
 * - tfjs-gpu rows appear when @tensorflow/tfjs-node-gpu is installed (the same protocol on its CUDA backend).
 *
 * Side by side (on a shared machine an absolute figure moves by ±30% from minute to minute; a ratio measured in
 * the same minutes does not):
 * - --reference: `../shared/bench/torch_reference.py` (PyTorch on CPU, best of --threads 1 and 2, length-sorted
 *   encode) runs interleaved with ours for --rounds rounds (default 5; the order alternates every round); each
 *   round prints ours / PyTorch, the end the medians. Only onnx configurations (the default engine) unless --only
 *   says otherwise. --python <path> (default /usr/bin/python3, Debian's PyTorch). Without PyTorch it says how to
 *   install it and still runs ours.
 * - --roofline: before and after our configurations, each round measures this machine's float32 matmul rate
 *   through onnxruntime with our thread count (scripts/bench/roofline.ts), takes the higher of the two (one
 *   measurement caught in a slow moment put the rate below what our own products reached), and prints each
 *   configuration's achieved GFLOP/s (FLOPs from the real token counts) and its fraction of that rate.
 * JSON lines go to stdout (and --json); the readable per-round table and medians go to stderr.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { exitOnFatalErrors } from '@contrastive/core';
import { BERT_PRESETS, type BertPreset } from '../packages/bert/src/config.js';
import { mallocTunedEnv } from '../packages/cli/src/malloc_tunables.js';
import { parseEngineDevice } from '../packages/tensor-gpu/src/device.js';
import { sharedPath } from '../test-support/shared.js';

// No onnxruntime-node telemetry or /tmp/mat-debug-<pid>.log (onnxruntime loads lazily, after this line).
process.env.ORT_DISABLE_TELEMETRY ??= '1';
exitOnFatalErrors('bench');

type Backend = 'tfjs-wasm' | 'tfjs-gpu' | 'onnx';
interface Configuration {
  backend: Backend;
  shape: string;
  train: boolean;
}
type Row = Record<string, unknown>;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    shape: { type: 'string' },
    json: { type: 'string' },
    threads: { type: 'string', default: '2' },
    workers: { type: 'string', default: 'auto' },
    device: { type: 'string', default: 'cpu' },
    repeat: { type: 'string', default: '1' },
    only: { type: 'string' },
    reference: { type: 'boolean', default: false },
    roofline: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});

if (args.only && !['tfjs-wasm', 'tfjs-gpu', 'onnx'].includes(args.only))
  throw new Error(`--only must be tfjs-wasm, tfjs-gpu or onnx, got ${args.only}`);
if (args.shape && !(args.shape in BERT_PRESETS))
  throw new Error(`--shape must be one of ${Object.keys(BERT_PRESETS).join(', ')}, got ${args.shape}`);
const rounds = args.rounds === undefined ? (args.reference ? 5 : 1) : Number(args.rounds);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds must be a positive integer, got ${args.rounds}`);
const device = parseEngineDevice(args.device, '--device');
if (device !== 'cpu' && (args.reference || args.roofline))
  throw new Error(
    `--device ${device}: --reference and --roofline are CPU measurements (PyTorch on the CPU, the CPU's matmul rate)`,
  );
// Side by side, the default engine only (tfjs-wasm training takes minutes a round), unless --only says otherwise;
// on a GPU device only the onnx rows (the device is theirs).
const only: string | undefined = args.only ?? (args.reference || device !== 'cpu' ? 'onnx' : undefined);

const configurations: Configuration[] = args.shape
  ? [
      { backend: 'tfjs-wasm', shape: args.shape, train: true },
      { backend: 'onnx', shape: args.shape, train: true },
    ]
  : [
      { backend: 'tfjs-wasm', shape: 'mini', train: true },
      { backend: 'tfjs-wasm', shape: 'base', train: false },
      { backend: 'onnx', shape: 'mini', train: true },
      // bert-base training (the reference workflow's model): what a real run costs here.
      { backend: 'onnx', shape: 'base', train: true },
    ];
// With @tensorflow/tfjs-node-gpu installed the same protocol also runs on its CUDA backend (plain MNRL: no wasm heap).
if (gpuBindingInstalled()) {
  configurations.push(
    { backend: 'tfjs-gpu', shape: args.shape ?? 'mini', train: true },
    ...(args.shape ? [] : [{ backend: 'tfjs-gpu' as const, shape: 'base', train: false }]),
  );
}
const selected = configurations.filter((c) => !only || c.backend === only);

function gpuBindingInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node-gpu');
    return true;
  } catch {
    return false;
  }
}

const here = dirname(fileURLToPath(import.meta.url));
const lines: string[] = [];
const emit = (row: Row) => {
  const text = JSON.stringify(row);
  lines.push(text);
  process.stdout.write(`${text}\n`);
};
const say = (text: string) => process.stderr.write(`${text}\n`);

/**
 * Our processes (configurations, the roofline) start with the malloc tunables the `contrastive` CLI starts its
 * commands with; PyTorch's run with the environment as it is.
 */
const oursEnv = mallocTunedEnv(process.env) ?? process.env;

/** The last JSON line of a child's stdout and, when it failed, the gist of its stderr (no stack trace). */
function runChild(
  command: string,
  childArgs: string[],
  env: NodeJS.ProcessEnv = process.env,
): { json: Row[]; status: number | null; why: string } {
  const child = spawnSync(command, childArgs, {
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const json = (child.stdout ?? '')
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Row);
  const why =
    (child.stderr || child.error?.message || '')
      .split('\n')
      .map((l) => l.trim())
      .filter(
        (l) => l && !l.startsWith('at ') && !/^Node\.js v/.test(l) && !/^\^+$/.test(l) && !/^File "/.test(l),
      )
      .slice(-2)
      .join(' | ')
      .slice(0, 400) || `exit ${child.status ?? child.signal}`;
  return { json, status: child.error ? null : child.status, why };
}

const tsx = (script: string, rest: string[]) => [
  '--conditions=@contrastive/source',
  '--import',
  'tsx',
  join(here, 'bench', script),
  ...rest,
];

/** One of our configurations in its own process. */
function runOurs(c: Configuration): Row {
  const { json, status, why } = runChild(
    process.execPath,
    tsx('run_config.ts', [
      '--backend',
      c.backend,
      '--shape',
      c.shape,
      '--threads',
      args.threads,
      '--workers',
      args.workers,
      '--device',
      device,
      '--repeat',
      args.repeat,
      ...(c.train ? ['--train'] : []),
      ...(args.quick ? ['--sentences', '128', '--train-steps', '2'] : []),
    ]),
    oursEnv,
  );
  const line = json.pop();
  if (!line) {
    return {
      backend: c.backend,
      threads: c.backend === 'onnx' ? Number(args.threads) : 1,
      shape: c.shape,
      encode_sentences_per_s: null,
      encode_sentences_per_s_sorted: null,
      train_pairs_per_s: null,
      peak_rss_mb: null,
      glibc_tunables: oursEnv.GLIBC_TUNABLES ?? null,
      error: why,
    };
  }
  // The process died after reporting encode numbers (a wasm abort in training kills it).
  if (status !== 0 && c.train && line.train_pairs_per_s === null && !line.train_error) line.train_error = why;
  else if (status !== 0 && !line.error && !line.train_error) line.error = why;
  return line;
}

/** Why PyTorch cannot run (undefined when it can). */
function torchMissing(): string | undefined {
  const r = runChild(args.python, [
    '-c',
    'import json, torch; print(json.dumps({"torch": torch.__version__}))',
  ]);
  return r.status === 0 && r.json.length > 0 ? undefined : r.why;
}

/** Runs torch_reference.py and reports its JSON line with the process's peak RSS (Python's own rusage). */
function runTorch(extra: string[]): Row {
  const wrapper =
    'import json, resource, runpy, sys\n' +
    'sys.argv = sys.argv[1:]\n' +
    'runpy.run_path(sys.argv[0], run_name="__main__")\n' +
    'print(json.dumps({"peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))\n';
  const { json, status, why } = runChild(args.python, [
    '-c',
    wrapper,
    sharedPath('bench', 'torch_reference.py'),
    '--snli',
    sharedPath('data', 'snli'),
    '--vocab',
    sharedPath('models', 'all-MiniLM-L6-v2-config', 'vocab.txt'),
    ...extra,
  ]);
  if (status !== 0 || json.length === 0) return { error: why };
  return Object.assign({}, ...json) as Row;
}

/** PyTorch on one shape, best of 1 and 2 threads for each figure (its best thread count differs by machine). */
function reference(shape: string): Row {
  const d = BERT_PRESETS[shape as BertPreset];
  const byThreads = [1, 2].map(
    (threads): Row => ({
      threads,
      ...runTorch([
        '--threads',
        String(threads),
        '--sort',
        ...['--hidden', String(d.hidden_size), '--layers', String(d.num_hidden_layers)],
        ...['--heads', String(d.num_attention_heads), '--inter', String(d.intermediate_size)],
        ...(args.quick ? ['--encode-n', '128', '--train-steps', '2'] : []),
      ]),
    }),
  );
  const ok = byThreads.filter((r) => !r.error);
  if (ok.length === 0) return { backend: 'pytorch', shape, error: byThreads.map((r) => r.error).join(' | ') };
  const best = (key: string) => ok.reduce((a, r) => ((r[key] as number) > (a[key] as number) ? r : a));
  const train = best('train_pairs_per_s');
  return {
    backend: 'pytorch',
    threads: train.threads,
    shape,
    encode_sentences_per_s_sorted: best('encode_sentences_per_s').encode_sentences_per_s,
    train_pairs_per_s: train.train_pairs_per_s,
    peak_rss_mb: train.peak_rss_mb,
    engine: String(train.engine ?? 'pytorch').replace(/, \d+ threads$/, ''),
    by_threads: byThreads.map(({ threads, encode_sentences_per_s, train_pairs_per_s, error }) => ({
      threads,
      encode_sentences_per_s_sorted: encode_sentences_per_s,
      train_pairs_per_s,
      ...(error ? { error } : {}),
    })),
  };
}

function roofline(): Row {
  const { json, status, why } = runChild(
    process.execPath,
    tsx('roofline.ts', ['--threads', args.threads]),
    oursEnv,
  );
  const line = json.pop();
  return status === 0 && line ? line : { error: why };
}

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const ratio = (a: unknown, b: unknown) => {
  const x = num(a);
  const y = num(b);
  return x !== undefined && y !== undefined && y > 0 ? Number((x / y).toPrecision(3)) : null;
};
const median = (values: Array<number | null>) => {
  const v = values.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : Math.round(((v[m - 1]! + v[m]!) / 2) * 1000) / 1000;
};
const fmt = (v: unknown, digits = 1) => (num(v) === undefined ? '—' : (v as number).toFixed(digits));

// ------------------------------------------------------------------------------------------------ the run
if (!args.reference && !args.roofline) {
  for (const c of selected) emit(runOurs(c));
} else {
  let torchReason: string | undefined;
  let torchBlasWarning: string | undefined;
  if (args.reference) {
    torchReason = torchMissing();
    if (torchReason) {
      say(
        `bench: no PyTorch for ${args.python} (${torchReason}). Install Debian's: apt-get install -y python3-torch (then --python /usr/bin/python3); running ours only.`,
      );
    } else {
      if (!args.only) say('bench: --reference compares the onnx engine (the default); --only picks another.');
      torchBlasWarning = checkTorchBlas();
    }
  }
  const shapes = [...new Set(selected.map((c) => c.shape))];
  const perRound: Row[] = [];
  for (let r = 1; r <= rounds; r++) {
    const refs = new Map<string, Row>();
    const ours: Row[] = [];
    /** The round's matmul rate: the higher of its roofline measurements. */
    let g: number | undefined;
    const runReference = () => {
      if (!args.reference || torchReason) return;
      for (const shape of shapes) {
        const ref = { ...reference(shape), round: r };
        refs.set(shape, ref);
        emit(ref);
      }
    };
    const runOursAll = () => {
      const measureRoofline = (when: 'before' | 'after') => {
        if (!args.roofline) return;
        const row: Row = { ...roofline(), round: r, when };
        emit(row);
        // The machine's rate is the higher measurement (as each configuration reports its best pass).
        const measuredRate = num(row.gemm_gflops);
        if (measuredRate !== undefined) g = Math.max(g ?? measuredRate, measuredRate);
      };
      measureRoofline('before');
      for (const c of selected) {
        const row = { ...runOurs(c), round: r };
        ours.push(row);
        emit(row);
      }
      measureRoofline('after');
    };
    // Alternating the order cancels a slow drift of the machine's speed.
    if (r % 2 === 1) {
      runReference();
      runOursAll();
    } else {
      runOursAll();
      runReference();
    }
    for (const row of ours) {
      const ref = refs.get(row.shape as string);
      const achieved = (rate: unknown, gflop: unknown) => {
        const x = num(rate);
        const y = num(gflop);
        return x !== undefined && y !== undefined ? Number((x * y).toPrecision(4)) : null;
      };
      const encodeGflops = achieved(row.encode_sentences_per_s, row.encode_gflop_per_sentence);
      const sortedGflops = achieved(row.encode_sentences_per_s_sorted, row.encode_gflop_per_sentence);
      const trainGflops = achieved(row.train_pairs_per_s, row.train_gflop_per_pair);
      const summary: Row = {
        round: r,
        backend: row.backend,
        shape: row.shape,
        ...(args.reference
          ? {
              vs_pytorch_encode_sorted: ratio(
                row.encode_sentences_per_s_sorted,
                ref?.encode_sentences_per_s_sorted,
              ),
              vs_pytorch_train: ratio(row.train_pairs_per_s, ref?.train_pairs_per_s),
            }
          : {}),
        ...(args.roofline
          ? {
              gemm_gflops: g ?? null,
              achieved_gflops_encode: encodeGflops,
              achieved_gflops_encode_sorted: sortedGflops,
              achieved_gflops_train: trainGflops,
              roofline_encode: g ? ratio(encodeGflops, g) : null,
              roofline_encode_sorted: g ? ratio(sortedGflops, g) : null,
              roofline_train: g ? ratio(trainGflops, g) : null,
            }
          : {}),
      };
      perRound.push(summary);
      emit(summary);
      say(
        `round ${r} ${row.backend} ${row.shape}: encode sorted ${fmt(row.encode_sentences_per_s_sorted)}/s` +
          (ref
            ? ` vs PyTorch ${fmt(ref.encode_sentences_per_s_sorted)} (×${fmt(summary.vs_pytorch_encode_sorted, 2)})`
            : '') +
          `, train ${fmt(row.train_pairs_per_s)} pairs/s` +
          (ref ? ` vs PyTorch ${fmt(ref.train_pairs_per_s)} (×${fmt(summary.vs_pytorch_train, 2)})` : '') +
          (g
            ? `; matmul ${fmt(g)} GFLOP/s: encode ${fmt(summary.roofline_encode_sorted, 2)} sorted, train ${fmt(summary.roofline_train, 2)} of it`
            : ''),
      );
    }
  }
  // The medians per configuration: what the README quotes.
  for (const c of selected) {
    const mine = perRound.filter((s) => s.backend === c.backend && s.shape === c.shape);
    const m = (key: string) => median(mine.map((s) => num(s[key]) ?? null));
    const rows = lines.map((l) => JSON.parse(l) as Row);
    const oursRows = rows.filter((x) => x.backend === c.backend && x.shape === c.shape && 'peak_rss_mb' in x);
    const refRows = rows.filter((x) => x.backend === 'pytorch' && x.shape === c.shape);
    const med = (list: Row[], key: string) => median(list.map((x) => num(x[key]) ?? null));
    const summary: Row = {
      summary: true,
      date: new Date().toISOString(),
      command: `pnpm bench ${process.argv.slice(2).join(' ')}`.trim(),
      rounds,
      backend: c.backend,
      shape: c.shape,
      threads: Number(args.threads),
      ...(args.reference
        ? {
            median_vs_pytorch_encode_sorted: m('vs_pytorch_encode_sorted'),
            median_vs_pytorch_train: m('vs_pytorch_train'),
            ...(torchReason ? { reference_error: torchReason } : {}),
            ...(torchBlasWarning ? { reference_warning: torchBlasWarning } : {}),
          }
        : {}),
      ...(args.roofline
        ? {
            median_gemm_gflops: m('gemm_gflops'),
            median_roofline_encode: m('roofline_encode'),
            median_roofline_encode_sorted: m('roofline_encode_sorted'),
            median_roofline_train: m('roofline_train'),
          }
        : {}),
      // This machine's absolute figures (medians), for the record: they move with the machine's load.
      this_machine: {
        encode_sentences_per_s_sorted: med(oursRows, 'encode_sentences_per_s_sorted'),
        train_pairs_per_s: med(oursRows, 'train_pairs_per_s'),
        peak_rss_mb: Math.max(0, ...oursRows.map((x) => num(x.peak_rss_mb) ?? 0)),
        ...(refRows.length > 0
          ? {
              pytorch_encode_sentences_per_s_sorted: med(refRows, 'encode_sentences_per_s_sorted'),
              pytorch_train_pairs_per_s: med(refRows, 'train_pairs_per_s'),
              pytorch_peak_rss_mb: Math.max(0, ...refRows.map((x) => num(x.peak_rss_mb) ?? 0)),
            }
          : {}),
      },
    };
    emit(summary);
    say(
      `median over ${rounds} round(s), ${c.backend} ${c.shape}: ${[
        ...(args.reference
          ? [
              `×${fmt(summary.median_vs_pytorch_encode_sorted, 2)} PyTorch (encode sorted), ×${fmt(summary.median_vs_pytorch_train, 2)} (train)`,
            ]
          : []),
        ...(args.roofline
          ? [
              `${fmt(summary.median_roofline_encode_sorted, 2)} of the matmul roofline (encode sorted), ${fmt(summary.median_roofline_train, 2)} (train)`,
            ]
          : []),
      ].join('; ')}`,
    );
  }
}
if (args.json) writeFileSync(args.json, `${lines.join('\n')}\n`);

/**
 * The warning when PyTorch's matmul is far below onnxruntime's here (the ratios would then measure its BLAS, not
 * the work). Debian's python3-torch takes its BLAS from the libblas.so.3 alternative: with only libblas3 (the reference
 * implementation) installed, its matmul runs ~100× below the machine's rate and every ratio is meaningless.
 */
function checkTorchBlas(): string | undefined {
  const torchGemm = Math.max(
    ...[1, 2].map((t) => num(runTorch(['--gemm', '--threads', String(t)]).gemm_gflops) ?? 0),
  );
  const ours = num(roofline().gemm_gflops) ?? 0;
  say(`bench: float32 matmul here: PyTorch ${fmt(torchGemm)} GFLOP/s, onnxruntime ${fmt(ours)} GFLOP/s`);
  if (ours > 0 && torchGemm < 0.5 * ours) {
    const warning = `PyTorch's matmul runs at ${fmt(torchGemm)} GFLOP/s against onnxruntime's ${fmt(ours)}: its BLAS is likely the reference libblas3 (apt-get install -y libopenblas0-pthread gives it an optimized one); ratios against it are not a fair comparison`;
    say(`bench: warning: ${warning}`);
    return warning;
  }
  return undefined;
}
