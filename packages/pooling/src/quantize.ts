import { type EmbeddingRows, checkRowWidths } from './internal/rows.js';

/** sentence-transformers' embedding precisions. */
export type EmbeddingPrecision = 'float32' | 'int8' | 'uint8' | 'binary' | 'ubinary';

/** Options of quantizeEmbeddings (int8 / uint8 only). */
export interface QuantizeOptions {
  /** Per-dimension `[min[], max[]]` of the int8 / uint8 buckets. */
  ranges?: readonly [ArrayLike<number>, ArrayLike<number>];
  /** Embeddings whose per-dimension min and max give the ranges (default: the embeddings themselves). */
  calibrationEmbeddings?: EmbeddingRows;
}

/** The rows quantizeEmbeddings returns for each precision. */
export interface QuantizedRows {
  float32: Float32Array[];
  int8: Int8Array[];
  uint8: Uint8Array[];
  binary: Int8Array[];
  ubinary: Uint8Array[];
}

function minMax(rows: EmbeddingRows, d: number): [Float64Array, Float64Array] {
  const lo = new Float64Array(d).fill(Number.POSITIVE_INFINITY);
  const hi = new Float64Array(d).fill(Number.NEGATIVE_INFINITY);
  for (const r of rows)
    for (let j = 0; j < d; j++) {
      lo[j] = Math.min(lo[j]!, r[j]!);
      hi[j] = Math.max(hi[j]!, r[j]!);
    }
  return [lo, hi];
}

const checkWidth = (what: string, rows: EmbeddingRows, d: number) =>
  checkRowWidths(`quantizeEmbeddings: ${what}`, rows, d);

/**
 * sentence-transformers' `quantize_embeddings`. `int8` / `uint8`: each dimension's range (given `ranges`, else the
 * min and max of `calibrationEmbeddings`, else of the embeddings themselves) cut into 256 buckets, the value
 * truncated to its bucket (uint8 0…255; int8 that − 128); a dimension whose range is one value maps to bucket 0.
 * `binary` / `ubinary`: one bit per dimension (value > 0), packed 8 to a byte, first dimension in the high bit
 * (numpy's `packbits`; a row whose width is not a multiple of 8 is padded with zero bits), ubinary as bytes,
 * binary as bytes − 128. `float32`: a copy.
 */
export function quantizeEmbeddings<P extends EmbeddingPrecision>(
  embeddings: EmbeddingRows,
  precision: P,
  options: QuantizeOptions = {},
): QuantizedRows[P] {
  const d = embeddings[0]?.length ?? 0;
  checkWidth('embeddings', embeddings, d);
  switch (precision) {
    case 'float32':
      return embeddings.map((r) => Float32Array.from(r)) as QuantizedRows[P];
    case 'int8':
    case 'uint8': {
      let lo: ArrayLike<number>;
      let hi: ArrayLike<number>;
      if (options.ranges) {
        [lo, hi] = options.ranges;
        checkWidth('ranges', [lo, hi], d);
      } else if (options.calibrationEmbeddings) {
        checkWidth('calibrationEmbeddings', options.calibrationEmbeddings, d);
        if (options.calibrationEmbeddings.length === 0)
          throw new RangeError('quantizeEmbeddings: calibrationEmbeddings is empty');
        [lo, hi] = minMax(options.calibrationEmbeddings, d);
      } else [lo, hi] = minMax(embeddings, d);
      const shift = precision === 'int8' ? 128 : 0;
      // float32 arithmetic (Math.fround at each step), as numpy computes on float32 embeddings: a value at the top
      // of its range lands in bucket 255 there, where float64 could give 254.99….
      const f = Math.fround;
      const steps = Float32Array.from({ length: d }, (_, j) => f(f(hi[j]! - lo[j]!) / 255));
      return embeddings.map((r) => {
        const out = precision === 'int8' ? new Int8Array(d) : new Uint8Array(d);
        for (let j = 0; j < d; j++) {
          const step = steps[j]!;
          // Outside the range the bucket is clamped (numpy's astype would wrap around).
          const bucket = step > 0 ? Math.min(255, Math.max(0, f(f(r[j]! - f(lo[j]!)) / step))) : 0;
          out[j] = Math.trunc(f(bucket - shift));
        }
        return out;
      }) as QuantizedRows[P];
    }
    case 'binary':
    case 'ubinary': {
      const bytes = Math.ceil(d / 8);
      return embeddings.map((r) => {
        const packed = new Uint8Array(bytes);
        for (let j = 0; j < d; j++) if (r[j]! > 0) packed[j >> 3]! |= 0x80 >> (j & 7);
        if (precision === 'ubinary') return packed;
        return Int8Array.from(packed, (b) => b - 128);
      }) as QuantizedRows[P];
    }
    default:
      throw new RangeError(
        `quantizeEmbeddings: precision must be float32, int8, uint8, binary or ubinary, got "${precision as string}"`,
      );
  }
}
