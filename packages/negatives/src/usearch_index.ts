import type { SearchResults, VectorIndex } from './vector_index.js';

/** Options of createUsearchIndex (usearch's HNSW parameters). */
export interface UsearchIndexOptions {
  /** Graph degree (default 16). */
  connectivity?: number;
  /** Candidate list size while building (default 128). */
  expansionAdd?: number;
  /** Candidate list size while searching (default 64; raise it for recall at large k). */
  expansionSearch?: number;
  /**
   * Threads that build the graph (default 0: usearch picks). Several threads insert in a racy order, so the graph
   * and its recall differ between runs; 1 builds the same graph every time.
   */
  threads?: number;
}

interface UsearchModule {
  Index: new (
    options: Record<string, unknown>,
  ) => {
    add(keys: BigUint64Array, vectors: Float32Array, threads?: number): void;
    search(
      vectors: Float32Array,
      k: number,
      threads?: number,
    ): { keys: BigUint64Array; distances: Float32Array; counts?: BigUint64Array };
    size(): number;
  };
}

/**
 * An approximate HNSW index on `usearch` (an optional peer dependency: `npm i usearch`, prebuilt binaries for
 * Linux, macOS and Windows) for corpora where exact search is too slow. Inner-product metric on the
 * vectors as given (normalize them for cosine); scores are 1 − usearch's `ip` distance.
 */
export async function createUsearchIndex(
  dimension: number,
  options: UsearchIndexOptions = {},
): Promise<VectorIndex> {
  let mod: UsearchModule;
  try {
    const imported = (await import('usearch')) as unknown as { default?: UsearchModule } & UsearchModule;
    mod = imported.default ?? imported;
  } catch (e) {
    throw new Error(
      `the HNSW index needs the optional package "usearch" (npm i usearch): ${(e as Error).message}`,
    );
  }
  const index = new mod.Index({
    metric: 'ip',
    dimensions: dimension,
    connectivity: options.connectivity ?? 16,
    expansion_add: options.expansionAdd ?? 128,
    expansion_search: options.expansionSearch ?? 64,
  });
  let count = 0;
  return {
    dimension,
    get size() {
      return count;
    },
    add(vectors: Float32Array) {
      const n = vectors.length / dimension;
      const keys = new BigUint64Array(n);
      for (let i = 0; i < n; i++) keys[i] = BigInt(count + i);
      index.add(keys, vectors, options.threads ?? 0);
      count += n;
    },
    search(
      queries: Float32Array,
      k: number,
      onProgress?: (done: number, total: number) => void,
    ): SearchResults {
      const m = queries.length / dimension;
      const kk = Math.min(k, count);
      const indices = new Int32Array(m * k).fill(-1);
      const scores = new Float32Array(m * k).fill(Number.NEGATIVE_INFINITY);
      const chunk = 1024;
      for (let q0 = 0; q0 < m; q0 += chunk) {
        const q1 = Math.min(m, q0 + chunk);
        for (let q = q0; q < q1; q++) {
          const r = index.search(queries.subarray(q * dimension, (q + 1) * dimension), kk);
          for (let j = 0; j < r.keys.length && j < k; j++) {
            indices[q * k + j] = Number(r.keys[j]);
            scores[q * k + j] = 1 - r.distances[j]!;
          }
        }
        onProgress?.(q1, m);
      }
      return { k, indices, scores };
    },
  };
}
