import { describe, expect, it } from 'vitest';
import { quantizeEmbeddings } from './quantize.js';

// Expected values: numpy, as sentence-transformers' quantize_embeddings computes them on these float32 rows.
const E = [
  [0.1, -0.5, 0.9, 0.0, 0.3, -0.2, 0.7, 0.05],
  [-0.3, 0.4, 0.2, 0.8, -0.1, 0.6, -0.9, 0.5],
  [0.0, 0.0, 1.0, -1.0, 0.5, 0.5, 0.1, -0.05],
].map((r) => Float32Array.from(r));
const list = (rows: ArrayLike<number>[]) => rows.map((r) => Array.from(r));

describe('quantizeEmbeddings (sentence-transformers quantize_embeddings)', () => {
  it('uint8 and int8 with ranges from the embeddings themselves', () => {
    expect(list(quantizeEmbeddings(E, 'uint8'))).toEqual([
      [255, 0, 223, 141, 170, 0, 255, 46],
      [0, 255, 0, 255, 0, 255, 0, 255],
      [191, 141, 255, 0, 255, 223, 159, 0],
    ]);
    const int8 = quantizeEmbeddings(E, 'int8');
    expect(int8[0]).toBeInstanceOf(Int8Array);
    expect(list(int8)).toEqual([
      [127, -128, 95, 13, 42, -128, 127, -81],
      [-128, 127, -128, 127, -128, 127, -128, 127],
      [63, 13, 127, -128, 127, 95, 31, -128],
    ]);
  });

  it('int8 with calibration embeddings, and the same through ranges', () => {
    const calibration = [new Array(8).fill(-1), new Array(8).fill(1)];
    const expected = [
      [12, -64, 114, 0, 37, -26, 88, 5],
      [-38, 50, 25, 101, -13, 75, -115, 63],
      [0, 0, 126, -128, 63, 63, 12, -6],
    ];
    expect(list(quantizeEmbeddings(E, 'int8', { calibrationEmbeddings: calibration }))).toEqual(expected);
    expect(list(quantizeEmbeddings(E, 'int8', { ranges: [calibration[0]!, calibration[1]!] }))).toEqual(
      expected,
    );
    // Outside the range: clamped to the end buckets; a one-value range maps to bucket 0.
    expect(
      list(
        quantizeEmbeddings([[5, -5]], 'uint8', {
          ranges: [
            [-1, -1],
            [1, 1],
          ],
        }),
      ),
    ).toEqual([[255, 0]]);
    expect(list(quantizeEmbeddings([[0.5], [0.5]], 'int8'))).toEqual([[-128], [-128]]);
  });

  it('binary and ubinary: one bit per dimension (> 0), high bit first, numpy packbits', () => {
    expect(list(quantizeEmbeddings(E, 'ubinary'))).toEqual([[171], [117], [46]]);
    expect(list(quantizeEmbeddings(E, 'binary'))).toEqual([[43], [-11], [-82]]);
    // 10 dimensions: two bytes, the second padded with zero bits.
    expect(list(quantizeEmbeddings([[1, 0, 0, 0, 0, 0, 0, 1, 1, 1]], 'ubinary'))).toEqual([
      [0b10000001, 0b11000000],
    ]);
  });

  it('float32 copies; bad input is named', () => {
    const f = quantizeEmbeddings(E, 'float32');
    expect(f[0]).not.toBe(E[0]);
    expect(list(f)).toEqual(list(E));
    expect(() => quantizeEmbeddings([[1, 2], [1]], 'int8')).toThrow(
      'quantizeEmbeddings: embeddings[1] has 1 values, expected 2',
    );
    expect(() => quantizeEmbeddings([[1, 2]], 'int8', { ranges: [[0], [1]] })).toThrow(
      'quantizeEmbeddings: ranges[0] has 1 values, expected 2',
    );
    expect(() => quantizeEmbeddings([[1, 2]], 'int4' as 'int8')).toThrow(
      'precision must be float32, int8, uint8, binary or ubinary, got "int4"',
    );
  });
});
