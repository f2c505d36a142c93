/** A 32-bit seed for the `k`-th embedding call of a step, distinct for every (base, k). */
export function deriveSeed(base: number, k: number): number {
  let h = Math.imul((base >>> 0) ^ 0x5bd1e995, 0x27d4eb2d) ^ Math.imul(k + 1, 0x165667b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77);
  return (h ^ (h >>> 13)) >>> 0;
}
