import { type Analyzer, createAnalyzer } from './analyzer.js';
import { TopK } from './internal/top_k.js';

/** Okapi BM25 parameters. */
export interface Bm25Options {
  /** Term-frequency saturation (default 1.2, Lucene's). */
  k1?: number;
  /** Length normalization, 0 (none) to 1 (full) (default 0.75). */
  b?: number;
  /** Text → terms (default createAnalyzer(): lowercase Intl.Segmenter words). */
  analyzer?: Analyzer;
}

/** Top-k hits of one query: document indices and their scores, best first. */
export interface Bm25Hits {
  indices: number[];
  scores: number[];
}

/**
 * An Okapi BM25 index over a fixed list of documents:
 *   score(q, d) = Σ_{t ∈ q} idf(t) · tf(t,d)·(k1+1) / (tf(t,d) + k1·(1 − b + b·|d|/avgdl))
 *   idf(t) = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))
 * (Lucene's idf, never negative). A term repeated in the query counts once per occurrence, as rank_bm25 does.
 */
export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  readonly analyzer: Analyzer;
  readonly numDocs: number;
  readonly avgDocLength: number;
  private readonly docLengths: Float32Array;
  /** term → [doc ids, term frequencies], doc ids ascending. */
  private readonly postings = new Map<string, { docs: Int32Array; tfs: Float32Array }>();

  constructor(documents: readonly string[], options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    if (!(this.k1 >= 0)) throw new RangeError(`k1 must be ≥ 0, got ${this.k1}`);
    if (!(this.b >= 0 && this.b <= 1)) throw new RangeError(`b must be in [0, 1], got ${this.b}`);
    this.analyzer = options.analyzer ?? createAnalyzer();
    this.numDocs = documents.length;
    this.docLengths = new Float32Array(documents.length);
    const building = new Map<string, { docs: number[]; tfs: number[] }>();
    let total = 0;
    documents.forEach((doc, d) => {
      const terms = this.analyzer(doc);
      this.docLengths[d] = terms.length;
      total += terms.length;
      const counts = new Map<string, number>();
      for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1);
      for (const [t, c] of counts) {
        let p = building.get(t);
        if (!p) {
          p = { docs: [], tfs: [] };
          building.set(t, p);
        }
        p.docs.push(d);
        p.tfs.push(c);
      }
    });
    this.avgDocLength = documents.length > 0 ? total / documents.length : 0;
    for (const [t, p] of building) {
      this.postings.set(t, { docs: Int32Array.from(p.docs), tfs: Float32Array.from(p.tfs) });
    }
  }

  /** Inverse document frequency of a (analyzed) term. */
  idf(term: string): number {
    const df = this.postings.get(term)?.docs.length ?? 0;
    return Math.log(1 + (this.numDocs - df + 0.5) / (df + 0.5));
  }

  /** BM25 scores of `query` against every document (a Float32Array of numDocs). */
  scoreAll(query: string, out: Float32Array = new Float32Array(this.numDocs)): Float32Array {
    out.fill(0);
    const { k1, b } = this;
    const avg = this.avgDocLength || 1;
    for (const term of this.analyzer(query)) {
      const p = this.postings.get(term);
      if (!p) continue;
      const idf = this.idf(term);
      for (let i = 0; i < p.docs.length; i++) {
        const d = p.docs[i]!;
        const tf = p.tfs[i]!;
        out[d]! += (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * this.docLengths[d]!) / avg));
      }
    }
    return out;
  }

  /** BM25 score of `query` against document `doc`. */
  score(query: string, doc: number): number {
    return this.scoreAll(query)[doc]!;
  }

  /** The k best documents for `query` (documents sharing no term with it score 0 and still count). */
  search(query: string, k: number, scratch?: Float32Array): Bm25Hits {
    const scores = this.scoreAll(query, scratch);
    const top = new TopK(Math.min(k, this.numDocs));
    for (let d = 0; d < scores.length; d++) top.push(d, scores[d]!);
    return top.sorted();
  }
}
