/**
 * Keeps the k highest-scoring items seen, in a binary min-heap: O(log k) per accepted item and one compare
 * per rejected one, so scanning a 100k-passage row for its top 50 costs little more than reading it.
 * Ties keep the lower index (the first seen), as a stable sort would.
 */
export class TopK {
  private readonly ids: Int32Array;
  private readonly vals: Float64Array;
  private size = 0;

  constructor(readonly k: number) {
    this.ids = new Int32Array(Math.max(k, 0));
    this.vals = new Float64Array(Math.max(k, 0));
  }

  /** Lower bound an item must beat to enter (−∞ until full). */
  get threshold(): number {
    return this.size < this.k ? Number.NEGATIVE_INFINITY : this.vals[0]!;
  }

  push(id: number, value: number): void {
    if (this.k === 0) return;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.less(value, id, this.vals[parent]!, this.ids[parent]!)) break;
        this.vals[i] = this.vals[parent]!;
        this.ids[i] = this.ids[parent]!;
        i = parent;
      }
      this.vals[i] = value;
      this.ids[i] = id;
      return;
    }
    if (!this.less(this.vals[0]!, this.ids[0]!, value, id)) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const c = r < this.size && this.less(this.vals[r]!, this.ids[r]!, this.vals[l]!, this.ids[l]!) ? r : l;
      if (!this.less(this.vals[c]!, this.ids[c]!, value, id)) break;
      this.vals[i] = this.vals[c]!;
      this.ids[i] = this.ids[c]!;
      i = c;
    }
    this.vals[i] = value;
    this.ids[i] = id;
  }

  /** Heap order: a is "smaller" (evicted first) when its value is lower, or equal with a higher id. */
  private less(va: number, ia: number, vb: number, ib: number): boolean {
    return va < vb || (va === vb && ia > ib);
  }

  /** The kept items, best first. */
  sorted(): { indices: number[]; scores: number[] } {
    const order = Array.from({ length: this.size }, (_, i) => i).sort(
      (a, b) => this.vals[b]! - this.vals[a]! || this.ids[a]! - this.ids[b]!,
    );
    return { indices: order.map((i) => this.ids[i]!), scores: order.map((i) => this.vals[i]!) };
  }
}
