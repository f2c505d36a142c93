import { deleteWords } from '@contrastive/core';
import { type Augmenter, fromFunction } from './augmenter.js';

/** The deletion noise as an augmenter: one noised copy per call. */
export function deletionNoise(options: { ratio?: number } = {}): Augmenter {
  const ratio = options.ratio ?? 0.6;
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`deletion ratio must be in [0, 1], got ${ratio}`);
  return fromFunction('delete', (text, random) => [deleteWords(text, random, ratio)]);
}

/** Re-exported: the deletion itself lives in @contrastive/core (the TSDAE loss uses it too). */
export { deleteWords };
