import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../../../test-support/cli.js';
import { repoRoot } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';

const script = join(repoRoot, 'scripts', 'bench', 'readme_section.ts');
const run = (args: string[]) =>
  runProcess(process.execPath, ['--import', 'tsx', script, ...args], { cwd: repoRoot });

const summary = (shape: string, encode: number, train: number, roofEncode: number, roofTrain: number) => ({
  summary: true,
  date: '2026-12-04T17:00:00.000Z',
  command: 'pnpm bench --reference --roofline --json b.jsonl',
  rounds: 5,
  backend: 'onnx',
  shape,
  threads: 2,
  median_vs_pytorch_encode_sorted: encode,
  median_vs_pytorch_train: train,
  median_gemm_gflops: 340.04,
  median_roofline_encode_sorted: roofEncode,
  median_roofline_train: roofTrain,
  this_machine: {
    encode_sentences_per_s_sorted: 800.04,
    train_pairs_per_s: 101.26,
    peak_rss_mb: 1024,
    pytorch_encode_sentences_per_s_sorted: 260,
    pytorch_train_pairs_per_s: 12.4,
    pytorch_peak_rss_mb: 1536,
  },
});

describe('scripts/bench/readme_section.ts', () => {
  it("writes the medians of a run's summary lines and each shape's encode sessions between the README markers", async () => {
    const dir = tempDir('readme-section-');
    const jsonl = join(dir, 'b.jsonl');
    const rows = [
      { backend: 'pytorch', shape: 'mini', round: 1 },
      { backend: 'onnx', shape: 'mini', encode_workers: 2, round: 1 },
      { backend: 'onnx', shape: 'base', encode_workers: 1, round: 1 },
      { backend: 'onnx', shape: 'mini', encode_workers: 2, round: 2 },
      // Written where the run kept it (an absolute path); the README names the file alone.
      {
        ...summary('mini', 3.104, 8.5, 0.871, 0.5049),
        command: `pnpm bench --reference --roofline --json ${dir}/b.jsonl`,
      },
      summary('base', 2.9, 4.354, 0.95, 0.66),
    ];
    writeFileSync(jsonl, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const readme = join(dir, 'README.md');
    writeFileSync(readme, 'before\n<!-- bench:start -->\nold\n<!-- bench:end -->\nafter\n');
    const r = await run([jsonl, '--write', readme]);
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(readme, 'utf8');
    expect(
      text.startsWith(
        'before\n<!-- bench:start -->\nRun: `pnpm bench --reference --roofline --json b.jsonl` on',
      ),
    ).toBe(true);
    expect(text.endsWith('<!-- bench:end -->\nafter\n')).toBe(true);
    expect(text).not.toContain('old');
    expect(text).toContain(
      'on 2026-12-04, 5 rounds interleaved, onnxruntime with 2 threads (encode sessions: 2 on mini, 1 on base); medians over the rounds.',
    );
    expect(text).toContain('| onnx | mini | ×3.10 | ×8.50 | 87% | 50% |');
    expect(text).toContain('| onnx | base | ×2.90 | ×4.35 | 95% | 66% |');
    expect(text).toContain('float32 matmul through onnxruntime 340.0 GFLOP/s');
    expect(text).toContain('| onnx | mini | 800.0 / 260.0 | 101.3 / 12.4 | 1.00 GB / 1.50 GB |');
  });

  it('refuses a file without summary lines, naming it', async () => {
    const dir = tempDir('readme-section-');
    const jsonl = join(dir, 'rounds.jsonl');
    writeFileSync(jsonl, `${JSON.stringify({ backend: 'onnx', shape: 'mini' })}\n`);
    const r = await run([jsonl]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${jsonl}: no summary line`);
  });
});
