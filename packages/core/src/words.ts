// Treebank-style word tokens for deletion noise and EDA (sentence-transformers tokenizes with NLTK's word_tokenize and
// joins with TreebankWordDetokenizer): punctuation and clitics are tokens of their own, and joining puts them
// back against their neighbours, so deleting a word does not leave " ," or "( ".

const TOKEN = /n't\b|'(?:s|re|ve|ll|d|m)\b|[\p{L}\p{N}]+(?:[-'’.][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/giu;
const CLITIC = /^(?:n't|'(?:s|re|ve|ll|d|m))$/i;
const CLOSING = /^[.,;:!?%)\]}…]$/;
const OPENING = /^[([{$#@]$/;

export function wordTokens(text: string): string[] {
  // "don't" → "do" + "n't" and "it's" → "it" + "'s", as the Treebank tokenizer splits them.
  const split = text.replace(/(\p{L})n't\b/giu, "$1 n't").replace(/(\p{L})'(s|re|ve|ll|d|m)\b/giu, "$1 '$2");
  return split.match(TOKEN) ?? [];
}

export function joinTokens(tokens: readonly string[]): string {
  let out = '';
  let openQuote = false;
  let glueNext = true;
  for (const token of tokens) {
    const isQuote = token === '"';
    const attachLeft = CLITIC.test(token) || CLOSING.test(token) || (isQuote && openQuote);
    if (!glueNext && !attachLeft) out += ' ';
    out += token;
    glueNext = OPENING.test(token) || (isQuote && !openQuote);
    if (isQuote) openQuote = !openQuote;
  }
  return out;
}

/**
 * TSDAE's deletion noise (sentence-transformers' `DenoisingAutoEncoderDataset.delete`): each word is deleted with
 * probability `ratio`; when all would go, one random word is kept. Here in core because both the augmenters and
 * the TSDAE loss use it, and the loss must not pull the augment package (WordNet data) in.
 */
export function deleteWords(text: string, random: () => number, ratio = 0.6): string {
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`deletion ratio must be in [0, 1], got ${ratio}`);
  const tokens = wordTokens(text);
  if (tokens.length === 0) return text;
  const keep = tokens.map(() => random() > ratio);
  if (!keep.includes(true)) keep[Math.floor(random() * tokens.length)] = true;
  return joinTokens(tokens.filter((_, i) => keep[i]));
}
