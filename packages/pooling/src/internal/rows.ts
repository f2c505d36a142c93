/** Embeddings on the host: one row per text (what `SentenceEncoder.encode` returns). */
export type EmbeddingRows = readonly ArrayLike<number>[];

/** Throws unless every row is `d` wide (the first row's width), naming the first that is not: `<label>[i]`. */
export function checkRowWidths(label: string, rows: EmbeddingRows, d: number): void {
  rows.forEach((r, i) => {
    if (r.length !== d)
      throw new RangeError(`${label}[${i}] has ${r.length} values, expected ${d} (the first row's)`);
  });
}
