// Test helpers (not exported from the package).
import { mulberry32 } from '../src/internal/random.js';
import type { Embedder } from '../src/types.js';

/** A deterministic fake embedder: the sum of a seeded random vector per lowercase word. Records its calls. */
export class WordVectorEmbedder implements Embedder {
  readonly calls: string[][] = [];
  private readonly vectors = new Map<string, Float32Array>();
  constructor(readonly dimension = 8) {}

  vector(word: string): Float32Array {
    let v = this.vectors.get(word);
    if (!v) {
      let h = 2166136261;
      for (const c of word) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
      const r = mulberry32(h);
      v = Float32Array.from({ length: this.dimension }, () => r() * 2 - 1);
      this.vectors.set(word, v);
    }
    return v;
  }

  embed(texts: string[]): number[][] {
    this.calls.push(texts);
    return texts.map((t) => {
      const out = new Array<number>(this.dimension).fill(0);
      for (const w of t.toLowerCase().split(/\W+/).filter(Boolean)) {
        const v = this.vector(w);
        for (let i = 0; i < this.dimension; i++) out[i] = out[i]! + v[i]!;
      }
      out[0]! += 1e-3; // no zero vectors
      return out;
    });
  }
}

/** Independent reference: cosine similarity in float64. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

const WORDS =
  'revenue profit margin cash debt equity asset lease tax growth risk market share dividend loss'.split(' ');

/** Random QA-like rows over a small vocabulary (so texts repeat and collide). */
export function randomRows(seed: number, n: number): { query: string; pos: string }[] {
  const r = mulberry32(seed);
  const text = (len: number) =>
    Array.from({ length: len }, () => WORDS[Math.floor(r() * WORDS.length)]!).join(' ');
  const rows: { query: string; pos: string }[] = [];
  for (let i = 0; i < n; i++) {
    // Some queries repeat (several positives), some positives repeat across queries.
    const query = r() < 0.2 && rows.length > 0 ? rows[Math.floor(r() * rows.length)]!.query : text(3);
    const pos = r() < 0.2 && rows.length > 0 ? rows[Math.floor(r() * rows.length)]!.pos : text(5);
    rows.push({ query, pos });
  }
  return rows;
}
