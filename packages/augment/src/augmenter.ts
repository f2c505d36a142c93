import { mixSeed, mulberry32, randInt } from './internal/rng.js';

/**
 * Maps a text to zero or more new texts. `seed` makes the result reproducible: the same (text, seed) gives the
 * same output. Async because some augmenters call a model or an API; pure ones resolve at once.
 */
export interface Augmenter {
  readonly name: string;
  augment(text: string, seed: number): Promise<string[]>;
}

/** Wraps a synchronous function of (text, random source) as an `Augmenter` seeded by mulberry32. */
export function fromFunction(name: string, fn: (text: string, random: () => number) => string[]): Augmenter {
  return { name, augment: async (text, seed) => fn(text, mulberry32(seed)) };
}

/** Applies `first`, then `second` to each of its outputs: `compose(deletion, swap)` deletes, then swaps. */
export function compose(first: Augmenter, ...rest: Augmenter[]): Augmenter {
  const stages = [first, ...rest];
  return {
    name: stages.map((a) => a.name).join('+'),
    async augment(text, seed) {
      let texts = [text];
      for (const [s, stage] of stages.entries()) {
        const next: string[] = [];
        for (const [i, t] of texts.entries()) next.push(...(await stage.augment(t, mixSeed(seed, s, i))));
        texts = next;
      }
      return texts;
    },
  };
}

/** Picks one augmenter per call (uniformly, or by `weights`) from the seed. */
export function oneOf(augmenters: Augmenter[], weights?: number[]): Augmenter {
  if (augmenters.length === 0) throw new Error('oneOf: needs at least one augmenter');
  if (weights && (weights.length !== augmenters.length || weights.some((w) => !(w >= 0))))
    throw new Error(`oneOf: weights must be ${augmenters.length} non-negative numbers`);
  const total = weights ? weights.reduce((a, b) => a + b, 0) : augmenters.length;
  if (!(total > 0)) throw new Error('oneOf: weights sum to zero');
  return {
    name: `oneOf(${augmenters.map((a) => a.name).join(',')})`,
    augment(text, seed) {
      const random = mulberry32(mixSeed(seed, 0));
      let pick = weights ? 0 : randInt(random, augmenters.length);
      if (weights) {
        let r = random() * total;
        while (pick < augmenters.length - 1 && r >= weights[pick]!) r -= weights[pick++]!;
      }
      return augmenters[pick]!.augment(text, mixSeed(seed, 1));
    },
  };
}

/** Runs `augmenter` n times with n derived seeds and concatenates the outputs. */
export function times(n: number, augmenter: Augmenter): Augmenter {
  if (!Number.isInteger(n) || n < 1) throw new Error(`times: n must be a positive integer, got ${n}`);
  return {
    name: n === 1 ? augmenter.name : `${augmenter.name}x${n}`,
    async augment(text, seed) {
      const out: string[] = [];
      for (let k = 0; k < n; k++) out.push(...(await augmenter.augment(text, mixSeed(seed, k))));
      return out;
    },
  };
}

export interface AugmentAllOptions {
  seed?: number;
  /** Texts augmented at once (for augmenters that call an API; default 1). */
  concurrency?: number;
  /** Called with the number of texts done. */
  onProgress?: (done: number) => void;
}

/**
 * Augments every text; text i gets seed `mixSeed(seed, i)`, so a result does not depend on the other texts,
 * the order they finish in or the concurrency.
 */
export async function augmentAll(
  augmenter: Augmenter,
  texts: readonly string[],
  options: AugmentAllOptions = {},
): Promise<string[][]> {
  const seed = options.seed ?? 0;
  const out: string[][] = new Array(texts.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < texts.length) {
      const i = next++;
      out[i] = await augmenter.augment(texts[i]!, mixSeed(seed, i));
      options.onProgress?.(++done);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 1, texts.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return out;
}
