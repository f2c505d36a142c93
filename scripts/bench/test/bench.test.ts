import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../../../test-support/cli.js';
import { repoRoot } from '../../../test-support/shared.js';

// Not a benchmark: keeps `pnpm bench` runnable (a tiny model, 128 sentences, 2 training steps).
describe('pnpm bench', () => {
  it('--quick --shape tiny prints one valid JSON line per configuration and writes them to --json', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bench-')), 'bench.jsonl');
    const run = await runProcess(
      process.execPath,
      [
        '--conditions=@contrastive/source',
        '--import',
        'tsx',
        join(repoRoot, 'scripts', 'bench.ts'),
        '--quick',
        '--shape',
        'tiny',
        '--json',
        out,
      ],
      { cwd: repoRoot },
    );
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual(lines);
    const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    // tfjs-wasm is single-threaded; with the native matmul (on by default) its large products use 2 threads.
    const wasmThreads = rows[0]!.native_matmul === 'onnxruntime-node, 2 threads' ? 2 : 1;
    expect(rows.map((r) => [r.backend, r.shape, r.threads])).toEqual([
      ['tfjs-wasm', 'tiny', wasmThreads],
      ['onnx', 'tiny', 2],
    ]);
    expect(rows[0]!.native_matmul).toMatch(/^(onnxruntime-node, \d+ threads|off)$/);
    for (const r of rows) {
      expect(Object.keys(r).slice(0, 7)).toEqual([
        'backend',
        'threads',
        'shape',
        'encode_sentences_per_s',
        'encode_sentences_per_s_sorted',
        'train_pairs_per_s',
        'peak_rss_mb',
      ]);
      expect(r.error).toBeUndefined();
      expect(r.encode_sentences_per_s).toBeGreaterThan(0);
      expect(r.encode_sentences_per_s_sorted).toBeGreaterThan(0);
      expect(r.peak_rss_mb).toBeGreaterThan(0);
    }
    // Both engines train: tfjs-wasm (GradCache MNRL) and onnxruntime (plain MNRL, loss and AdamW on tfjs).
    for (const r of rows) {
      expect(r.train_pairs_per_s).toBeGreaterThan(0);
      expect(r.train_error).toBeUndefined();
      expect(r.train_steps).toBe(2);
    }
    expect(rows[1]!.train_loss).toBe('mnrl');
    expect(rows[1]!.train_engine).toMatch(/onnxruntime-node/);
  });
});
