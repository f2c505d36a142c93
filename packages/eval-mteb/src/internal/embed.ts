import type { Embedder, EvaluateOptions } from '../types.js';

export const DEFAULT_BATCH_SIZE = 64;

/**
 * Embeds `texts` in batches, each distinct text once (STS and pair sets repeat sentences a lot), and checks
 * that the model answers with one finite vector of a constant dimension per text.
 */
export async function embedAll(
  model: Embedder,
  texts: string[],
  options: EvaluateOptions = {},
): Promise<Float64Array[]> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const unique = new Map<string, number>();
  const distinct: string[] = [];
  for (const t of texts) {
    if (!unique.has(t)) {
      unique.set(t, distinct.length);
      distinct.push(t);
    }
  }
  const vectors: Float64Array[] = [];
  let dim = -1;
  for (let start = 0; start < distinct.length; start += batchSize) {
    const batch = distinct.slice(start, start + batchSize);
    const out = await model.embed(batch);
    if (!Array.isArray(out) || out.length !== batch.length) {
      throw new Error(
        `embed() returned ${Array.isArray(out) ? out.length : typeof out} vectors for ${batch.length} texts`,
      );
    }
    for (let i = 0; i < out.length; i++) {
      const v = Float64Array.from(out[i] as ArrayLike<number>);
      if (dim < 0) dim = v.length;
      if (v.length !== dim || dim === 0) {
        throw new Error(
          `embed() returned a vector of length ${v.length} for text ${start + i}, expected ${dim}`,
        );
      }
      for (let j = 0; j < v.length; j++) {
        if (!Number.isFinite(v[j]))
          throw new Error(`embed() returned a non-finite value for text "${batch[i]}"`);
      }
      vectors.push(v);
    }
    options.progress?.(Math.min(start + batchSize, distinct.length), distinct.length);
  }
  return texts.map((t) => vectors[unique.get(t)!]!);
}
