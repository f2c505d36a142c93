import { mixSeed, mulberry32, sampleIndices } from './internal/random.js';
import type {
  Candidate,
  MinedRecord,
  MinerContext,
  MiningQuery,
  MiningRow,
  NegativeMiner,
  ProgressCallback,
  Reranker,
} from './types.js';

/** Options of mineHardNegatives; names and defaults follow sentence-transformers' `mine_hard_negatives`. */
export interface MineOptions {
  /** Where candidates come from: RandomMiner, Bm25Miner, DenseMiner, HybridMiner, LlmNegativeMiner, or yours. */
  miner: NegativeMiner;
  /** Passages negatives are drawn from (default: every row's positives). Positives are always added. */
  corpus?: readonly string[];
  /** Negatives per query (default 3). */
  numNegatives?: number;
  /** Skip the `rangeMin` best remaining candidates (default 0): the likeliest false negatives. */
  rangeMin?: number;
  /**
   * Consider only the `rangeMax` best remaining candidates. Default as sentence-transformers:
   * rangeMin + numNegatives + maxPositives, or rangeMin + 10·numNegatives + maxPositives with a margin or maxScore.
   */
  rangeMax?: number;
  /**
   * FlagEmbedding `hn_mine`'s `range_for_sampling` `[a, b]`: draw `numNegatives` at random from the candidates
   * ranked a..b−1 (positives and the query text removed). Replaces rangeMin/rangeMax.
   *
   * As `hn_mine` does, a query whose window holds fewer than `numNegatives` candidates is topped up with
   * passages drawn at random (seeded) from the rest of the corpus, after the window's: never a positive, an
   * alias, the query text, a window candidate (taken, or dropped by a score filter) or a duplicate. Counted in
   * `stats.toppedUp`; `stats.short` counts the queries the corpus could not fill even so. A top-up passage
   * keeps the reranker's score (it is rescored) or else the miner's, when the miner ranked it; a record with a
   * negative nobody scored has no `neg_scores`.
   */
  rangeForSampling?: readonly [number, number];
  /** Drop candidates scoring above this. */
  maxScore?: number;
  /** Drop candidates scoring below this. */
  minScore?: number;
  /** Drop candidates scoring above (lowest positive score − absoluteMargin). */
  absoluteMargin?: number;
  /** Drop candidates scoring above (lowest positive score × (1 − relativeMargin)). */
  relativeMargin?: number;
  /** `top` (default): the best remaining candidates; `random`: a seeded draw from the window, re-sorted. */
  samplingStrategy?: 'top' | 'random';
  /**
   * Rescores each query's candidates and positives (a cross-encoder, a second embedding model); its scores
   * replace the miner's, so `absoluteMargin` then drops false negatives that score near the positive.
   */
  reranker?: Reranker;
  /** Seed of every random draw (default 42). */
  seed?: number;
  /** Written as each record's FlagEmbedding `prompt` (the instruction used at training). */
  prompt?: string;
  /**
   * Per unique query, more texts that must never be a negative (e.g. the `text` field of a BEIR passage
   * whose `title + " " + text` is the positive).
   */
  aliases?: ReadonlyMap<string, readonly string[]>;
  onProgress?: ProgressCallback;
}

/** Counts of what mining kept and dropped. */
export interface MiningStats {
  queries: number;
  rows: number;
  corpus: number;
  /** Candidates considered (after positives are removed). */
  candidates: number;
  /** Candidates removed by each filter. */
  removed: { maxScore: number; minScore: number; absoluteMargin: number; relativeMargin: number };
  /** Queries that got fewer than numNegatives negatives (with rangeForSampling: even after the top-up). */
  short: number;
  /** With rangeForSampling: queries whose short window was topped up with random corpus passages. */
  toppedUp: number;
  rangeMax?: number;
}

export interface MiningResult {
  /** One FlagEmbedding-shaped record per unique query, in order of first appearance. */
  records: MinedRecord[];
  stats: MiningStats;
}

/** Rows → unique queries with all their positives (the same query on several rows = several positives). */
export function groupRows(rows: readonly MiningRow[]): MiningQuery[] {
  const byQuery = new Map<string, MiningQuery>();
  rows.forEach((row, i) => {
    if (typeof row.query !== 'string' || row.query.trim() === '')
      throw new Error(`row ${i}: "query" must be a non-empty text`);
    const pos = typeof row.pos === 'string' ? [row.pos] : row.pos;
    if (!Array.isArray(pos) || pos.length === 0 || pos.some((p) => typeof p !== 'string' || p.trim() === ''))
      throw new Error(`row ${i}: "pos" must be a non-empty text or a non-empty list of texts`);
    let q = byQuery.get(row.query);
    if (!q) {
      q = { query: row.query, positives: [] };
      byQuery.set(row.query, q);
    }
    for (const p of pos) if (!q.positives.includes(p)) q.positives.push(p);
  });
  return [...byQuery.values()];
}

function checkCount(name: string, value: number | undefined, min = 0): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min))
    throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
}

/** The key two texts share when they are "equal" for exclusion: surrounding whitespace does not count. */
const same = (text: string) => text.trim();

/**
 * Mines negatives for rows of (query, positive(s)): the miner ranks candidates; positives (and texts equal to
 * one) are removed; then, as sentence-transformers does, score filters, the rank window and sampling.
 * Swapping the miner is one argument.
 */
export async function mineHardNegatives(
  rows: readonly MiningRow[],
  options: MineOptions,
): Promise<MiningResult> {
  const queries = groupRows(rows);
  if (queries.length === 0) throw new Error('no rows to mine negatives for');
  const numNegatives = options.numNegatives ?? 3;
  checkCount('numNegatives', numNegatives, 1);
  checkCount('rangeMin', options.rangeMin);
  checkCount('rangeMax', options.rangeMax, 1);
  const seed = options.seed ?? 42;
  const miner = options.miner;
  const scored = miner.scored || options.reranker !== undefined;
  const usesScores =
    options.maxScore !== undefined ||
    options.minScore !== undefined ||
    options.absoluteMargin !== undefined ||
    options.relativeMargin !== undefined;
  if (usesScores && !scored)
    throw new Error(
      `the ${miner.name} miner gives no scores: maxScore, minScore, absoluteMargin and relativeMargin need a scoring miner or a reranker`,
    );
  if (
    !scored &&
    (options.rangeMin !== undefined || options.rangeMax !== undefined || options.rangeForSampling)
  )
    throw new Error(
      `the ${miner.name} miner gives no ranking by score: rangeMin, rangeMax and rangeForSampling need a scoring miner or a reranker`,
    );
  const maxPositives = Math.max(...queries.map((q) => q.positives.length));

  const flag = options.rangeForSampling;
  let rangeMin = options.rangeMin ?? 0;
  let rangeMax: number;
  let k: number;
  if (flag) {
    const [a, b] = flag;
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b <= a)
      throw new RangeError(`rangeForSampling must be two integers 0 ≤ a < b, got ${a}-${b}`);
    if (options.rangeMin !== undefined || options.rangeMax !== undefined)
      throw new Error('rangeForSampling replaces rangeMin/rangeMax: give one or the other');
    if (numNegatives > b - a)
      throw new RangeError(
        `numNegatives (${numNegatives}) is larger than the rangeForSampling window ${a}-${b} (${b - a} candidates)`,
      );
    rangeMin = a;
    rangeMax = b;
    k = b;
  } else if (scored) {
    const filters =
      options.absoluteMargin !== undefined ||
      options.relativeMargin !== undefined ||
      options.maxScore !== undefined;
    rangeMax = options.rangeMax ?? rangeMin + (filters ? 10 * numNegatives : numNegatives) + maxPositives;
    if (numNegatives > rangeMax - rangeMin)
      throw new RangeError(
        `numNegatives (${numNegatives}) is larger than the window rangeMax − rangeMin (${rangeMax} − ${rangeMin} = ${rangeMax - rangeMin})`,
      );
    k = rangeMax + maxPositives;
  } else {
    // Unscored candidates have no ranking to window: the miner's order is already a random or generated one.
    rangeMax = numNegatives;
    rangeMin = 0;
    k = numNegatives + maxPositives;
  }

  const corpus = [...new Set([...(options.corpus ?? []), ...queries.flatMap((q) => q.positives)])];
  const corpusIds = new Map(corpus.map((t, i) => [t, i] as const));
  const ctx: MinerContext = { corpus, corpusIds, k, seed, onProgress: options.onProgress };
  const withAliases = queries.map((q) => {
    const aliases = options.aliases?.get(q.query);
    return aliases ? { ...q, aliases: [...aliases] } : q;
  });
  const ranked = await miner.candidates(withAliases, ctx);
  if (ranked.length !== queries.length)
    throw new Error(
      `the ${miner.name} miner returned ${ranked.length} results for ${queries.length} queries`,
    );

  const stats: MiningStats = {
    queries: queries.length,
    rows: rows.length,
    corpus: corpus.length,
    candidates: 0,
    removed: { maxScore: 0, minScore: 0, absoluteMargin: 0, relativeMargin: 0 },
    short: 0,
    toppedUp: 0,
    ...(scored && !flag ? { rangeMax } : {}),
  };
  const records: MinedRecord[] = [];
  for (const [qi, q] of withAliases.entries()) {
    const excluded = new Set([...q.positives, ...(q.aliases ?? [])].map(same));
    const result = ranked[qi]!;
    let pool: Candidate[] = flag ? result.candidates.slice(rangeMin, rangeMax) : result.candidates;
    pool = pool.filter((c) => !excluded.has(same(c.text)) && (!flag || same(c.text) !== same(q.query)));
    // A miner may rank the same text twice (an LLM repeating itself); keep its first, best, occurrence.
    const seen = new Set<string>();
    pool = pool.filter((c) => !seen.has(same(c.text)) && seen.add(same(c.text)));
    let positiveScores = result.positiveScores;
    if (options.reranker) {
      const pairs: Array<[string, string]> = [...q.positives, ...pool.map((c) => c.text)].map((t) => [
        q.query,
        t,
      ]);
      const s = pairs.length > 0 ? await options.reranker.score(pairs) : [];
      if (s.length !== pairs.length)
        throw new Error(`the reranker returned ${s.length} scores for ${pairs.length} pairs`);
      positiveScores = s.slice(0, q.positives.length);
      pool = pool
        .map((c, i) => ({ text: c.text, score: s[q.positives.length + i]! }))
        .sort((a, b) => b.score - a.score);
    }
    stats.candidates += pool.length;
    if (scored) pool = applyScoreFilters(pool, positiveScores, options, stats);
    let chosen: Candidate[];
    if (flag) {
      const random = mulberry32(mixSeed(seed, qi));
      chosen = sampleIndices(pool.length, numNegatives, random)
        .sort((a, b) => a - b)
        .map((i) => pool[i]!);
      if (chosen.length < numNegatives) {
        // hn_mine fills a short window from the whole corpus; every window candidate is either chosen already
        // or was removed on purpose (positive, query text, score filter), so none of them may come back.
        const blocked = new Set([
          ...excluded,
          same(q.query),
          ...result.candidates.slice(rangeMin, rangeMax).map((c) => same(c.text)),
        ]);
        const texts = drawFromCorpus(corpus, numNegatives - chosen.length, blocked, random);
        if (texts.length > 0) {
          stats.toppedUp++;
          chosen = [...chosen, ...(await scoreTopUp(q.query, texts, result.candidates, options.reranker))];
        }
      }
    } else {
      const window = scored ? pool.slice(0, rangeMax).slice(rangeMin) : pool;
      if ((options.samplingStrategy ?? 'top') === 'random') {
        const random = mulberry32(mixSeed(seed, qi));
        chosen = sampleIndices(window.length, numNegatives, random)
          .sort((a, b) => a - b)
          .map((i) => window[i]!);
      } else chosen = window.slice(0, numNegatives);
    }
    if (chosen.length < numNegatives) stats.short++;
    const record: MinedRecord = { query: q.query, pos: [...q.positives], neg: chosen.map((c) => c.text) };
    if (positiveScores) record.pos_scores = positiveScores.map(round);
    // A top-up passage the miner never ranked has no score: then the record has none rather than a hole.
    if (scored && chosen.every((c) => c.score !== undefined))
      record.neg_scores = chosen.map((c) => round(c.score!));
    if (options.prompt !== undefined) record.prompt = options.prompt;
    records.push(record);
  }
  return { records, stats };
}

/**
 * Up to `count` corpus passages in a seeded random order, skipping blocked texts (compared trimmed) and
 * repeats. The permutation is drawn lazily (Fisher–Yates with only the swapped slots stored), so a big corpus
 * costs O(draws), and a small one whose passages are nearly all blocked ends after one pass instead of looping.
 */
function drawFromCorpus(
  corpus: readonly string[],
  count: number,
  blocked: ReadonlySet<string>,
  random: () => number,
): string[] {
  const out: string[] = [];
  const taken = new Set<string>();
  const swapped = new Map<number, number>();
  for (let i = 0; i < corpus.length && out.length < count; i++) {
    const j = i + Math.floor(random() * (corpus.length - i));
    const pick = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    const text = corpus[pick]!;
    const key = same(text);
    if (blocked.has(key) || taken.has(key)) continue;
    taken.add(key);
    out.push(text);
  }
  return out;
}

/**
 * Scores of top-up passages on the same scale as the window's: the reranker's when there is one (its scores
 * replaced the miner's), else the miner's for a passage it ranked, else none.
 */
async function scoreTopUp(
  query: string,
  texts: readonly string[],
  ranked: readonly Candidate[],
  reranker: Reranker | undefined,
): Promise<Candidate[]> {
  if (reranker) {
    const s = await reranker.score(texts.map((t) => [query, t]));
    if (s.length !== texts.length)
      throw new Error(`the reranker returned ${s.length} scores for ${texts.length} pairs`);
    return texts.map((text, i) => ({ text, score: s[i]! }));
  }
  const minerScores = new Map<string, number>();
  for (const c of ranked)
    if (c.score !== undefined && !minerScores.has(c.text)) minerScores.set(c.text, c.score);
  return texts.map((text) => {
    const score = minerScores.get(text);
    return score === undefined ? { text } : { text, score };
  });
}

/** sentence-transformers' filters, in its order: margins against the lowest positive score, then max/min score. */
function applyScoreFilters(
  pool: Candidate[],
  positiveScores: readonly number[] | undefined,
  options: MineOptions,
  stats: MiningStats,
): Candidate[] {
  let out = pool;
  const drop = (name: keyof MiningStats['removed'], keep: (score: number) => boolean) => {
    const before = out.length;
    out = out.filter((c) => keep(c.score ?? Number.NaN));
    stats.removed[name] += before - out.length;
  };
  if (options.absoluteMargin !== undefined || options.relativeMargin !== undefined) {
    if (!positiveScores || positiveScores.length === 0)
      throw new Error('margins need positive scores, which this miner did not give');
    const lowest = Math.min(...positiveScores);
    if (options.absoluteMargin !== undefined) {
      const m = options.absoluteMargin;
      drop('absoluteMargin', (s) => !(s + m > lowest));
    }
    if (options.relativeMargin !== undefined) {
      const r = options.relativeMargin;
      drop('relativeMargin', (s) => !(s > lowest * (1 - r)));
    }
  }
  if (options.maxScore !== undefined) {
    const max = options.maxScore;
    drop('maxScore', (s) => !(s > max));
  }
  if (options.minScore !== undefined) {
    const min = options.minScore;
    drop('minScore', (s) => !(s < min));
  }
  return out;
}

/** Scores as float32 gives them, printed short (JSON of 0.1f is 0.10000000149011612 otherwise). */
function round(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(7)) : x;
}
