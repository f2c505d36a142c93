// Cross-encoder parity with an independent PyTorch BertForSequenceClassification (scripts/parity/
// torch_cross_encoder.py over ../shared/bench/ref_bert.py) on random cross-encoders of another shape than the
// tiny fixture (hidden 96, 3 layers, 6 heads, intermediate 200, max positions 128): one with 3 labels (logits
// compared directly) and one with 1 label (sigmoid scores), built by `contrastive init --cross-encoder` and scored
// by `contrastive score` on both engines, with pairs long enough that longest-first truncation to 64 tokens cuts
// them; token ids and types must match exactly. Needs Debian's PyTorch (`apt-get install -y python3-torch`);
// prints one JSON line; exits 1 on an id mismatch or a difference above 1e-4.
// Run: node --conditions=@contrastive/source --import tsx scripts/parity/cross_encoder.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CrossEncoder } from '../../packages/bert/src/index.js';
import { repoRoot, sharedDir } from '../../test-support/shared.js';

const TOLERANCE = 1e-4;
const MAX_LENGTH = 64;
const dir = mkdtempSync(join(tmpdir(), 'ce-parity-'));
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
    { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
const read = (path: string) =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { score?: number; scores?: number[] });

try {
  const shared = sharedDir();
  // Pairs of 1 to 6 consecutive SNLI sentences a side: short ones and ones that longest-first truncation cuts.
  const s1 = readFileSync(join(shared, 'data/snli/s1.dev'), 'utf8').split('\n');
  const s2 = readFileSync(join(shared, 'data/snli/s2.dev'), 'utf8').split('\n');
  const pairs = Array.from({ length: 40 }, (_, i) => [
    s1.slice(i * 7, i * 7 + 1 + (i % 6)).join(' '),
    s2.slice(i * 5, i * 5 + 1 + ((i * 3) % 5)).join(' '),
  ]);
  writeFileSync(join(dir, 'pairs.json'), JSON.stringify(pairs));
  writeFileSync(
    join(dir, 'pairs.jsonl'),
    pairs.map(([sentence1, sentence2]) => `${JSON.stringify({ sentence1, sentence2 })}\n`).join(''),
  );
  const config = {
    model_type: 'bert',
    vocab_size: 30522,
    hidden_size: 96,
    num_hidden_layers: 3,
    num_attention_heads: 6,
    intermediate_size: 200,
    max_position_embeddings: 128,
    type_vocab_size: 2,
    hidden_act: 'gelu',
    layer_norm_eps: 1e-12,
    // Larger than BERT's 0.02 so the logits spread (a check on near-zero logits would prove little).
    initializer_range: 0.2,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const result: Record<string, unknown> = { shape: config, pairs: pairs.length, max_length: MAX_LENGTH };
  let worst = 0;
  for (const labels of [3, 1]) {
    const model = join(dir, `ce${labels}`);
    cli([
      'init',
      '--cross-encoder',
      '--num-labels',
      String(labels),
      '--config',
      join(dir, 'config.json'),
      '--tokenizer',
      join(shared, 'models/all-MiniLM-L6-v2-config'),
      '--output',
      model,
      '--seed',
      '11',
    ]);
    const torch = JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        [
          join(repoRoot, 'scripts/parity/torch_cross_encoder.py'),
          '--shared',
          shared,
          '--model',
          model,
          '--pairs',
          join(dir, 'pairs.json'),
          '--max-len',
          String(MAX_LENGTH),
        ],
        { encoding: 'utf8', maxBuffer: 1 << 26 },
      ),
    ) as { logits: number[][]; input_ids: number[][]; token_type_ids: number[][] };
    // Token ids and types of our tokenizer: exactly the reference's.
    const ce = await CrossEncoder.load(model, { maxLength: MAX_LENGTH });
    const idMismatches = pairs.filter((p, i) => {
      const b = ce.tokenizePairs([p as [string, string]]);
      return (
        JSON.stringify(Array.from(b.inputIds)) !== JSON.stringify(torch.input_ids[i]) ||
        JSON.stringify(Array.from(b.tokenTypeIds)) !== JSON.stringify(torch.token_type_ids[i])
      );
    }).length;
    ce.dispose();
    result[`labels${labels}_id_mismatches`] = idMismatches;
    if (idMismatches > 0) worst = Number.POSITIVE_INFINITY;
    const lengths = torch.input_ids.map((x) => x.length);
    result[`labels${labels}_tokens`] = [Math.min(...lengths), Math.max(...lengths)];
    result[`labels${labels}_truncated_pairs`] = lengths.filter((n) => n === MAX_LENGTH).length;
    // One label: score = sigmoid(logit), sentence-transformers' default activation; several: the logits.
    const expected = torch.logits.map((row) => (labels === 1 ? [1 / (1 + Math.exp(-row[0]!))] : row));
    const flat = expected.flat();
    const mean = flat.reduce((s, x) => s + x, 0) / flat.length;
    result[`labels${labels}_reference_std`] = Math.sqrt(
      flat.reduce((s, x) => s + (x - mean) ** 2, 0) / flat.length,
    );
    for (const engine of ['onnx', 'tfjs']) {
      const out = join(dir, `scores-${labels}-${engine}.jsonl`);
      cli([
        'score',
        '--model',
        model,
        '--input',
        join(dir, 'pairs.jsonl'),
        '--max-length',
        String(MAX_LENGTH),
        '--engine',
        engine,
        '--output',
        out,
      ]);
      const ours = read(out).map((r) => (labels === 1 ? [r.score!] : r.scores!));
      let diff = 0;
      ours.forEach((row, i) =>
        row.forEach((x, j) => {
          diff = Math.max(diff, Math.abs(x - expected[i]![j]!));
        }),
      );
      result[`labels${labels}_${engine}_max_abs_diff`] = diff;
      worst = Math.max(worst, diff);
    }
  }
  result.max_abs_diff = worst;
  result.pass = worst <= TOLERANCE;
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (worst > TOLERANCE) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
