import { describe, expect, it } from 'vitest';
import { ENGLISH_STOP_WORDS, createAnalyzer } from './analyzer.js';
import { Bm25Index } from './bm25.js';

// Five documents, 18 terms in all: avgdl = 3.6, N = 5.
const DOCS = ['The cat sat', 'the dog sat on the mat', 'cats and dogs', 'a cat and a dog', 'mat'];

describe('Bm25Index', () => {
  it('matches hand-computed Okapi scores (k1 1.2, b 0.75)', () => {
    const index = new Bm25Index(DOCS);
    expect(index.avgDocLength).toBeCloseTo(3.6, 12);
    // "cat": df 2 → idf = ln(1 + 3.5/2.5) = ln 2.4 = 0.8754687; "mat": df 2, same idf.
    expect(index.idf('cat')).toBeCloseTo(0.8754687374, 9);
    const s = index.scoreAll('cat mat');
    // d0: tf 1, |d| 3: idf·2.2 / (1 + 1.2·(0.25 + 0.75·3/3.6)) = idf·2.2/2.05
    expect(s[0]).toBeCloseTo(0.9395274255, 6);
    // d1: "mat", |d| 6: idf·2.2/2.8
    expect(s[1]).toBeCloseTo(0.6878682936, 6);
    // d2: "cats" is not "cat" (no stemming)
    expect(s[2]).toBe(0);
    // d3: "cat", |d| 5: idf·2.2/2.55
    expect(s[3]).toBeCloseTo(0.7553063616, 6);
    // d4: "mat", |d| 1: idf·2.2/1.55
    expect(s[4]).toBeCloseTo(1.2426007885, 6);
    expect(index.search('cat mat', 3).indices).toEqual([4, 0, 3]);
  });

  it('saturates term frequency: "the" twice in d1 scores idf·2·2.2/(2 + 1.2·1.5)', () => {
    const s = new Bm25Index(DOCS).scoreAll('the');
    expect(s[1]).toBeCloseTo(1.0137006433, 6);
    expect(s[0]).toBeCloseTo(0.9395274255, 6);
  });

  it('b = 0 turns length normalization off; k1 = 0 makes every match score its idf', () => {
    const noLength = new Bm25Index(DOCS, { b: 0 }).scoreAll('cat mat');
    expect(noLength[0]).toBeCloseTo(noLength[4]!, 6); // one match each, lengths 3 and 1
    expect(noLength[0]).toBeCloseTo(0.8754687374, 6);
    const binary = new Bm25Index(DOCS, { k1: 0 }).scoreAll('the');
    expect(binary[1]).toBeCloseTo(0.8754687374, 6); // tf 2 counts as 1
  });

  it('rejects b outside [0, 1]', () => {
    expect(() => new Bm25Index(DOCS, { b: 1.5 })).toThrow(/b must be in \[0, 1\]/);
  });

  it('segments Chinese and Japanese words with Intl.Segmenter', () => {
    const analyze = createAnalyzer();
    expect(analyze('我们在北京学习中文')).toEqual(['我们', '在', '北京', '学习', '中文']);
    const index = new Bm25Index(['我们在北京学习中文', '东京是日本的首都', '北京是中国的首都']);
    expect(index.search('北京的首都', 1).indices).toEqual([2]);
  });

  it('drops English stop words when asked, and takes a custom analyzer', () => {
    expect(createAnalyzer({ stopWords: true })('The cat and the dog')).toEqual(['cat', 'dog']);
    expect(ENGLISH_STOP_WORDS.has('the')).toBe(true);
    const withStop = new Bm25Index(DOCS, { analyzer: createAnalyzer({ stopWords: true }) });
    expect(withStop.scoreAll('the')[1]).toBe(0);
    const chars = new Bm25Index(['ab', 'cd'], { analyzer: (t) => [...t] });
    expect(chars.search('a', 1).indices).toEqual([0]);
  });
});
