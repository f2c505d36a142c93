import { describe, expect, it } from 'vitest';
import {
  EDA_STOP_WORDS,
  eda,
  edaClean,
  edaRandomDeletion,
  edaRandomInsertion,
  edaRandomSwap,
  edaSynonymReplacement,
  edaSynonyms,
  randomDeletion,
  randomInsertion,
  randomSwap,
  synonymReplacement,
} from '../src/index.js';
import { mulberry32 } from '../src/internal/rng.js';

/** A random source that replays fixed numbers. */
const replay = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};
const sorted = (ws: string[]) => [...ws].sort();

describe('EDA operations (reference semantics)', () => {
  it('cleans as get_only_chars does', () => {
    expect(edaClean("It's a well-known fact: 42 cats’ toys!")).toBe('its a well known fact cats toys');
    expect(edaClean('  ¿Qué?  ')).toBe('qu');
  });

  it('swaps two positions n times; a draw that keeps hitting the same index is skipped', () => {
    // Indices drawn as floor(r · 4): (0, 3) swapped, then (1, 1, 1, 1, 1) gives up.
    expect(randomSwap(['a', 'b', 'c', 'd'], 1, replay(0, 0.9))).toEqual(['d', 'b', 'c', 'a']);
    expect(randomSwap(['a', 'b', 'c', 'd'], 1, replay(0.3))).toEqual(['a', 'b', 'c', 'd']);
    expect(randomSwap(['a'], 3, Math.random)).toEqual(['a']);
  });

  it('deletes each word with probability p, keeps a one-word text, and falls back to one random word', () => {
    // r > p keeps: 0.05 deleted, 0.5 kept, 0.09 deleted, 0.2 kept.
    expect(randomDeletion(['a', 'b', 'c', 'd'], 0.1, replay(0.05, 0.5, 0.09, 0.2))).toEqual(['b', 'd']);
    expect(randomDeletion(['only'], 1, Math.random)).toEqual(['only']);
    expect(randomDeletion(['a', 'b', 'c', 'd'], 1, replay(0.1, 0.1, 0.1, 0.1, 0.6))).toEqual(['c']);
  });

  it('replaces every occurrence of up to n non-stop words with a synonym', () => {
    // 'happy' is the one word with synonyms; every occurrence changes to the same one.
    const words = ['the', 'happy', 'zzqx', 'the', 'happy'];
    const seen = new Set<string>();
    for (let seed = 0; seed < 30; seed++) {
      const out = synonymReplacement(words, 1, mulberry32(seed)).join(' ');
      const synonym = edaSynonyms('happy').find((s) => out === `the ${s} zzqx the ${s}`);
      expect(synonym, out).toBeDefined();
      seen.add(synonym!);
    }
    expect(seen).toEqual(new Set(['felicitous', 'glad', 'well chosen']));
    // Only stop words and unknown words: nothing to replace.
    expect(synonymReplacement(['the', 'zzqx'], 2, mulberry32(1))).toEqual(['the', 'zzqx']);
    expect(EDA_STOP_WORDS.has('the')).toBe(true);
  });

  it('inserts n synonyms of words of the text', () => {
    const words = ['happy', 'zzqx'];
    const out = randomInsertion(words, 2, mulberry32(4));
    expect(out.length).toBeGreaterThanOrEqual(4);
    const inserted = out.join(' ').replace('happy', '').replace('zzqx', '').trim();
    for (const syn of edaSynonyms('happy')) if (inserted.startsWith(syn)) return;
    expect.fail(`"${inserted}" is not a synonym of happy`);
  });

  it('exposes each operation as a seeded augmenter with n = max(1, floor(alpha · words))', async () => {
    const text = 'The quick brown fox jumps over the lazy dog near the river bank';
    const words = edaClean(text).split(' ');
    const [swapped] = await edaRandomSwap({ alpha: 0.2 }).augment(text, 1);
    expect(sorted(swapped!.split(' '))).toEqual(sorted(words));
    expect(await edaRandomSwap({ alpha: 0.2 }).augment(text, 1)).toEqual([swapped]);
    const [inserted] = await edaRandomInsertion({ alpha: 0.2 }).augment(text, 1);
    expect(inserted!.split(' ').length).toBeGreaterThanOrEqual(words.length + 2); // floor(0.2 · 13) = 2
    const [deleted] = await edaRandomDeletion({ p: 0.5 }).augment(text, 1);
    expect(deleted!.split(' ').length).toBeLessThan(words.length);
    const [replaced] = await edaSynonymReplacement({ alpha: 0.1 }).augment(text, 2);
    expect(replaced).not.toBe(words.join(' '));
    expect(await edaRandomSwap().augment('123 !!!', 1)).toEqual([]);
    const [kept] = await edaRandomSwap({ clean: false }).augment('Hello, World!', 0);
    expect(sorted(kept!.split(' '))).toEqual(['Hello,', 'World!']);
    expect(() => edaRandomSwap({ alpha: 2 })).toThrow(/alpha must be in \[0, 1\]/);
  });

  it('eda() makes numAug cleaned texts, reproducibly, from the operations whose alpha is above 0', async () => {
    const text = 'A young girl is happily riding a red bicycle down the street.';
    const all = eda({ numAug: 6 });
    const out = await all.augment(text, 7);
    expect(out).toHaveLength(6);
    expect(await all.augment(text, 7)).toEqual(out);
    for (const o of out) expect(o).toBe(edaClean(o));
    const swapsOnly = eda({ alphaSr: 0, alphaRi: 0, pRd: 0, alphaRs: 0.2, numAug: 16 });
    const swaps = await swapsOnly.augment(text, 3);
    expect(swaps).toHaveLength(5); // floor(16 / 4) + 1 copies of the only operation left
    const words = sorted(edaClean(text).split(' '));
    for (const s of swaps) expect(sorted(s.split(' '))).toEqual(words);
    const fraction = eda({ numAug: 0.5 });
    let total = 0;
    for (let seed = 0; seed < 40; seed++) total += (await fraction.augment(text, seed)).length;
    expect(total / 40).toBeGreaterThan(0.2); // 4 candidates each kept with probability 0.5 / 4
    expect(total / 40).toBeLessThan(0.9);
  });
});
