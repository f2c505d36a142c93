/** Turns a text into the terms BM25 counts. Any function of this shape plugs into Bm25Index. */
export type Analyzer = (text: string) => string[];

/** Options of createAnalyzer. */
export interface AnalyzerOptions {
  /** BCP 47 locale for word segmentation (default: the runtime's; segmentation of CJK works in any). */
  locale?: string;
  /** Terms to drop after lowercasing: `true` for ENGLISH_STOP_WORDS, or your own set. Default none. */
  stopWords?: boolean | ReadonlySet<string>;
}

/**
 * Lucene's English stop words (StandardAnalyzer's set): short function words that carry no topic, so they
 * neither match unrelated passages nor dilute scores.
 */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set([
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'but',
  'by',
  'for',
  'if',
  'in',
  'into',
  'is',
  'it',
  'no',
  'not',
  'of',
  'on',
  'or',
  'such',
  'that',
  'the',
  'their',
  'then',
  'there',
  'these',
  'they',
  'this',
  'to',
  'was',
  'will',
  'with',
]);

/**
 * The default analyzer: `Intl.Segmenter` word segmentation (Unicode word boundaries, and dictionary-based
 * words for Chinese and Japanese, which have no spaces), word-like segments only, lowercased.
 */
export function createAnalyzer(options: AnalyzerOptions = {}): Analyzer {
  const segmenter = new Intl.Segmenter(options.locale, { granularity: 'word' });
  const stop =
    options.stopWords === true
      ? ENGLISH_STOP_WORDS
      : options.stopWords === false
        ? undefined
        : options.stopWords;
  return (text) => {
    const terms: string[] = [];
    for (const s of segmenter.segment(text)) {
      if (!s.isWordLike) continue;
      const term = s.segment.toLowerCase();
      if (stop?.has(term)) continue;
      terms.push(term);
    }
    return terms;
  };
}
