// Treebank-style word tokens for deletion noise (sentence-transformers tokenizes with NLTK's word_tokenize and
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
