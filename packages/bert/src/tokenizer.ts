import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { bertTokenizerJson, parseVocab } from './wordpiece_vocab.js';

export interface EncodedBatch {
  /** Row-major [batch, length] token ids, padded to the longest sequence of the batch. */
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  batchSize: number;
  length: number;
}

function readJson(path: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`${path}: ${what} not found`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

function tokenContent(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  return undefined;
}

/**
 * A WordPiece/BPE tokenizer from `tokenizer.json` + `tokenizer_config.json` (through @huggingface/tokenizers),
 * with sentence-transformers' batching: `[CLS] text [SEP]`, truncation to `maxLength` tokens specials
 * included, padding to the longest in the batch.
 */
export class SentenceTokenizer {
  readonly tokenizer: Tokenizer;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  readonly maskId: number | undefined;
  readonly vocabSize: number;
  /** The raw JSON files, written back unchanged on save. */
  readonly files: { tokenizerJson: Record<string, unknown>; tokenizerConfig: Record<string, unknown> };

  constructor(
    tokenizerJson: Record<string, unknown>,
    tokenizerConfig: Record<string, unknown>,
    source = 'tokenizer',
  ) {
    this.files = { tokenizerJson, tokenizerConfig };
    checkTokenizerJson(tokenizerJson, source);
    try {
      this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
      this.tokenizer.encode('a', { add_special_tokens: false });
    } catch (e) {
      throw new Error(`${source}: not a tokenizer this library reads (${(e as Error).message})`);
    }
    const id = (key: string, fallback: string) => {
      const tok = tokenContent(tokenizerConfig[key]) ?? fallback;
      const v = this.tokenizer.token_to_id(tok);
      if (v === undefined)
        throw new Error(`${source}: special token ${key} "${tok}" is not in the vocabulary`);
      return v;
    };
    this.clsId = id('cls_token', '[CLS]');
    this.sepId = id('sep_token', '[SEP]');
    this.padId = id('pad_token', '[PAD]');
    const maskTok = tokenContent(tokenizerConfig.mask_token) ?? '[MASK]';
    this.maskId = this.tokenizer.token_to_id(maskTok);
    this.vocabSize = this.tokenizer.get_vocab(true).size;
  }

  /**
   * From `tokenizer.json` + `tokenizer_config.json`; a BERT folder with only `vocab.txt` (a slow tokenizer's
   * files) is converted as transformers converts it, and saves with a tokenizer.json.
   */
  static fromDir(dir: string): SentenceTokenizer {
    const optional = (name: string) => {
      try {
        return readJson(join(dir, name), name);
      } catch (e) {
        if (!/not found/.test((e as Error).message)) throw e;
        return undefined;
      }
    };
    const cfg = optional('tokenizer_config.json') ?? {};
    const tokenizerJson = join(dir, 'tokenizer.json');
    const vocabTxt = join(dir, 'vocab.txt');
    if (!existsSync(tokenizerJson) && existsSync(vocabTxt)) {
      // special_tokens_map.json names the special tokens when tokenizer_config.json does not.
      const specials = optional('special_tokens_map.json') ?? {};
      const merged = { ...specials, ...cfg };
      const tj = bertTokenizerJson(parseVocab(readFileSync(vocabTxt, 'utf8'), vocabTxt), merged, vocabTxt);
      return new SentenceTokenizer(tj, merged, vocabTxt);
    }
    return new SentenceTokenizer(readJson(tokenizerJson, 'tokenizer.json'), cfg, tokenizerJson);
  }

  /** Token ids of `text` without special tokens. */
  tokenIds(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** `[CLS] text [SEP]` truncated to `maxLength` ids. */
  encodeIds(text: string, maxLength: number): number[] {
    const ids = this.tokenIds(text);
    const room = Math.max(0, maxLength - 2);
    return [this.clsId, ...(ids.length > room ? ids.slice(0, room) : ids), this.sepId];
  }

  /**
   * `[CLS] a [SEP] b [SEP]` with token types 0/1, truncated longest-first to `maxLength` (the longer side
   * loses one token at a time; on a tie, the second), as Hugging Face's `truncation="longest_first"`.
   */
  encodePairIds(a: string, b: string, maxLength: number): { ids: number[]; typeIds: number[] } {
    const x = this.tokenIds(a);
    const y = this.tokenIds(b);
    let excess = x.length + y.length + 3 - maxLength;
    while (excess > 0) {
      if (x.length > y.length) x.pop();
      else if (y.length > 0) y.pop();
      else x.pop();
      excess--;
    }
    const ids = [this.clsId, ...x, this.sepId, ...y, this.sepId];
    const typeIds = ids.map((_, i) => (i < x.length + 2 ? 0 : 1));
    return { ids, typeIds };
  }

  /** Pads id sequences to the longest. */
  pad(seqs: number[][], typeIds?: number[][]): EncodedBatch {
    const length = Math.max(1, ...seqs.map((s) => s.length));
    const n = seqs.length;
    const inputIds = new Int32Array(n * length).fill(this.padId);
    const attentionMask = new Int32Array(n * length);
    const tokenTypeIds = new Int32Array(n * length);
    seqs.forEach((s, i) => {
      inputIds.set(s, i * length);
      attentionMask.fill(1, i * length, i * length + s.length);
      const t = typeIds?.[i];
      if (t) tokenTypeIds.set(t, i * length);
    });
    return { inputIds, attentionMask, tokenTypeIds, batchSize: n, length };
  }

  encodeBatch(texts: string[], maxLength: number): EncodedBatch {
    return this.pad(texts.map((t) => this.encodeIds(t, maxLength)));
  }

  encodePairBatch(pairs: Array<[string, string]>, maxLength: number): EncodedBatch {
    const enc = pairs.map(([a, b]) => this.encodePairIds(a, b, maxLength));
    return this.pad(
      enc.map((e) => e.ids),
      enc.map((e) => e.typeIds),
    );
  }
}

const MODEL_TYPES = ['WordPiece', 'BPE', 'Unigram', 'WordLevel'];

/**
 * The structure of a tokenizer.json checked before the tokenizer library sees it, so a broken or hostile file
 * fails with the file and the field named instead of a bare JavaScript error.
 */
function checkTokenizerJson(json: Record<string, unknown>, file: string): void {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    !!v && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(json)) throw new Error(`${file}: expected a JSON object`);
  const model = json.model;
  if (!isObject(model)) throw new Error(`${file}: "model" must be an object`);
  const type = model.type ?? (isObject(model.vocab) ? 'WordPiece' : undefined);
  if (typeof type !== 'string' || !MODEL_TYPES.includes(type))
    throw new Error(
      `${file}: "model.type" must be one of ${MODEL_TYPES.join(', ')}, got ${JSON.stringify(model.type)}`,
    );
  const vocab = model.vocab;
  if (type === 'Unigram') {
    if (
      !Array.isArray(vocab) ||
      vocab.some((e) => !Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number')
    )
      throw new Error(`${file}: "model.vocab" must be a list of [token, score] pairs for a Unigram model`);
  } else {
    if (!isObject(vocab)) throw new Error(`${file}: "model.vocab" must be an object mapping tokens to ids`);
    for (const [token, id] of Object.entries(vocab)) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0)
        throw new Error(
          `${file}: "model.vocab" maps ${JSON.stringify(token)} to ${JSON.stringify(id)}, not a token id`,
        );
    }
  }
  if (type === 'BPE' && model.merges !== undefined && !Array.isArray(model.merges))
    throw new Error(`${file}: "model.merges" must be a list`);
  for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder'] as const) {
    const v = json[key];
    if (v !== undefined && v !== null && !isObject(v))
      throw new Error(`${file}: "${key}" must be an object or null, got ${JSON.stringify(v).slice(0, 60)}`);
    if (isObject(v) && typeof v.type !== 'string') throw new Error(`${file}: "${key}.type" must be a string`);
  }
  const added = json.added_tokens;
  if (added !== undefined) {
    if (!Array.isArray(added)) throw new Error(`${file}: "added_tokens" must be a list`);
    added.forEach((t, i) => {
      if (!isObject(t) || typeof t.id !== 'number' || typeof t.content !== 'string')
        throw new Error(`${file}: "added_tokens[${i}]" needs a numeric "id" and a string "content"`);
    });
  }
}
