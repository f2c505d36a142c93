import { describe, expect, it } from 'vitest';
import { type Augmenter, augmentAll, compose, fromFunction, oneOf, times } from '../src/index.js';

// Deterministic test augmenters: the output shows which augmenter ran and which random number it drew.
const tag = (name: string): Augmenter =>
  fromFunction(name, (text, random) => [`${text}|${name}${Math.floor(random() * 1000)}`]);
const split: Augmenter = fromFunction('split', (text) => text.split(' '));

describe('composition', () => {
  it('compose feeds every output of one stage to the next', async () => {
    const a = compose(split, tag('t'));
    expect(a.name).toBe('split+t');
    const out = await a.augment('x y', 5);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^x\|t\d+$/);
    expect(out[1]).toMatch(/^y\|t\d+$/);
    expect(await a.augment('x y', 5)).toEqual(out);
  });

  it('times(n) concatenates n runs with distinct derived seeds', async () => {
    const a = times(4, tag('t'));
    const out = await a.augment('s', 1);
    expect(out).toHaveLength(4);
    expect(new Set(out).size).toBe(4);
    expect(await a.augment('s', 1)).toEqual(out);
    expect(await a.augment('s', 2)).not.toEqual(out);
    expect(() => times(0, split)).toThrow(/positive integer/);
  });

  it('oneOf picks each augmenter about as often as its weight', async () => {
    const pick = oneOf([tag('a'), tag('b'), tag('c')], [1, 0, 3]);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let seed = 0; seed < 4000; seed++) {
      const [out] = await pick.augment('s', seed);
      counts[out!.split('|')[1]![0]!]!++;
    }
    expect(counts.b).toBe(0);
    expect(counts.a! / 4000).toBeGreaterThan(0.22);
    expect(counts.a! / 4000).toBeLessThan(0.28);
    const uniform = oneOf([tag('a'), tag('b')]);
    const firsts = await Promise.all(Array.from({ length: 200 }, (_, s) => uniform.augment('s', s)));
    const as = firsts.filter(([o]) => o!.includes('|a')).length;
    expect(as).toBeGreaterThan(70);
    expect(as).toBeLessThan(130);
    expect(() => oneOf([])).toThrow(/at least one/);
    expect(() => oneOf([split], [1, 2])).toThrow(/weights/);
  });

  it('augmentAll gives each text its own seed, independent of concurrency and neighbours', async () => {
    const slow: Augmenter = {
      name: 'slow',
      augment: async (text, seed) => {
        await new Promise((r) => setTimeout(r, (seed % 5) * 2));
        return tag('t').augment(text, seed);
      },
    };
    const texts = ['a', 'b', 'c', 'd', 'e', 'f'];
    const done: number[] = [];
    const serial = await augmentAll(slow, texts, { seed: 9 });
    const parallel = await augmentAll(slow, texts, {
      seed: 9,
      concurrency: 3,
      onProgress: (d) => done.push(d),
    });
    expect(parallel).toEqual(serial);
    expect(done).toEqual([1, 2, 3, 4, 5, 6]);
    const prefix = await augmentAll(slow, texts.slice(0, 3), { seed: 9 });
    expect(prefix).toEqual(serial.slice(0, 3));
    expect(await augmentAll(slow, texts, { seed: 10 })).not.toEqual(serial);
  });
});
