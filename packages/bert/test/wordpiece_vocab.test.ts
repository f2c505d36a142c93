import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import { SentenceEncoder, SentenceTokenizer } from '../src/index.js';
import { bertTokenizerJson, parseVocab } from '../src/wordpiece_vocab.js';

const miniLm = sharedPath('models', 'all-MiniLM-L6-v2-config');
const tinyBert = sharedPath('fixtures', 'tiny-bert');

/** A copy of `dir`'s tokenizer files without tokenizer.json (what a slow-tokenizer repo ships). */
function vocabOnly(dir: string, config?: Record<string, unknown>): string {
  const out = mkdtempSync(join(tmpdir(), 'vocab-only-'));
  copyFileSync(join(dir, 'vocab.txt'), join(out, 'vocab.txt'));
  if (config) writeFileSync(join(out, 'tokenizer_config.json'), JSON.stringify(config));
  else copyFileSync(join(dir, 'tokenizer_config.json'), join(out, 'tokenizer_config.json'));
  return out;
}

describe('BERT tokenizer from vocab.txt (no tokenizer.json)', () => {
  it('gives the same ids as the real tokenizer.json on SNLI and on hard cases', () => {
    const real = SentenceTokenizer.fromDir(miniLm);
    const converted = SentenceTokenizer.fromDir(vocabOnly(miniLm));
    const snli = readFileSync(sharedPath('data', 'snli', 's1.dev'), 'utf8')
      .split('\n')
      .slice(0, 3000);
    const hard = [
      'Café naïve résumé — ÉLAN',
      '我爱北京天安门 and 東京',
      'Hello,world!!(test)… "quotes" don’t',
      'tab\there\u0000null\u200bzero-width',
      `${'a'.repeat(150)} short`,
      'emoji 🙂 and [MASK] and [CLS] inside',
      '   leading and trailing spaces   ',
      '',
    ];
    let compared = 0;
    for (const text of [...snli, ...hard]) {
      expect(converted.encodeIds(text, 512), JSON.stringify(text)).toEqual(real.encodeIds(text, 512));
      compared++;
    }
    expect(compared).toBeGreaterThan(3000);
    expect(converted.encodePairIds('A man.', 'Someone sleeps.', 64)).toEqual(
      real.encodePairIds('A man.', 'Someone sleeps.', 64),
    );
    expect([converted.clsId, converted.sepId, converted.padId, converted.maskId]).toEqual([101, 102, 0, 103]);
  });

  it('follows do_lower_case and the special tokens of tokenizer_config.json; defaults without one', () => {
    const cased = SentenceTokenizer.fromDir(vocabOnly(miniLm, { do_lower_case: false }));
    // An uncased vocabulary has no capitals: cased input becomes [UNK] (id 100).
    expect(cased.tokenIds('Hello hello')).toEqual([100, 7592]);
    const dir = mkdtempSync(join(tmpdir(), 'vocab-bare-'));
    copyFileSync(join(miniLm, 'vocab.txt'), join(dir, 'vocab.txt'));
    const bare = SentenceTokenizer.fromDir(dir); // BertTokenizer's defaults: lowercase, strip accents
    expect(bare.tokenIds('Héllo')).toEqual([7592]);
  });

  it('rejects what it cannot convert, naming the file', () => {
    const vocab = parseVocab('[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n');
    expect(vocab.get('hello')).toBe(5);
    expect(() => bertTokenizerJson(vocab, { tokenizer_class: 'MPNetTokenizer' }, 'x/vocab.txt')).toThrow(
      /x\/vocab.txt: tokenizer_class "MPNetTokenizer" has no tokenizer.json/,
    );
    expect(() => bertTokenizerJson(parseVocab('[PAD]\n[UNK]\n'), {}, 'y/vocab.txt')).toThrow(
      /y\/vocab.txt: special token sep_token "\[SEP\]" is not in the vocabulary/,
    );
    expect(() => parseVocab('', 'z/vocab.txt')).toThrow(/z\/vocab.txt: empty vocabulary/);
  });

  it('SentenceEncoder loads a model folder with only vocab.txt, and saves it with a tokenizer.json', async () => {
    await initBackend({ backend: 'wasm' });
    const dir = mkdtempSync(join(tmpdir(), 'tiny-vocab-'));
    for (const f of [
      'config.json',
      'model.safetensors',
      'modules.json',
      'sentence_bert_config.json',
      'config_sentence_transformers.json',
      'tokenizer_config.json',
      'special_tokens_map.json',
      'vocab.txt',
    ])
      copyFileSync(join(tinyBert, f), join(dir, f));
    mkdirSync(join(dir, '1_Pooling'));
    copyFileSync(join(tinyBert, '1_Pooling', 'config.json'), join(dir, '1_Pooling', 'config.json'));
    const ref = JSON.parse(readFileSync(join(tinyBert, 'reference.json'), 'utf8')) as {
      texts: string[];
      embeddings: number[][];
    };
    const encoder = await SentenceEncoder.load(dir);
    const got = await encoder.encode(ref.texts);
    got.forEach((v, i) => {
      v.forEach((x, j) => expect(Math.abs(x - ref.embeddings[i]![j]!)).toBeLessThan(1e-4));
    });
    const saved = mkdtempSync(join(tmpdir(), 'tiny-vocab-saved-'));
    await encoder.save(saved);
    expect(existsSync(join(saved, 'tokenizer.json'))).toBe(true);
    const again = await SentenceEncoder.load(saved);
    const reloaded = await again.encode(ref.texts);
    reloaded.forEach((v, i) => {
      v.forEach((x, j) => expect(Math.abs(x - got[i]![j]!)).toBeLessThan(1e-6));
    });
  });
});
