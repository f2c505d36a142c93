import { describe, expect, it } from 'vitest';
import { deleteWords, deletionNoise } from '../src/index.js';
import { mulberry32 } from '../src/internal/rng.js';
import { joinTokens, wordTokens } from '../src/internal/words.js';

describe('Treebank-style tokens', () => {
  it('splits punctuation and clitics and joins them back', () => {
    expect(wordTokens("Hello, world! It's a (small) test, isn't it?")).toEqual([
      'Hello',
      ',',
      'world',
      '!',
      'It',
      "'s",
      'a',
      '(',
      'small',
      ')',
      'test',
      ',',
      'is',
      "n't",
      'it',
      '?',
    ]);
    for (const s of [
      "Hello, world! It's a (small) test, isn't it?",
      'She said "yes" and left.',
      'Prices rose 3.5% in the U.S. last year; e-mail us.',
      'A man is playing a guitar.',
    ])
      expect(joinTokens(wordTokens(s))).toBe(s);
    expect(joinTokens(['Hello', 'world', '!', '(', 'x', ')'])).toBe('Hello world! (x)');
  });
});

describe('TSDAE deletion noise', () => {
  it('keeps the text at ratio 0 and exactly one token at ratio 1', () => {
    const random = mulberry32(3);
    const s = 'The quick brown fox jumps over the lazy dog';
    expect(deleteWords(s, random, 0)).toBe(s);
    for (let k = 0; k < 50; k++) {
      const out = deleteWords(s, random, 1);
      expect(out.split(' ')).toHaveLength(1);
      expect(s.split(' ')).toContain(out);
    }
    expect(deleteWords('', random)).toBe('');
    expect(() => deleteWords(s, random, 1.5)).toThrow(/\[0, 1\]/);
  });

  it('keeps at least one word and about 40% of words at ratio 0.6', async () => {
    const words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa'.split(' ');
    const noise = deletionNoise();
    let kept = 0;
    let total = 0;
    for (let i = 0; i < 2000; i++) {
      const n = 1 + (i % 10);
      const sentence = words.slice(0, n).join(' ');
      const [out] = await noise.augment(sentence, i);
      const outWords = out!.split(' ').filter((w) => w !== '');
      expect(outWords.length).toBeGreaterThanOrEqual(1);
      // Deletion only removes: the kept words are a subsequence of the original.
      let at = 0;
      for (const w of outWords) {
        at = words.indexOf(w, at) + 1;
        expect(at).toBeGreaterThan(0);
      }
      kept += outWords.length;
      total += n;
    }
    // Expected kept words of an n-word sentence: 0.4·n, plus one when all n would go (probability 0.6^n);
    // about 0.43 of all words over n = 1..10. The seeds are fixed, so the bounds hold or fail the same way every run.
    const expected =
      Array.from({ length: 10 }, (_, k) => k + 1).reduce((s, n) => s + 0.4 * n + 0.6 ** n, 0) / 55;
    expect(kept / total).toBeGreaterThan(expected - 0.02);
    expect(kept / total).toBeLessThan(expected + 0.02);
    expect(expected).toBeGreaterThan(0.4);
    expect(expected).toBeLessThan(0.44);
  });

  it('is reproducible from the seed', async () => {
    const noise = deletionNoise({ ratio: 0.5 });
    const s = 'A man is playing a large flute on a stage in front of a crowd.';
    const a = await noise.augment(s, 42);
    expect(await noise.augment(s, 42)).toEqual(a);
    const others = new Set<string>();
    for (let seed = 0; seed < 20; seed++) others.add((await noise.augment(s, seed))[0]!);
    expect(others.size).toBeGreaterThan(10);
  });
});
