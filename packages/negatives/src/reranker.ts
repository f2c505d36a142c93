import { embedTexts } from './embedding_cache.js';
import type { Embedder, Reranker } from './types.js';

/**
 * A Reranker from an embedding model: cosine similarity of query and passage. Use a second (stronger) model
 * to filter false negatives until a cross-encoder is at hand.
 */
export class EmbedderReranker implements Reranker {
  constructor(private readonly embedder: Embedder) {}

  async score(pairs: Array<[string, string]>): Promise<number[]> {
    if (pairs.length === 0) return [];
    const texts = [...new Set(pairs.flat())];
    const m = await embedTexts(this.embedder, texts);
    const row = new Map(texts.map((t, i) => [t, i] as const));
    const d = m.dimension;
    return pairs.map(([a, b]) => {
      const i = row.get(a)! * d;
      const j = row.get(b)! * d;
      let s = 0;
      for (let x = 0; x < d; x++) s += m.data[i + x]! * m.data[j + x]!;
      return s;
    });
  }
}
