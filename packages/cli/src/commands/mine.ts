import { once } from 'node:events';
import { createWriteStream, existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CrossEncoder, resolveModelDir } from '@contrastive/bert';
import {
  Bm25Miner,
  DenseMiner,
  type Embedder,
  EmbedderReranker,
  HybridMiner,
  type MineOptions,
  type MiningRow,
  type NegativeMiner,
  OUTPUT_FORMATS,
  type OutputFormat,
  RandomMiner,
  type Reranker,
  createUsearchIndex,
  formatRecords,
  mineHardNegatives,
} from '@contrastive/negatives';
import { type EngineDevice, initBackend } from '@contrastive/tensor-gpu';
import { type Progress, createProgress } from '@contrastive/trainer';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type Engine,
  type LoadedEncoder,
  checkOnnxFlags,
  deviceOption,
  loadEncoder,
  parseEngine,
  warnUnusedWorkers,
  withOnnxFlags,
  workersOption,
} from '../engine.js';
import { parseNonNegativeInt, parseNumber, parsePositiveInt } from '../options.js';
import { pluginMiner, pluginMinerNames } from '../plugins.js';

export const MINE_STRATEGIES = ['random', 'bm25', 'dense', 'hybrid'] as const;
/** The vector index of dense mining: exact search, or HNSW through the optional `usearch` package. */
export const MINE_INDEXES = ['exact', 'hnsw'] as const;
/** A built-in strategy, or the name of a miner a plugin registered (`--plugin`). */
export type MineStrategy = (typeof MINE_STRATEGIES)[number] | (string & {});

export interface MineCommandOptions {
  /** Model folder or hub id; needed by dense and hybrid. */
  model?: string;
  input: string;
  /** A JSONL corpus (`{"text"}` or BEIR `{_id, title, text}`), or `from-positives`. */
  corpus: string;
  strategy: MineStrategy;
  numNegatives?: number;
  rangeMin?: number;
  rangeMax?: number;
  rangeForSampling?: [number, number];
  maxScore?: number;
  minScore?: number;
  margin?: number;
  relativeMargin?: number;
  samplingStrategy?: 'top' | 'random';
  queryPrompt?: string;
  /** Written as each record's FlagEmbedding `prompt`. */
  prompt?: string;
  format: OutputFormat;
  seed?: number;
  output: string;
  /**
   * Rescores candidates (false-negative filter with --margin): a cross-encoder folder (config.json's
   * architectures name a `…ForSequenceClassification`; one label, scored as `predict` does), else a second
   * embedding model (cosine similarity).
   */
  reranker?: string;
  cacheDir?: string;
  batchSize?: number;
  engine?: Engine;
  /** onnx: encode sessions in worker threads, for the model and the reranker (default `auto`, as `encode`). */
  workers?: number | 'auto';
  /** onnx: where the model and the reranker run (default cpu). */
  device?: EngineDevice;
  /** Dense mining's vector index: `exact` (default) or `hnsw` (approximate, `npm i usearch`). */
  index?: (typeof MINE_INDEXES)[number];
}

/** Reads `--input` rows: JSONL of `{"query", "pos"}`, `pos` a text or a list of texts. */
export function readMiningRows(path: string): MiningRow[] {
  return readJsonLines(path).map(({ value, where }) => {
    const query = value.query;
    if (typeof query !== 'string' || query.trim() === '')
      throw new Error(`${where}: field "query" must be a non-empty text`);
    const pos = value.pos;
    const list = typeof pos === 'string' ? [pos] : pos;
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      list.some((p) => typeof p !== 'string' || p.trim() === '')
    )
      throw new Error(`${where}: field "pos" must be a non-empty text or a non-empty list of texts`);
    return { query, pos: list as string[] };
  });
}

/** A corpus as mining sees it: passages, and for BEIR corpora each passage's bare `text` → passage. */
export interface MiningCorpus {
  passages: string[];
  byBareText: Map<string, string>;
}

/**
 * Reads a corpus: JSONL of `{"text"}`, or a BEIR `corpus.jsonl` (`_id`, `title`, `text`), where a passage is
 * `title + " " + text` trimmed, as MTEB builds it.
 */
export function readMiningCorpus(path: string): MiningCorpus {
  const passages: string[] = [];
  const byBareText = new Map<string, string>();
  for (const { value, where } of readJsonLines(path)) {
    const text = value.text;
    if (typeof text !== 'string') throw new Error(`${where}: field "text" must be a text`);
    const title = value.title;
    if (title !== undefined && title !== null && typeof title !== 'string')
      throw new Error(`${where}: field "title" must be a text`);
    const passage = title ? `${title} ${text}`.trim() : text.trim();
    if (passage === '') throw new Error(`${where}: empty passage`);
    passages.push(passage);
    if (passage !== text) byBareText.set(text, passage);
  }
  return { passages, byBareText };
}

/** JSON objects, one a line (blank lines skipped); each with where it came from (`file:line`) for errors. */
export function readJsonLines(path: string): Array<{ value: Record<string, unknown>; where: string }> {
  if (!existsSync(path)) throw new Error(`${path}: file not found`);
  const lines = readFileSync(path, 'utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/);
  const out: Array<{ value: Record<string, unknown>; where: string }> = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${path}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error(`${where}: expected a JSON object`);
    out.push({ value: value as Record<string, unknown>, where });
  });
  return out;
}

/** Writes JSON lines to a temp file beside `path`, then renames it into place. */
export async function writeJsonLinesAtomic(path: string, items: Iterable<object>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  try {
    const out = createWriteStream(tmp);
    const failed = once(out, 'error').then(([e]) => {
      throw e;
    });
    for (const item of items) {
      if (!out.write(`${JSON.stringify(item)}\n`)) await Promise.race([once(out, 'drain'), failed]);
    }
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(`${path}: cannot write output (${(e as Error).message})`);
  }
}

/** `A-B` → [A, B]. */
export function parseRangeForSampling(value: string): [number, number] {
  const m = value.trim().match(/^(\d+)\s*-\s*(\d+)$/);
  if (!m || Number(m[1]) >= Number(m[2]))
    throw new InvalidArgumentError(
      `--range-for-sampling must be A-B with A < B (e.g. 10-210), got "${value}"`,
    );
  return [Number(m[1]), Number(m[2])];
}

/** A cache key naming the model and its weights' version (their size and mtime), so a retrained model misses. */
function modelCacheKey(model: string, prompt: string | undefined): string {
  const weights = join(model, 'model.safetensors');
  const version = existsSync(weights) ? `${statSync(weights).size}:${statSync(weights).mtimeMs}` : '';
  return `${model}|${version}|${prompt ?? ''}`;
}

function embedderOf(loaded: LoadedEncoder, batchSize: number): Embedder {
  return { embed: (texts) => loaded.runner.encode(texts, { batchSize }) };
}

/** `contrastive mine`: mines negatives for (query, pos) rows and writes them in the chosen layout. */
export async function runMine(opts: MineCommandOptions): Promise<Record<string, unknown>> {
  const rows = readMiningRows(opts.input);
  if (rows.length === 0) throw new Error(`${opts.input}: no rows`);
  const corpus = opts.corpus === 'from-positives' ? undefined : readMiningCorpus(opts.corpus);
  const plugin = pluginMiner(opts.strategy);
  if (!plugin && !(MINE_STRATEGIES as readonly string[]).includes(opts.strategy))
    throw new Error(
      `unknown --strategy "${opts.strategy}"; known: ${[...MINE_STRATEGIES, ...pluginMinerNames()].join(', ')}`,
    );
  const onnxFlags = { workers: opts.workers, device: opts.device };
  checkOnnxFlags(opts.engine ?? 'auto', onnxFlags);
  const needsModel = opts.strategy === 'dense' || opts.strategy === 'hybrid';
  if (needsModel && !opts.model) throw new Error(`--strategy ${opts.strategy} needs --model`);
  // Hybrid mining re-ranks BM25's candidates by dense score: it searches no vector index.
  if (opts.index === 'hnsw' && opts.strategy !== 'dense')
    throw new Error(`--index hnsw is the vector index of --strategy dense, not ${opts.strategy}`);
  const loaded: LoadedEncoder[] = [];
  const batchSize = opts.batchSize ?? 64;
  const load = async (path: string) => {
    if (loaded.length === 0) process.stderr.write(`${(await initBackend()).summary}\n`);
    const l = await loadEncoder(path, opts.engine ?? 'auto', {}, { ...onnxFlags, bulk: true });
    loaded.push(l);
    return l;
  };
  const crossEncoders: CrossEncoder[] = [];
  const loadReranker = async (path: string): Promise<Reranker> => {
    const dir = await resolveModelDir(path);
    if (!CrossEncoder.isCrossEncoderFolder(dir))
      return new EmbedderReranker(embedderOf(await load(path), batchSize));
    if (loaded.length === 0 && crossEncoders.length === 0)
      process.stderr.write(`${(await initBackend()).summary}\n`);
    const ce = await CrossEncoder.load(dir);
    ce.onnxOptions = withOnnxFlags(ce.onnxOptions, onnxFlags);
    crossEncoders.push(ce);
    if (ce.numLabels !== 1)
      throw new Error(
        `${path}: --reranker needs a one-label cross-encoder (one relevance score per pair), this one has ${ce.numLabels} labels`,
      );
    const chosen = await ce.selectEncodeEngine(
      opts.engine ?? 'auto',
      (line) => process.stderr.write(`${line}\n`),
      { bulk: true },
    );
    warnUnusedWorkers(chosen, opts.workers);
    return ce;
  };
  try {
    let miner: NegativeMiner;
    const dense = {
      queryPrompt: opts.queryPrompt,
      cacheDir: opts.cacheDir,
      cacheKey: opts.model ? modelCacheKey(opts.model, undefined) : undefined,
      batchSize: 256,
      // One build thread: the same graph, so the same negatives, on every run (several threads insert in a racy
      // order). expansionSearch 300: a candidate list well beyond the k kept (recall).
      createIndex:
        opts.index === 'hnsw'
          ? (d: number) => createUsearchIndex(d, { threads: 1, expansionSearch: 300 })
          : undefined,
    };
    if (plugin) {
      miner = await plugin({
        embedder: opts.model ? embedderOf(await load(opts.model), batchSize) : undefined,
        queryPrompt: opts.queryPrompt,
      });
    } else if (opts.strategy === 'random') miner = new RandomMiner();
    else if (opts.strategy === 'bm25') miner = new Bm25Miner();
    else if (opts.strategy === 'dense')
      miner = new DenseMiner(embedderOf(await load(opts.model!), batchSize), dense);
    else miner = new HybridMiner(embedderOf(await load(opts.model!), batchSize), dense);
    // A positive given as a BEIR passage's bare text is that passage: it must never come back as a negative.
    const aliases = new Map<string, string[]>();
    if (corpus && corpus.byBareText.size > 0) {
      for (const row of rows) {
        for (const p of typeof row.pos === 'string' ? [row.pos] : row.pos) {
          const passage = corpus.byBareText.get(p);
          if (passage) aliases.set(row.query, [...(aliases.get(row.query) ?? []), passage]);
        }
      }
    }
    const bars = new Map<string, Progress>();
    const options: MineOptions = {
      miner,
      corpus: corpus?.passages,
      numNegatives: opts.numNegatives,
      rangeMin: opts.rangeMin,
      rangeMax: opts.rangeMax,
      rangeForSampling: opts.rangeForSampling,
      maxScore: opts.maxScore,
      minScore: opts.minScore,
      absoluteMargin: opts.margin,
      relativeMargin: opts.relativeMargin,
      samplingStrategy: opts.samplingStrategy,
      seed: opts.seed,
      prompt: opts.prompt,
      aliases,
      reranker: opts.reranker ? await loadReranker(opts.reranker) : undefined,
      onProgress: (stage, done, total) => {
        let bar = bars.get(stage);
        if (!bar) {
          for (const b of bars.values()) b.stop();
          bar = createProgress(stage, total);
          bars.set(stage, bar);
        }
        bar.update(done);
      },
    };
    const { records, stats } = await mineHardNegatives(rows, options);
    for (const b of bars.values()) b.stop();
    const out = formatRecords(records, opts.format);
    await writeJsonLinesAtomic(opts.output, out);
    return {
      command: 'mine',
      strategy: opts.strategy,
      ...(opts.strategy === 'dense' ? { index: opts.index ?? 'exact' } : {}),
      format: opts.format,
      output: opts.output,
      written: out.length,
      ...stats,
    };
  } finally {
    for (const l of loaded) await l.release();
    for (const ce of crossEncoders) {
      await ce.release();
      ce.dispose();
    }
  }
}

export function registerMine(program: Command): void {
  program
    .command('mine')
    .description(
      'Mine hard negatives for (query, pos) rows: random, BM25, dense or hybrid (sentence-transformers semantics)',
    )
    .option('--model <dir|hub id>', 'embedding model (dense and hybrid)')
    .requiredOption('--input <rows.jsonl>', 'JSONL rows {"query": ..., "pos": text or [texts]}')
    .requiredOption(
      '--corpus <file|from-positives>',
      'JSONL {"text"} or BEIR corpus.jsonl {_id,title,text}, or from-positives',
    )
    .addOption(
      new Option('--strategy <name>', 'where negatives come from')
        .choices([...MINE_STRATEGIES, ...pluginMinerNames()])
        .makeOptionMandatory(),
    )
    .option('--num-negatives <n>', 'negatives per query (default 3)', parsePositiveInt('--num-negatives'))
    .option('--range-min <n>', 'skip the n best candidates (default 0)', parseNonNegativeInt('--range-min'))
    .option('--range-max <n>', 'consider only the n best candidates', parsePositiveInt('--range-max'))
    .option(
      '--range-for-sampling <A-B>',
      'FlagEmbedding hn_mine: sample from ranks A..B-1 (a short window is topped up at random from the corpus)',
      parseRangeForSampling,
    )
    .option('--max-score <x>', 'drop candidates scoring above x', parseNumber('--max-score'))
    .option('--min-score <x>', 'drop candidates scoring below x', parseNumber('--min-score'))
    .option(
      '--margin <x>',
      'drop candidates scoring above (lowest positive score − x)',
      parseNumber('--margin'),
    )
    .option(
      '--relative-margin <x>',
      'drop candidates scoring above lowest positive score × (1 − x)',
      parseNumber('--relative-margin'),
    )
    .addOption(
      new Option('--sampling-strategy <s>', 'top: the best; random: a seeded draw').choices([
        'top',
        'random',
      ]),
    )
    .option('--query-prompt <text>', 'prepended to queries for mining only (e.g. a query instruction)')
    .option('--prompt <text>', 'written as each FlagEmbedding record\'s "prompt" (the training instruction)')
    .addOption(new Option('--format <name>', 'output layout').choices(OUTPUT_FORMATS).default('flag'))
    .option('--seed <n>', 'seed of random draws', parseNonNegativeInt('--seed'), 42)
    .option(
      '--reranker <dir|hub id>',
      'rescores candidates (false negatives with --margin): a cross-encoder, or a second embedding model',
    )
    .option('--cache-dir <dir>', 'cache embeddings here, keyed by model and text hash')
    .addOption(
      new Option(
        '--index <kind>',
        'dense search: exact, or hnsw (approximate, for large corpora; needs `npm i usearch`)',
      )
        .choices(MINE_INDEXES)
        .default('exact'),
    )
    .option('--batch-size <n>', 'encode batch size', parsePositiveInt('--batch-size'), 64)
    .option('--engine <name>', 'auto | onnx | tfjs', parseEngine, 'auto')
    .addOption(workersOption())
    .addOption(deviceOption())
    .requiredOption('--output <file>', 'output JSONL (written atomically)')
    .action(async (o) => {
      const summary = await runMine({ ...o } as MineCommandOptions);
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    });
}
