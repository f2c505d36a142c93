import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { mallocTunedEnv } from '../../../packages/cli/src/malloc_tunables.js';
import { runProcess } from '../../../test-support/cli.js';
import { deviceAvailable } from '../../../test-support/onnx_device.js';
import { repoRoot } from '../../../test-support/shared.js';

/** `pnpm bench` with `flags`, from the sources. */
const runBench = (flags: string[]) =>
  runProcess(
    process.execPath,
    ['--conditions=@contrastive/source', '--import', 'tsx', join(repoRoot, 'scripts', 'bench.ts'), ...flags],
    { cwd: repoRoot },
  );

// Not a benchmark: keeps `pnpm bench` runnable (a tiny model, 128 sentences, 2 training steps).
describe('pnpm bench', () => {
  it('--quick --shape tiny prints one valid JSON line per configuration and writes them to --json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const out = join(dir, 'bench.jsonl');
    const run = await runBench(['--quick', '--shape', 'tiny', '--workers', '2', '--json', out]);
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
      // Each configuration's process ran with the CLI's malloc tunables (on glibc).
      expect(r.glibc_tunables).toBe((mallocTunedEnv(process.env) ?? process.env).GLIBC_TUNABLES ?? null);
    }
    // Both engines train: tfjs-wasm (GradCache MNRL) and onnxruntime (plain MNRL, loss and AdamW on tfjs).
    for (const r of rows) {
      expect(r.train_pairs_per_s).toBeGreaterThan(0);
      expect(r.train_error).toBeUndefined();
      expect(r.train_steps).toBe(2);
    }
    expect(rows[1]!.train_loss).toBe('mnrl');
    // The onnx encode ran in two worker sessions of one thread each (--workers 2).
    expect(rows[1]!.encode_workers).toBe(2);
    expect(rows[1]!.train_engine).toMatch(/onnxruntime-node/);
  });

  it('--reference without PyTorch says how to install it and still runs ours; --roofline divides by the matmul rate', async () => {
    const run = await runBench([
      ...['--quick', '--shape', 'tiny', '--reference', '--roofline', '--rounds', '1'],
      ...['--python', join(repoRoot, 'no-such-python')],
    ]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain('apt-get install -y python3-torch');
    const rows = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    // The roofline before, our onnx row (no tfjs-wasm: --reference compares the default engine), the roofline
    // after, the round, the medians.
    expect(rows).toHaveLength(5);
    const [before, ours, after, round, summary] = rows as [
      Record<string, number | string>,
      Record<string, number>,
      Record<string, number | string>,
      Record<string, number | null>,
      Record<string, unknown>,
    ];
    expect([before.when, after.when]).toEqual(['before', 'after']);
    expect(before.gemm_gflops).toBeGreaterThan(0);
    expect(after.gemm_gflops).toBeGreaterThan(0);
    // The round divides by the higher of the two measurements.
    const rate = Math.max(before.gemm_gflops as number, after.gemm_gflops as number);
    expect([ours.backend, ours.shape, ours.round]).toEqual(['onnx', 'tiny', 1]);
    expect(ours.train_pairs_per_s).toBeGreaterThan(0);
    // tiny: 2 layers, H 32, I 64; a sentence of n tokens costs 2·2n(4·32² + 2·32·64) + 2·4n²·32 FLOPs.
    expect(ours.encode_gflop_per_sentence).toBeGreaterThan(2 * 2 * 3 * (4 * 1024 + 2 * 2048) * 1e-9);
    expect(ours.train_gflop_per_pair).toBeGreaterThan(2 * ours.encode_gflop_per_sentence!);
    expect(round.vs_pytorch_train).toBeNull();
    expect(round.gemm_gflops).toBe(rate);
    const train = ours.train_pairs_per_s! * ours.train_gflop_per_pair!;
    expect(round.achieved_gflops_train).toBeCloseTo(train, 3);
    expect(round.roofline_train).toBeCloseTo(train / rate, 2);
    const sorted = ours.encode_sentences_per_s_sorted! * ours.encode_gflop_per_sentence!;
    expect(round.roofline_encode_sorted).toBeCloseTo(sorted / rate, 2);
    expect(summary).toMatchObject({
      summary: true,
      rounds: 1,
      backend: 'onnx',
      shape: 'tiny',
      median_vs_pytorch_train: null,
      median_roofline_train: round.roofline_train,
      median_roofline_encode_sorted: round.roofline_encode_sorted,
    });
    expect(summary.reference_error).toBeTruthy();
  });

  it('--device: the onnx rows on that device (named in the row); refused beside the CPU-only measurements', async () => {
    const refused = await runBench(['--quick', '--shape', 'tiny', '--device', 'webgpu', '--roofline']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('--device webgpu: --reference and --roofline are CPU measurements');
    if (!(await deviceAvailable('webgpu'))) return; // a WebGPU device: a GPU, or Mesa's lavapipe
    const run = await runBench(['--quick', '--shape', 'tiny', '--device', 'webgpu']);
    expect(run.status, run.stderr).toBe(0);
    const rows = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    // Only the onnx row: the device is the onnx engine's.
    expect(rows.map((r) => [r.backend, r.device])).toEqual([['onnx', 'webgpu']]);
    expect(rows[0]!.encode_sentences_per_s_sorted).toBeGreaterThan(0);
    expect(rows[0]!.train_pairs_per_s).toBeGreaterThan(0);
    expect(rows[0]!.error).toBeUndefined();
  });
});
