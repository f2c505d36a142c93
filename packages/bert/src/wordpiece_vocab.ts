/**
 * A `tokenizer.json` for a BERT WordPiece tokenizer that has only `vocab.txt` (+ `tokenizer_config.json`), built
 * as transformers' `BertConverter` (convert_slow_tokenizer.py) builds the fast tokenizer: BertNormalizer,
 * BertPreTokenizer, WordPiece (`##`, 100 chars a word), `[CLS] $A [SEP]` / `[CLS] $A [SEP] $B [SEP]`.
 * Hub repos made with a slow tokenizer ship no tokenizer.json; sentence-transformers converts them the same way.
 */

const SPECIAL_DEFAULTS = {
  unk_token: '[UNK]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  cls_token: '[CLS]',
  mask_token: '[MASK]',
} as const;

function specialContent(v: unknown, fallback: string): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  return fallback;
}

/** `vocab.txt`: one token a line, its id the line number (as transformers' `load_vocab`; a later duplicate wins). */
export function parseVocab(text: string, file = 'vocab.txt'): Map<string, number> {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const vocab = new Map<string, number>();
  lines.forEach((line, i) => {
    vocab.set(line.endsWith('\r') ? line.slice(0, -1) : line, i);
  });
  if (vocab.size === 0) throw new Error(`${file}: empty vocabulary`);
  return vocab;
}

/**
 * The fast-tokenizer JSON of a BERT vocabulary. `config` is `tokenizer_config.json` (and may carry
 * `special_tokens_map.json`'s entries): `do_lower_case` (default true), `strip_accents` (default: follows
 * lowercasing), `tokenize_chinese_chars` (default true), the special tokens.
 */
export function bertTokenizerJson(
  vocab: Map<string, number>,
  config: Record<string, unknown>,
  file = 'vocab.txt',
): Record<string, unknown> {
  const cls = config.tokenizer_class;
  if (typeof cls === 'string' && !/^Bert(Tokenizer)?(Fast)?$/.test(cls)) {
    throw new Error(
      `${file}: tokenizer_class "${cls}" has no tokenizer.json, and only BERT WordPiece vocabularies can be converted`,
    );
  }
  const special = Object.fromEntries(
    Object.entries(SPECIAL_DEFAULTS).map(([k, d]) => [k, specialContent(config[k], d)]),
  ) as Record<keyof typeof SPECIAL_DEFAULTS, string>;
  const idOf = (key: keyof typeof SPECIAL_DEFAULTS) => {
    const id = vocab.get(special[key]);
    if (id === undefined)
      throw new Error(`${file}: special token ${key} "${special[key]}" is not in the vocabulary`);
    return id;
  };
  const lowercase = config.do_lower_case === undefined ? true : config.do_lower_case === true;
  const stripAccents = typeof config.strip_accents === 'boolean' ? config.strip_accents : null;
  const chinese = config.tokenize_chinese_chars === undefined ? true : config.tokenize_chinese_chars === true;
  const addedTokens = [
    ...new Set((Object.keys(SPECIAL_DEFAULTS) as Array<keyof typeof SPECIAL_DEFAULTS>).map(idOf)),
  ]
    .sort((a, b) => a - b)
    .map((id) => ({
      id,
      content: [...vocab].find(([, v]) => v === id)![0],
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }));
  const clsId = idOf('cls_token');
  const sepId = idOf('sep_token');
  const tok = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  const seq = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: chinese,
      strip_accents: stripAccents,
      lowercase,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [tok(special.cls_token, 0), seq('A', 0), tok(special.sep_token, 0)],
      pair: [
        tok(special.cls_token, 0),
        seq('A', 0),
        tok(special.sep_token, 0),
        seq('B', 1),
        tok(special.sep_token, 1),
      ],
      special_tokens: {
        [special.cls_token]: { id: special.cls_token, ids: [clsId], tokens: [special.cls_token] },
        [special.sep_token]: { id: special.sep_token, ids: [sepId], tokens: [special.sep_token] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: special.unk_token,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab),
    },
  };
}
