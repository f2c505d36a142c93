import { initBackend, tf } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalize, pool } from './pooling.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

// Two sentences, 3 positions, hidden 2. Sentence 1 has one padding token.
const emb = [
  [
    [1, 2],
    [3, -4],
    [100, 100],
  ],
  [
    [0, 1],
    [2, 3],
    [4, -5],
  ],
];
const mask = [
  [1, 1, 0],
  [1, 1, 1],
];
const run = (mode: Parameters<typeof pool>[0], m = mask, opts = {}) =>
  tf.tidy(() => pool(mode, tf.tensor3d(emb), tf.tensor2d(m, undefined, 'int32'), opts).arraySync());

describe('pooling modes (hand-computed)', () => {
  it('mean ignores padding', () => {
    expect(run('mean')).toEqual(
      [
        [2, -1],
        [2, -1 / 3],
      ].map((r) => r.map((v) => expect.closeTo(v, 6))),
    );
  });
  it('cls takes position 0', () => {
    expect(run('cls')).toEqual([
      [1, 2],
      [0, 1],
    ]);
  });
  it('max ignores padding', () => {
    expect(run('max')).toEqual([
      [3, 2],
      [4, 3],
    ]);
  });
  it('mean_sqrt_len divides the sum by √n', () => {
    const r = run('mean_sqrt_len');
    expect(r[0]![0]).toBeCloseTo(4 / Math.SQRT2, 5);
    expect(r[1]![1]).toBeCloseTo(-1 / Math.sqrt(3), 5);
  });
  it('weightedmean weights positions 1..L', () => {
    const r = run('weightedmean');
    expect(r[0]![0]).toBeCloseTo((1 * 1 + 2 * 3) / 3, 5);
    expect(r[1]![1]).toBeCloseTo((1 * 1 + 2 * 3 + 3 * -5) / 6, 5);
  });
  it('lasttoken takes the last real token, for right and left padding', () => {
    expect(run('lasttoken')).toEqual([
      [3, -4],
      [4, -5],
    ]);
    expect(
      run('lasttoken', [
        [0, 1, 1],
        [1, 1, 1],
      ]),
    ).toEqual([
      [100, 100],
      [4, -5],
    ]);
  });
  it('include_prompt=false drops the leading [CLS]+prompt positions from the mean', () => {
    // 1 leading position excluded: sentence 1 keeps position 1 only (2 is padding); sentence 2 keeps 1 and 2.
    expect(run('mean', mask, { excludeLeadingTokens: 1 })).toEqual([
      [3, -4],
      [3, -1],
    ]);
  });
  it('normalize gives unit rows', () => {
    const r = tf.tidy(() =>
      normalize(
        tf.tensor2d([
          [3, 4],
          [0, 0],
        ]),
      ).arraySync(),
    );
    expect(r[0]![0]).toBeCloseTo(0.6, 6);
    expect(r[0]![1]).toBeCloseTo(0.8, 6);
    expect(r[1]).toEqual([0, 0]);
  });
});
