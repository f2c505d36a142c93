import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { tf } from '../tf.js';

/** Gradient of sum(gather(table, ids) * w) with respect to the table: the embedding-table gradient. */
function embeddingGrad(table: number[][], ids: number[], weights: number[][]): number[][] {
  return tf.tidy(() => {
    const t = tf.tensor2d(table);
    const w = tf.tensor2d(weights);
    const idx = tf.tensor1d(ids, 'int32');
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.gather(x, idx), w)))(t);
    return g.arraySync() as number[][];
  });
}

describe('UnsortedSegmentSum on wasm', () => {
  it('is registered and gives the cpu backend gradient of an embedding lookup', async () => {
    const vocab = 7;
    const dim = 5;
    const table = Array.from({ length: vocab }, (_, i) =>
      Array.from({ length: dim }, (_, j) => Math.sin(i * dim + j)),
    );
    const ids = [3, 1, 3, 6, 0, 3, 1]; // repeated ids must accumulate
    const weights = ids.map((_, i) => Array.from({ length: dim }, (_, j) => Math.cos(i + 2 * j)));

    await initBackend({ backend: 'cpu' });
    const onCpu = embeddingGrad(table, ids, weights);
    await initBackend({ backend: 'wasm' });
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
    const onWasm = embeddingGrad(table, ids, weights);

    // Hand check one row: id 3 appears at positions 0, 2, 5.
    const row3 = Array.from({ length: dim }, (_, j) => weights[0]![j]! + weights[2]![j]! + weights[5]![j]!);
    for (let j = 0; j < dim; j++) expect(onWasm[3]![j]).toBeCloseTo(row3[j]!, 5);
    expect(onWasm[2]).toEqual([0, 0, 0, 0, 0]);
    for (let i = 0; i < vocab; i++)
      for (let j = 0; j < dim; j++) expect(onWasm[i]![j]).toBeCloseTo(onCpu[i]![j]!, 5);
  });

  it('handles a rank-2 segment id tensor and out-of-range ids like tf', async () => {
    await initBackend({ backend: 'wasm' });
    const out = tf.tidy(() =>
      tf
        .unsortedSegmentSum(
          tf.tensor2d([
            [1, 2],
            [3, 4],
            [5, 6],
          ]),
          tf.tensor1d([1, 1, 0], 'int32'),
          3,
        )
        .arraySync(),
    );
    expect(out).toEqual([
      [5, 6],
      [4, 6],
      [0, 0],
    ]);
  });
});
