import { tf } from './tf.js';

export interface LeakReport {
  /** numTensors after each call, the first one included (it may allocate caches). */
  counts: number[];
  /** Growth between the second and the last call: 0 when nothing leaks. */
  growth: number;
}

/**
 * Calls `fn` `runs` times and records `tf.memory().numTensors` after each. The first call may create
 * long-lived tensors (caches, lazily built weights), so growth is measured from the second call on.
 */
export async function measureTensorGrowth(
  fn: () => unknown | Promise<unknown>,
  runs = 5,
): Promise<LeakReport> {
  if (runs < 3) throw new Error('measureTensorGrowth: runs must be at least 3');
  const counts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await fn();
    if (r instanceof tf.Tensor) r.dispose();
    counts.push(tf.memory().numTensors);
  }
  return { counts, growth: counts[counts.length - 1]! - counts[1]! };
}

/** Throws when repeated calls of `fn` leave tensors behind. */
export async function assertNoTensorLeak(fn: () => unknown | Promise<unknown>, runs = 5): Promise<void> {
  const { counts, growth } = await measureTensorGrowth(fn, runs);
  if (growth !== 0)
    throw new Error(
      `tensor leak: numTensors grew by ${growth} over ${runs - 2} calls (${counts.join(' → ')})`,
    );
}

/** Disposes every tensor in a nested structure of tensors. */
export function disposeAll(x: unknown): void {
  if (x instanceof tf.Tensor) x.dispose();
  else if (Array.isArray(x)) x.forEach(disposeAll);
  else if (x && typeof x === 'object') Object.values(x).forEach(disposeAll);
}
