/** Largest absolute element-wise difference between two lists of vectors (e.g. embeddings). */
export function maxAbsDiff(a: ArrayLike<number>[], b: ArrayLike<number>[]): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: ${a.length} vectors vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.length !== y.length)
      throw new Error(`maxAbsDiff: vector ${i} has length ${x.length} vs ${y.length}`);
    for (let j = 0; j < x.length; j++) m = Math.max(m, Math.abs(x[j]! - y[j]!));
  }
  return m;
}

/**
 * `maxAbsDiff` of two vectors over the largest magnitude of `want` (at least `floor`): for gradients, whose scales
 * differ by orders of magnitude between weights and whose sums over many tokens differ in rounding order.
 */
export function relativeMaxDiff(got: ArrayLike<number>, want: ArrayLike<number>, floor = 1e-3): number {
  let scale = floor;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  return maxAbsDiff([got], [want]) / scale;
}
