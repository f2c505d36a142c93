// Parity of both engines with PyTorch on a random all-MiniLM-L6-v2-shaped model and ~150-token texts:
// `contrastive encode` (onnx and tfjs) against ../shared/bench/ref_bert.py, and 5 AdamW steps of MNRL through
// `contrastive train` against the same steps in PyTorch. Needs Debian's PyTorch (`apt-get install -y python3-torch`);
// prints one JSON line. Run: node --conditions=@contrastive/source --import tsx scripts/parity/check.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maxAbsDiff } from '../../test-support/compare.js';
import { repoRoot, sharedDir } from '../../test-support/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'parity-'));
const cli = (args: string[]) =>
  execFileSync(
    process.execPath,
    [
      '--conditions=@contrastive/source',
      '--import',
      'tsx',
      join(repoRoot, 'packages/cli/src/bin.ts'),
      ...args,
    ],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
try {
  const shared = sharedDir();
  const model = join(dir, 'model');
  cli([
    'init',
    '--preset',
    'mini',
    '--tokenizer',
    join(shared, 'models/all-MiniLM-L6-v2-config'),
    '--output',
    model,
    '--seed',
    '7',
  ]);
  // ~150-token texts: consecutive SNLI premises joined.
  const s1 = readFileSync(join(shared, 'data/snli/s1.dev'), 'utf8').split('\n');
  const texts = Array.from({ length: 24 }, (_, i) => s1.slice(i * 12, i * 12 + 12 - (i % 5)).join(' '));
  writeFileSync(join(dir, 'texts.json'), JSON.stringify(texts));
  writeFileSync(join(dir, 'texts.txt'), `${texts.join('\n')}\n`);
  const s2 = readFileSync(join(shared, 'data/snli/s2.dev'), 'utf8').split('\n');
  const pairs = {
    anchor: texts.slice(0, 16),
    positive: Array.from({ length: 16 }, (_, i) => s2.slice(i * 9, i * 9 + 8).join(' ')),
  };
  writeFileSync(join(dir, 'pairs.json'), JSON.stringify(pairs));
  writeFileSync(
    join(dir, 'pairs.jsonl'),
    pairs.anchor.map((a, i) => JSON.stringify({ anchor: a, positive: pairs.positive[i] })).join('\n'),
  );
  const torch = JSON.parse(
    execFileSync(
      '/usr/bin/python3',
      [
        join(repoRoot, 'scripts/parity/torch_parity.py'),
        '--shared',
        shared,
        '--model',
        model,
        '--texts',
        join(dir, 'texts.json'),
        '--pairs',
        join(dir, 'pairs.json'),
      ],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      },
    ),
  ) as { embeddings: number[][]; token_lengths: number[]; losses: number[] };
  const result: Record<string, unknown> = {
    tokens_min: Math.min(...torch.token_lengths),
    tokens_max: Math.max(...torch.token_lengths),
  };
  for (const engine of ['onnx', 'tfjs']) {
    const out = join(dir, `emb-${engine}.jsonl`);
    cli([
      'encode',
      '--model',
      model,
      '--input',
      join(dir, 'texts.txt'),
      '--output',
      out,
      '--engine',
      engine,
      '--batch-size',
      '16',
    ]);
    const ours = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { embedding: number[] }).embedding);
    result[`encode_${engine}_max_abs_diff`] = maxAbsDiff(ours, torch.embeddings);

    const run = join(dir, `train-${engine}`);
    cli([
      'train',
      '--model',
      model,
      '--train',
      join(dir, 'pairs.jsonl'),
      // tfjs keeps every activation of the batch (16 × 2 texts of ~150 tokens would pass wasm's 4 GiB heap):
      // GradCache gives the same loss and gradients as MNRL in mini-batches.
      ...(engine === 'tfjs'
        ? ['--loss', 'cached-mnrl', '--loss-arg', 'mini_batch_size=4']
        : ['--loss', 'mnrl']),
      '--output',
      run,
      '--max-steps',
      '5',
      '--batch-size',
      '16',
      '--lr',
      '1e-4',
      '--dropout',
      '0',
      '--max-grad-norm',
      '0',
      '--lr-scheduler',
      'constant',
      '--warmup-steps',
      '0',
      '--weight-decay',
      '0',
      '--logging-steps',
      '1',
      '--save-strategy',
      'no',
      '--engine',
      engine,
    ]);
    const logged = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { loss?: number })
      .filter((m) => m.loss !== undefined)
      .map((m) => m.loss!);
    result[`train_${engine}_max_rel_diff`] = Math.max(
      ...logged.map((l, i) => Math.abs(l - torch.losses[i]!) / Math.abs(torch.losses[i]!)),
    );
    result[`train_${engine}_losses`] = logged;
  }
  result.torch_losses = torch.losses;
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
