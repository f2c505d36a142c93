import type { Embedder } from '../src/index.js';

/** FNV-1a, 32 bit. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A cheap deterministic embedder for tests: hashed bag of lower-cased words (signed feature hashing),
 * so that the evaluators can run full protocols on real data sets in well under a second of "model" time.
 */
export class HashingEmbedder implements Embedder {
  calls = 0;
  textsEmbedded = 0;
  constructor(readonly dim = 64) {}

  embed(texts: string[]): number[][] {
    this.calls++;
    this.textsEmbedded += texts.length;
    return texts.map((t) => {
      const v = new Array<number>(this.dim).fill(0);
      for (const word of t.toLowerCase().match(/[a-z0-9']+/g) ?? []) {
        const h = fnv1a(word);
        v[h % this.dim]! += h & 0x80000000 ? -1 : 1;
      }
      return v;
    });
  }
}

/** An embedder from a fixed text → vector table; unknown texts are an error. */
export function tableEmbedder(table: Record<string, number[]>): Embedder {
  return {
    embed: async (texts: string[]) =>
      texts.map((t) => {
        const v = table[t];
        if (!v) throw new Error(`no vector for "${t}"`);
        return v;
      }),
  };
}
