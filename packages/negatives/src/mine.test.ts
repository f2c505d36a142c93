import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WordVectorEmbedder, cosine, randomRows } from '../test/fakes.js';
import { Bm25Miner } from './bm25_miner.js';
import { DenseMiner } from './dense_miner.js';
import { formatRecords, toLabeledPairs, toNTuples, toTriplets } from './formats.js';
import { HybridMiner } from './hybrid_miner.js';
import { LlmNegativeMiner } from './llm_miner.js';
import { type MineOptions, mineHardNegatives } from './mine.js';
import { RandomMiner } from './random_miner.js';
import { EmbedderReranker } from './reranker.js';
import type { MiningRow, NegativeMiner, Reranker, TextGenerator } from './types.js';

const ROWS: MiningRow[] = [
  { query: 'what was the revenue growth', pos: 'revenue growth was ten percent' },
  { query: 'how much debt', pos: 'total debt was two billion' },
  { query: 'how much debt', pos: 'long term debt rose' }, // same query: a second positive
  { query: 'dividend policy', pos: ['the dividend was raised', 'dividend payout ratio'] },
];
const CORPUS = [
  'revenue grew in the quarter',
  'revenue growth slowed',
  'debt covenants were met',
  'debt repayment schedule',
  'the board declared a dividend',
  'dividend yield is low',
  'cash flow from operations',
  'tax rate was stable',
  'market share increased',
  'lease liabilities',
  'equity was issued',
  'risk factors include competition',
];

/** The independent reference: each unique query's corpus ∪ positives ranked by float64 cosine, positives out. */
function referenceTopK(embedder: WordVectorEmbedder, rows: MiningRow[], corpus: string[], k: number) {
  const byQuery = new Map<string, string[]>();
  for (const r of rows)
    byQuery.set(r.query, [...(byQuery.get(r.query) ?? []), ...(typeof r.pos === 'string' ? [r.pos] : r.pos)]);
  const texts = [...new Set([...corpus, ...[...byQuery.values()].flat()])];
  const vecs = embedder.embed(texts);
  return [...byQuery].map(([query, pos]) => {
    const q = embedder.embed([query])[0]!;
    return texts
      .map((t, i) => ({ t, s: cosine(q, vecs[i]!) }))
      .filter((c) => !pos.includes(c.t))
      .sort((a, b) => b.s - a.s)
      .slice(0, k);
  });
}

const mine = (options: Partial<MineOptions> = {}, rows = ROWS) =>
  mineHardNegatives(rows, { miner: new DenseMiner(new WordVectorEmbedder()), corpus: CORPUS, ...options });

describe('mineHardNegatives (dense, sentence-transformers semantics)', () => {
  it('with the defaults returns exactly the top 3 non-positive passages of the embedder, one record per unique query', async () => {
    const { records, stats } = await mine();
    expect(records.map((r) => r.query)).toEqual([
      'what was the revenue growth',
      'how much debt',
      'dividend policy',
    ]);
    expect(records[1]!.pos).toEqual(['total debt was two billion', 'long term debt rose']);
    const reference = referenceTopK(new WordVectorEmbedder(), ROWS, CORPUS, 3);
    records.forEach((r, i) => {
      expect(r.neg).toEqual(reference[i]!.map((c) => c.t));
      r.neg_scores!.forEach((s, j) => expect(s).toBeCloseTo(reference[i]![j]!.s, 5));
      expect(r.pos_scores).toHaveLength(r.pos.length);
    });
    expect(stats.rangeMax).toBe(0 + 3 + 2); // rangeMin + numNegatives + maxPositives
  });

  it('numNegatives sets the count', async () => {
    const { records } = await mine({ numNegatives: 5 });
    for (const r of records) expect(r.neg).toHaveLength(5);
  });

  it('rangeMin skips the best candidates', async () => {
    const all = await mine({ numNegatives: 6 });
    const skipped = await mine({ rangeMin: 2 });
    skipped.records.forEach((r, i) => expect(r.neg).toEqual(all.records[i]!.neg.slice(2, 5)));
  });

  it('rangeMax bounds the window random sampling draws from', async () => {
    const all = await mine({ numNegatives: 13, rangeMax: 20 });
    for (const seed of [1, 2, 3, 4]) {
      const sampled = await mine({ rangeMax: 4, samplingStrategy: 'random', seed });
      sampled.records.forEach((r, i) => {
        for (const n of r.neg) expect(all.records[i]!.neg.slice(0, 4)).toContain(n);
      });
    }
  });

  it('samplingStrategy random draws a seeded sample from the window, sorted by score', async () => {
    const top = await mine({ numNegatives: 2, rangeMax: 10 });
    const a = await mine({ numNegatives: 2, rangeMax: 10, samplingStrategy: 'random', seed: 7 });
    const b = await mine({ numNegatives: 2, rangeMax: 10, samplingStrategy: 'random', seed: 7 });
    expect(a.records).toEqual(b.records);
    expect(a.records.map((r) => r.neg)).not.toEqual(top.records.map((r) => r.neg));
    for (const r of a.records) expect(r.neg_scores![0]).toBeGreaterThanOrEqual(r.neg_scores![1]!);
  });

  it('maxScore and minScore drop candidates above / below them', async () => {
    const all = await mine({ numNegatives: 13, rangeMax: 20 });
    const scores = all.records[0]!.neg_scores!;
    const cut = (scores[0]! + scores[1]!) / 2;
    const capped = await mine({ maxScore: cut, numNegatives: 3 });
    expect(capped.records[0]!.neg).toEqual(all.records[0]!.neg.slice(1, 4));
    expect(capped.stats.removed.maxScore).toBeGreaterThan(0);
    const floor = (scores[2]! + scores[3]!) / 2;
    const floored = await mine({ minScore: floor, numNegatives: 5, rangeMax: 20 });
    expect(floored.records[0]!.neg).toEqual(all.records[0]!.neg.slice(0, 3));
  });

  it('absoluteMargin keeps negatives at least the margin below the lowest positive score', async () => {
    const plain = await mine({ numNegatives: 16, rangeMax: 20 }); // every non-positive passage
    const margin = 0.1;
    const { records } = await mine({ absoluteMargin: margin, numNegatives: 16, rangeMax: 20 });
    records.forEach((r, i) => {
      const lowest = Math.min(...r.pos_scores!);
      for (const s of r.neg_scores!) expect(s).toBeLessThanOrEqual(lowest - margin + 1e-6);
      const expected = plain.records[i]!.neg.filter(
        (_, j) => plain.records[i]!.neg_scores![j]! + margin <= lowest + 1e-7,
      );
      expect(r.neg).toEqual(expected);
    });
  });

  it('relativeMargin keeps negatives at most (1 − m) × the lowest positive score', async () => {
    const { records } = await mine({ relativeMargin: 0.2, numNegatives: 13, rangeMax: 20 });
    for (const r of records) {
      const lowest = Math.min(...r.pos_scores!);
      for (const s of r.neg_scores!) expect(s).toBeLessThanOrEqual(lowest * 0.8 + 1e-6);
    }
  });

  it('the corpus defaults to the positives', async () => {
    const { records } = await mine({ corpus: undefined, numNegatives: 2 });
    const positives = new Set(ROWS.flatMap((r) => (typeof r.pos === 'string' ? [r.pos] : r.pos)));
    for (const r of records) for (const n of r.neg) expect(positives.has(n)).toBe(true);
  });

  it('a window smaller than numNegatives is an error naming both', async () => {
    await expect(mine({ numNegatives: 5, rangeMin: 2, rangeMax: 4 })).rejects.toThrow(
      /numNegatives \(5\) is larger than the window rangeMax − rangeMin \(4 − 2 = 2\)/,
    );
    await expect(mine({ numNegatives: 5, rangeForSampling: [2, 4] })).rejects.toThrow(
      /numNegatives \(5\) is larger than the rangeForSampling window 2-4/,
    );
  });

  it('rangeForSampling draws from ranks a..b−1 (FlagEmbedding hn_mine)', async () => {
    const embedder = new WordVectorEmbedder();
    const positives = ROWS.flatMap((r) => (typeof r.pos === 'string' ? [r.pos] : r.pos));
    const texts = [...new Set([...CORPUS, ...positives])];
    const { records } = await mine({ rangeForSampling: [2, 8], numNegatives: 3, seed: 3 });
    for (const r of records) {
      // hn_mine slices the ranking (positives included) first, then removes the positives.
      const q = embedder.embed([r.query])[0]!;
      const ranked = texts
        .map((t) => ({ t, s: cosine(q, embedder.embed([t])[0]!) }))
        .sort((a, b) => b.s - a.s)
        .map((c) => c.t);
      const window = ranked.slice(2, 8).filter((t) => !r.pos.includes(t));
      expect(r.neg.length).toBe(3);
      const fromWindow = Math.min(3, window.length);
      for (const n of r.neg.slice(0, fromWindow)) expect(window).toContain(n);
      // A short window is topped up from the rest of the corpus (see the next test).
      for (const n of r.neg.slice(fromWindow)) expect(window).not.toContain(n);
    }
    const other = await mine({ rangeForSampling: [2, 8], numNegatives: 3, seed: 4 });
    expect(other.records.map((r) => r.neg)).not.toEqual(records.map((r) => r.neg));
  });

  describe('rangeForSampling tops a short window up from the corpus (hn_mine)', () => {
    const corpus = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'];
    const row: MiningRow = { query: 'q', pos: ['pos a', 'pos b'] };
    // Ranks c0, the two positives, c1, the query text itself, then c2..c3; the rest is never ranked.
    const ranking = [
      { text: 'c0', score: 0.9 },
      { text: 'pos a', score: 0.85 },
      { text: 'pos b', score: 0.8 },
      { text: 'c1', score: 0.7 },
      { text: 'q', score: 0.65 },
      { text: 'c2', score: 0.6 },
      { text: 'c3', score: 0.5 },
    ];
    const fixedMiner: NegativeMiner = {
      name: 'fixed',
      scored: true,
      candidates: async (queries) =>
        queries.map(() => ({ candidates: ranking, positiveScores: [0.85, 0.8] })),
    };
    // Window ranks 1..4 = pos a, pos b, c1, q → only c1 is left: 2 of 3 negatives must come from the top-up.
    const mineShort = (seed: number, options: Partial<MineOptions> = {}) =>
      mineHardNegatives([row], {
        miner: fixedMiner,
        corpus,
        numNegatives: 3,
        rangeForSampling: [1, 5],
        seed,
        ...options,
      });

    it('gives exactly numNegatives: the window first, then distinct corpus passages, never a positive', async () => {
      for (let seed = 0; seed < 20; seed++) {
        const { records, stats } = await mineShort(seed);
        const neg = records[0]!.neg;
        expect(neg).toHaveLength(3);
        expect(neg[0]).toBe('c1');
        expect(new Set(neg).size).toBe(3);
        for (const n of neg.slice(1)) {
          expect(corpus).toContain(n);
          expect(n).not.toBe('c1');
        }
        expect(stats).toMatchObject({ short: 0, toppedUp: 1 });
      }
    });

    it('is deterministic per seed and varies with it', async () => {
      const draws = new Set<string>();
      for (let seed = 0; seed < 20; seed++) {
        const first = (await mineShort(seed)).records[0]!.neg;
        expect((await mineShort(seed)).records[0]!.neg).toEqual(first);
        draws.add(first.join('|'));
      }
      // 9 eligible passages → 36 possible pairs; 20 seeds drawing only a handful would mean a broken draw.
      expect(draws.size).toBeGreaterThan(8);
    });

    it('keeps the miner score of a top-up passage it ranked; a record with an unscored one has no neg_scores', async () => {
      let sawScored = false;
      let sawUnscored = false;
      for (let seed = 0; seed < 30; seed++) {
        const record = (await mineShort(seed)).records[0]!;
        const ranked = new Map(ranking.map((c) => [c.text, c.score]));
        if (record.neg.every((n) => ranked.has(n))) {
          sawScored = true;
          expect(record.neg_scores).toEqual(record.neg.map((n) => ranked.get(n)));
        } else {
          sawUnscored = true;
          expect(record.neg_scores).toBeUndefined();
        }
        expect(record.pos_scores).toEqual([0.85, 0.8]);
      }
      expect(sawScored && sawUnscored).toBe(true);
    });

    it('rescores top-up passages with the reranker', async () => {
      const reranker: Reranker = {
        score: async (pairs) => pairs.map(([, t]) => (t.startsWith('pos') ? 1 : Number(t.slice(1)) / 10)),
      };
      const record = (await mineShort(7, { reranker })).records[0]!;
      expect(record.neg).toHaveLength(3);
      expect(record.neg_scores).toEqual(record.neg.map((n) => Number(n.slice(1)) / 10));
    });

    it('never tops up with a passage a score filter dropped from the window', async () => {
      // maxScore 0.65 drops c1 (0.7): the window is then empty and c1 may not come back.
      for (let seed = 0; seed < 20; seed++) {
        const { records, stats } = await mineShort(seed, { maxScore: 0.65 });
        expect(records[0]!.neg).toHaveLength(3);
        expect(records[0]!.neg).not.toContain('c1');
        expect(stats.removed.maxScore).toBe(1);
      }
    });

    it('a corpus too small to fill stays short', async () => {
      const { records, stats } = await mineHardNegatives([row], {
        miner: fixedMiner,
        corpus: ['c0', 'c1'],
        numNegatives: 3,
        rangeForSampling: [1, 5],
      });
      // c1 from the window, c0 (ranked above it) from the top-up; the positives never.
      expect(records[0]!.neg).toEqual(['c1', 'c0']);
      expect(stats).toMatchObject({ short: 1, toppedUp: 1 });
    });
  });

  it('queryPrompt is used for mining only', async () => {
    const embedder = new WordVectorEmbedder();
    const { records } = await mineHardNegatives(ROWS, {
      miner: new DenseMiner(embedder, { queryPrompt: 'query: ' }),
      corpus: CORPUS,
      prompt: 'Represent this question for retrieval: ',
    });
    expect(embedder.calls.flat()).toContain('query: how much debt');
    expect(records[1]!.query).toBe('how much debt');
    expect(records[1]!.prompt).toBe('Represent this question for retrieval: ');
  });

  it('a reranker replaces the scores, and with a margin drops false negatives', async () => {
    // The reranker thinks "debt repayment schedule" answers the debt question as well as its positives.
    const reranker: Reranker = {
      score: async (pairs) => pairs.map(([, p]) => (p.includes('debt') ? 0.9 : 0.1)),
    };
    const { records } = await mine({ reranker, absoluteMargin: 0.05, numNegatives: 3 });
    for (const n of records[1]!.neg) expect(n).not.toContain('debt');
    expect(records[1]!.pos_scores).toEqual([0.9, 0.9]);
    expect(records[1]!.neg_scores).toEqual([0.1, 0.1, 0.1]);
    const embedded = await mine({ reranker: new EmbedderReranker(new WordVectorEmbedder()) });
    const plain = await mine();
    expect(embedded.records[0]!.neg).toEqual(plain.records[0]!.neg);
  });

  it('caches embeddings on disk keyed by model and texts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'negatives-cache-'));
    try {
      const first = new WordVectorEmbedder();
      const a = await mine({ miner: new DenseMiner(first, { cacheDir: dir, cacheKey: 'fake-v1' }) });
      expect(first.calls.length).toBeGreaterThan(0);
      expect(readdirSync(dir).filter((f) => f.endsWith('.f32'))).toHaveLength(2);
      const second = new WordVectorEmbedder();
      const b = await mine({ miner: new DenseMiner(second, { cacheDir: dir, cacheKey: 'fake-v1' }) });
      expect(second.calls).toHaveLength(0);
      expect(b.records).toEqual(a.records);
      const third = new WordVectorEmbedder();
      await mine({ miner: new DenseMiner(third, { cacheDir: dir, cacheKey: 'fake-v2' }) });
      expect(third.calls.length).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('other miners', () => {
  it('BM25 ranks lexical matches first', async () => {
    const { records } = await mineHardNegatives(ROWS, {
      miner: new Bm25Miner(),
      corpus: CORPUS,
      numNegatives: 2,
    });
    expect(records[0]!.neg[0]).toBe('revenue growth slowed');
    expect(records[1]!.neg.every((n) => n.includes('debt'))).toBe(true);
    expect(records[0]!.pos_scores![0]).toBeGreaterThan(0);
  });

  it('hybrid re-ranks BM25 candidates by the dense scores', async () => {
    const embedder = new WordVectorEmbedder();
    const { records } = await mineHardNegatives(ROWS, {
      miner: new HybridMiner(embedder, { lexicalCandidates: 3 }),
      corpus: CORPUS,
      numNegatives: 2,
    });
    for (const r of records) {
      const q = embedder.embed([r.query])[0]!;
      r.neg.forEach((n, j) => expect(r.neg_scores![j]).toBeCloseTo(cosine(q, embedder.embed([n])[0]!), 5));
      expect(r.neg_scores![0]).toBeGreaterThanOrEqual(r.neg_scores![1]!);
    }
  });

  it('random draws seeded, unscored negatives and refuses score filters', async () => {
    const a = await mineHardNegatives(ROWS, { miner: new RandomMiner(), corpus: CORPUS, seed: 1 });
    const b = await mineHardNegatives(ROWS, { miner: new RandomMiner(), corpus: CORPUS, seed: 1 });
    const c = await mineHardNegatives(ROWS, { miner: new RandomMiner(), corpus: CORPUS, seed: 2 });
    expect(a.records).toEqual(b.records);
    expect(a.records.map((r) => r.neg)).not.toEqual(c.records.map((r) => r.neg));
    expect(a.records[0]!.neg_scores).toBeUndefined();
    await expect(
      mineHardNegatives(ROWS, { miner: new RandomMiner(), corpus: CORPUS, maxScore: 0.5 }),
    ).rejects.toThrow(/random miner gives no scores/);
    await expect(
      mineHardNegatives(ROWS, { miner: new RandomMiner(), corpus: CORPUS, rangeMin: 2 }),
    ).rejects.toThrow(/random miner gives no ranking by score/);
  });

  it('LLM negatives: parsed, deduplicated, positives removed', async () => {
    const prompts: string[] = [];
    const generator: TextGenerator = {
      generate: async (prompt) => {
        prompts.push(prompt);
        const positive = prompt.match(/Relevant passage: (.*)/)![1]!;
        return `Here you go:\n\`\`\`json\n["Revenue fell sharply", "revenue fell  sharply", "${positive}", "Costs rose"]\n\`\`\``;
      },
    };
    const { records } = await mineHardNegatives(ROWS, {
      miner: new LlmNegativeMiner(generator),
      numNegatives: 3,
    });
    expect(records[0]!.neg).toEqual(['Revenue fell sharply', 'Costs rose']);
    expect(prompts[0]).toContain('Query: what was the revenue growth');
    expect(prompts[0]).toContain('Write 5 different passages'); // numNegatives 3 + maxPositives 2
  });
});

describe('no miner ever returns a positive or a text equal to one', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const echoing: TextGenerator = {
    // Repeats the positive (with extra spaces) and other texts of the prompt.
    generate: async (prompt) => {
      const positive = prompt.match(/Relevant passage: (.*)/)![1]!;
      return `1. ${positive}\n2.  ${positive} \n3. something else\n4. ${prompt.match(/Query: (.*)/)![1]}`;
    },
  };
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`random data, seed ${seed}`, async () => {
      const rows = randomRows(seed, 60);
      const positivesOf = new Map<string, Set<string>>();
      for (const r of rows) {
        const set = positivesOf.get(r.query) ?? new Set();
        set.add(r.pos.trim());
        positivesOf.set(r.query, set);
      }
      // The corpus holds the positives again, padded with spaces (equal texts), and others' positives.
      const corpus = [...rows.map((r) => ` ${r.pos} `), ...randomRows(seed + 100, 30).map((r) => r.pos)];
      const miners = [
        new RandomMiner(),
        new Bm25Miner(),
        new DenseMiner(new WordVectorEmbedder()),
        new HybridMiner(new WordVectorEmbedder()),
        new LlmNegativeMiner(echoing),
      ];
      for (const miner of miners) {
        for (const options of [
          {},
          { samplingStrategy: 'random' as const, rangeMax: 30 },
          { numNegatives: 8 },
        ]) {
          const { records } = await mineHardNegatives(rows, {
            miner,
            corpus,
            seed,
            ...(miner.scored ? options : { numNegatives: 3 }),
          });
          for (const r of records) {
            for (const n of r.neg) expect(positivesOf.get(r.query)!.has(n.trim())).toBe(false);
          }
        }
      }
    });
  }
});

describe('output formats', () => {
  const records = [
    { query: 'q1', pos: ['p1', 'p2'], neg: ['n1', 'n2'] },
    { query: 'q2', pos: ['p3'], neg: ['n3'] },
  ];
  it('triplets: one row per positive × negative', () => {
    expect(toTriplets(records)).toEqual([
      { anchor: 'q1', positive: 'p1', negative: 'n1' },
      { anchor: 'q1', positive: 'p1', negative: 'n2' },
      { anchor: 'q1', positive: 'p2', negative: 'n1' },
      { anchor: 'q1', positive: 'p2', negative: 'n2' },
      { anchor: 'q2', positive: 'p3', negative: 'n3' },
    ]);
  });
  it('n-tuples: one row per positive; records short of negatives left out', () => {
    expect(toNTuples(records)).toEqual([
      { anchor: 'q1', positive: 'p1', negative_1: 'n1', negative_2: 'n2' },
      { anchor: 'q1', positive: 'p2', negative_1: 'n1', negative_2: 'n2' },
    ]);
  });
  it('labeled pairs: 1 for positives, 0 for negatives', () => {
    expect(toLabeledPairs(records.slice(1))).toEqual([
      { anchor: 'q2', positive: 'p3', label: 1 },
      { anchor: 'q2', positive: 'n3', label: 0 },
    ]);
    expect(formatRecords(records, 'flag')).toEqual(records);
  });
});
