import { mulberry32 } from '@contrastive/core';
import type { EncodedBatch } from '../tokenizer.js';

/** What does not count as a label: the value PyTorch's cross entropy ignores. */
export const IGNORE_LABEL = -100;

export interface MaskingOptions {
  /** Fraction of tokens to predict. Default 0.15. */
  probability?: number;
  /** Mask whole words (a token and its `##` continuations) together, as DataCollatorForWholeWordMask. */
  wholeWord?: boolean;
}

export interface MaskingVocabulary {
  maskId: number;
  vocabSize: number;
  /** Ids never masked ([CLS], [SEP], [PAD]…). */
  specialIds: ReadonlySet<number>;
  /** For whole-word masking: is this id a WordPiece continuation (`##…`)? */
  isContinuation?(id: number): boolean;
}

/** A masked batch: the model's input ids and, per position, the original id to predict or IGNORE_LABEL. */
export interface MaskedBatch {
  batch: EncodedBatch;
  labels: Int32Array;
}

/**
 * Hugging Face's masked-language-modeling collator: each real, non-special token is chosen with `probability`
 * (whole-word: words are chosen until about `probability` of the row's tokens are covered, skipping words that
 * would overshoot, as DataCollatorForWholeWordMask); a chosen token becomes [MASK] 80% of the time, a random
 * token 10%, and stays itself 10%. Deterministic in `seed`.
 */
export function maskTokens(
  batch: EncodedBatch,
  vocab: MaskingVocabulary,
  seed: number,
  options: MaskingOptions = {},
): MaskedBatch {
  const p = options.probability ?? 0.15;
  if (!(p > 0 && p < 1)) throw new Error(`mlm probability must be in (0, 1), got ${p}`);
  const rand = mulberry32(seed >>> 0);
  const { batchSize: b, length: s } = batch;
  const inputIds = Int32Array.from(batch.inputIds);
  const labels = new Int32Array(b * s).fill(IGNORE_LABEL);
  const chosen = new Uint8Array(b * s);
  const candidate = (i: number) => batch.attentionMask[i] === 1 && !vocab.specialIds.has(batch.inputIds[i]!);
  for (let r = 0; r < b; r++) {
    const row = r * s;
    if (!options.wholeWord) {
      for (let j = 0; j < s; j++) if (candidate(row + j) && rand() < p) chosen[row + j] = 1;
      continue;
    }
    if (!vocab.isContinuation) throw new Error('whole-word masking needs a WordPiece vocabulary');
    const words: number[][] = [];
    for (let j = 0; j < s; j++) {
      if (!candidate(row + j)) continue;
      const last = words[words.length - 1];
      if (last && last[last.length - 1] === row + j - 1 && vocab.isContinuation(batch.inputIds[row + j]!))
        last.push(row + j);
      else words.push([row + j]);
    }
    const tokens = words.reduce((n, w) => n + w.length, 0);
    const target = Math.max(1, Math.round(tokens * p));
    // Fisher–Yates shuffle of the words, then take them in order while they fit.
    for (let i = words.length - 1; i > 0; i--) {
      const k = Math.floor(rand() * (i + 1));
      [words[i], words[k]] = [words[k]!, words[i]!];
    }
    let covered = 0;
    for (const w of words) {
      if (covered >= target) break;
      if (covered + w.length > target) continue;
      for (const i of w) chosen[i] = 1;
      covered += w.length;
    }
  }
  for (let i = 0; i < b * s; i++) {
    if (!chosen[i]) continue;
    labels[i] = batch.inputIds[i]!;
    const u = rand();
    if (u < 0.8) inputIds[i] = vocab.maskId;
    else if (u < 0.9) inputIds[i] = Math.floor(rand() * vocab.vocabSize);
  }
  return { batch: { ...batch, inputIds }, labels };
}
