// Seeded randomness for augmenters: mulberry32 and mixSeed are @contrastive/core's (a seed means the same
// thing in every package); the two small helpers below are augment's own.
export { mixSeed, mulberry32 } from '@contrastive/core';

/** An integer in [0, n). */
export function randInt(random: () => number, n: number): number {
  return Math.floor(random() * n);
}

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randInt(random, i + 1);
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}
