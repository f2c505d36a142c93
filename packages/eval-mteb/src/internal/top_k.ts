/** A scored document id. */
export interface Hit {
  id: string;
  score: number;
}

/**
 * Order of a ranking, as trec_eval sorts a run: score descending, ties broken by document id descending.
 * Returns < 0 when `a` ranks before `b`.
 */
export function compareHits(a: Hit, b: Hit): number {
  if (a.score !== b.score) return b.score - a.score;
  return a.id > b.id ? -1 : a.id < b.id ? 1 : 0;
}

/** Keeps the k best hits seen so far in a min-heap (the root is the worst kept hit). */
export class TopK {
  private readonly heap: Hit[] = [];

  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`top-k size must be a positive integer, got ${k}`);
  }

  /** Score the current worst kept hit must beat (−∞ until k hits are kept). */
  get threshold(): number {
    return this.heap.length < this.k ? Number.NEGATIVE_INFINITY : this.heap[0]!.score;
  }

  push(id: string, score: number): void {
    const hit = { id, score };
    if (this.heap.length < this.k) {
      this.heap.push(hit);
      this.siftUp(this.heap.length - 1);
    } else if (compareHits(hit, this.heap[0]!) < 0) {
      this.heap[0] = hit;
      this.siftDown(0);
    }
  }

  /** The kept hits, best first. */
  sorted(): Hit[] {
    return [...this.heap].sort(compareHits);
  }

  // "Worse" = ranks later; the worst sits at the root.
  private worse(i: number, j: number): boolean {
    return compareHits(this.heap[i]!, this.heap[j]!) > 0;
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < n && this.worse(l, worst)) worst = l;
      if (r < n && this.worse(r, worst)) worst = r;
      if (worst === i) return;
      this.swap(i, worst);
      i = worst;
    }
  }

  private swap(i: number, j: number): void {
    const t = this.heap[i]!;
    this.heap[i] = this.heap[j]!;
    this.heap[j] = t;
  }
}

export interface ExactSearchOptions {
  k: number;
  /** Drop a document whose id equals the query's id (MTEB / BEIR's ignore_identical_ids). Default true. */
  ignoreIdenticalIds?: boolean;
}

/**
 * Exact inner-product search of `queries` against one block of documents, merged into per-query top-k
 * heaps. Each score goes straight into its query's heap (no queries × documents matrix), so memory stays
 * O(queries × k) however large the corpus is; call once per corpus chunk.
 */
export function searchBlock(
  queryIds: readonly string[],
  queryVectors: readonly Float64Array[],
  documentIds: readonly string[],
  documentVectors: readonly Float64Array[],
  heaps: TopK[],
  options: ExactSearchOptions,
): void {
  const ignoreIdentical = options.ignoreIdenticalIds ?? true;
  for (let q = 0; q < queryVectors.length; q++) {
    const qv = queryVectors[q]!;
    const heap = heaps[q]!;
    const qid = queryIds[q]!;
    const dim = qv.length;
    for (let d = 0; d < documentVectors.length; d++) {
      const dv = documentVectors[d]!;
      if (dv.length !== dim)
        throw new Error(`document ${documentIds[d]} has dimension ${dv.length}, queries ${dim}`);
      let s = 0;
      for (let j = 0; j < dim; j++) s += qv[j]! * dv[j]!;
      if (s < heap.threshold) continue;
      const did = documentIds[d]!;
      if (ignoreIdentical && did === qid) continue;
      heap.push(did, s);
    }
  }
}
