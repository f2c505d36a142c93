import { type Augmenter, fromFunction } from './augmenter.js';
import { randInt } from './internal/rng.js';
import { joinTokens, wordTokens } from './internal/words.js';

/**
 * TSDAE's deletion noise (sentence-transformers' `DenoisingAutoEncoderDataset.delete`): each token is deleted
 * with probability `ratio`; when all would go, one token chosen at random is kept. A text without tokens is
 * returned unchanged.
 */
export function deleteWords(text: string, random: () => number, ratio = 0.6): string {
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`deletion ratio must be in [0, 1], got ${ratio}`);
  const tokens = wordTokens(text);
  if (tokens.length === 0) return text;
  const keep = tokens.map(() => random() > ratio);
  if (!keep.includes(true)) keep[randInt(random, tokens.length)] = true;
  return joinTokens(tokens.filter((_, i) => keep[i]));
}

/** The deletion noise as an augmenter: one noised copy per call. */
export function deletionNoise(options: { ratio?: number } = {}): Augmenter {
  const ratio = options.ratio ?? 0.6;
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`deletion ratio must be in [0, 1], got ${ratio}`);
  return fromFunction('delete', (text, random) => [deleteWords(text, random, ratio)]);
}
