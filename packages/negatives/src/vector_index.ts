import { TopK } from './internal/top_k.js';

/** Top-k results of a batch of queries, row-major `[numQueries × k]`; missing hits are index −1, score −∞. */
export interface SearchResults {
  k: number;
  indices: Int32Array;
  scores: Float32Array;
}

/**
 * A vector index over inner-product similarity (cosine on normalized vectors). Vectors get ids in insertion
 * order (0, 1, ...). Implement this to mine against your own vector database.
 */
export interface VectorIndex {
  readonly dimension: number;
  readonly size: number;
  /** Adds row-major vectors (`length` a multiple of `dimension`). */
  add(vectors: Float32Array): void | Promise<void>;
  /** The k most similar vectors of each row-major query, best first. */
  search(
    queries: Float32Array,
    k: number,
    onProgress?: (done: number, total: number) => void,
  ): SearchResults | Promise<SearchResults>;
}

/** Builds the index searched for vectors of one dimension: an exact index by default, an ANN index for scale. */
export type VectorIndexFactory = (dimension: number) => VectorIndex | Promise<VectorIndex>;

/** The default `VectorIndexFactory`: exact search (`ExactVectorIndex`). */
export const exactVectorIndex: VectorIndexFactory = (dimension) => new ExactVectorIndex(dimension);

/** Options of ExactVectorIndex. */
export interface ExactIndexOptions {
  /** Queries scored together (default 64): memory is queryChunk × corpusBlock floats, never Q × C. */
  queryChunk?: number;
  /** Corpus vectors per block (default 2048). */
  corpusBlock?: number;
}

/**
 * Exact (brute-force) inner-product search in query chunks × corpus blocks, a top-k heap per query: exact
 * results in memory linear in the corpus, for any number of queries.
 */
export class ExactVectorIndex implements VectorIndex {
  private readonly blocks: Float32Array[] = [];
  private count = 0;
  private readonly queryChunk: number;
  private readonly corpusBlock: number;

  constructor(
    readonly dimension: number,
    options: ExactIndexOptions = {},
  ) {
    if (!Number.isInteger(dimension) || dimension < 1)
      throw new RangeError(`dimension must be a positive integer, got ${dimension}`);
    this.queryChunk = options.queryChunk ?? 64;
    this.corpusBlock = options.corpusBlock ?? 2048;
  }

  get size(): number {
    return this.count;
  }

  add(vectors: Float32Array): void {
    const d = this.dimension;
    if (vectors.length % d !== 0)
      throw new RangeError(`add: ${vectors.length} values are not a multiple of dimension ${d}`);
    const n = vectors.length / d;
    for (let start = 0; start < n; start += this.corpusBlock) {
      const end = Math.min(n, start + this.corpusBlock);
      this.blocks.push(vectors.subarray(start * d, end * d));
    }
    this.count += n;
  }

  search(
    queries: Float32Array,
    k: number,
    onProgress?: (done: number, total: number) => void,
  ): SearchResults {
    const d = this.dimension;
    if (queries.length % d !== 0)
      throw new RangeError(`search: ${queries.length} values are not a multiple of dimension ${d}`);
    const m = queries.length / d;
    const kk = Math.max(0, Math.floor(k));
    const indices = new Int32Array(m * kk).fill(-1);
    const scores = new Float32Array(m * kk).fill(Number.NEGATIVE_INFINITY);
    const chunk = this.queryChunk;
    const block = new Float32Array(chunk * this.corpusBlock);
    for (let q0 = 0; q0 < m; q0 += chunk) {
      const q1 = Math.min(m, q0 + chunk);
      const heaps = Array.from({ length: q1 - q0 }, () => new TopK(Math.min(kk, this.count)));
      let base = 0;
      for (const vectors of this.blocks) {
        const n = vectors.length / d;
        scoreBlock(queries, q0, q1, vectors, n, d, block);
        for (let q = q0; q < q1; q++) {
          const heap = heaps[q - q0]!;
          const row = (q - q0) * n;
          let threshold = heap.threshold;
          for (let c = 0; c < n; c++) {
            const s = block[row + c]!;
            if (s >= threshold) {
              heap.push(base + c, s);
              threshold = heap.threshold;
            }
          }
        }
        base += n;
      }
      heaps.forEach((heap, i) => {
        const top = heap.sorted();
        const at = (q0 + i) * kk;
        top.indices.forEach((id, j) => {
          indices[at + j] = id;
          scores[at + j] = top.scores[j]!;
        });
      });
      onProgress?.(q1, m);
    }
    return { k: kk, indices, scores };
  }
}

/**
 * out[(q − q0)·n + c] = ⟨query q, vector c⟩ for a chunk of queries against a block of vectors. Four queries
 * at a time share each load of a corpus vector (register blocking): ~3× the plain double loop in V8.
 */
function scoreBlock(
  queries: Float32Array,
  q0: number,
  q1: number,
  vectors: Float32Array,
  n: number,
  d: number,
  out: Float32Array,
): void {
  let q = q0;
  for (; q + 4 <= q1; q += 4) {
    const a = q * d;
    const b = a + d;
    const c2 = b + d;
    const e = c2 + d;
    const row = (q - q0) * n;
    for (let c = 0; c < n; c++) {
      const co = c * d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let j = 0; j < d; j++) {
        const v = vectors[co + j]!;
        s0 += queries[a + j]! * v;
        s1 += queries[b + j]! * v;
        s2 += queries[c2 + j]! * v;
        s3 += queries[e + j]! * v;
      }
      out[row + c] = s0;
      out[row + n + c] = s1;
      out[row + 2 * n + c] = s2;
      out[row + 3 * n + c] = s3;
    }
  }
  for (; q < q1; q++) {
    const qo = q * d;
    const row = (q - q0) * n;
    for (let c = 0; c < n; c++) {
      const co = c * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += queries[qo + j]! * vectors[co + j]!;
      out[row + c] = s;
    }
  }
}

/** Rows → one row-major Float32Array; a row not `d` wide throws, named by `label(i)`. */
export function toMatrix(
  rows: readonly ArrayLike<number>[],
  d: number,
  label: (i: number) => string = (i) => `embedding ${i}`,
): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((row, i) => {
    if (row.length !== d) throw new RangeError(`${label(i)} has ${row.length} values, expected ${d}`);
    out.set(row, i * d);
  });
  return out;
}

/** Rows → one row-major Float32Array, each row scaled to unit length (so inner product = cosine). */
export function toNormalizedMatrix(rows: readonly ArrayLike<number>[], dimension?: number): Float32Array {
  const d = dimension ?? rows[0]?.length ?? 0;
  return normalizeRows(toMatrix(rows, d), d);
}

/** Scales each row of a row-major matrix to unit L2 norm in place (zero rows stay zero). */
export function normalizeRows(matrix: Float32Array, d: number): Float32Array {
  for (let o = 0; o < matrix.length; o += d) {
    let s = 0;
    for (let j = 0; j < d; j++) s += matrix[o + j]! * matrix[o + j]!;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < d; j++) matrix[o + j]! *= inv;
  }
  return matrix;
}
