import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { augmentAll, queryGeneration } from '@contrastive/augment';
import { CrossEncoder, type CrossEncoderActivation, SentenceEncoder } from '@contrastive/bert';
import { mixSeed, mulberry32, permutation } from '@contrastive/core';
import type { TextGenerator } from '@contrastive/llm';
import { createLoss } from '@contrastive/losses';
import {
  Bm25Miner,
  DenseMiner,
  type MiningRow,
  type NegativeMiner,
  mineHardNegatives,
} from '@contrastive/negatives';
import type { EngineChoice } from '@contrastive/tensor-gpu';
import {
  type BatchSampler,
  type ColumnarDataset,
  type Progress,
  SentenceTransformerTrainer,
  type TrainingArguments,
  createProgress,
} from '@contrastive/trainer';
import { readJsonLines, readMiningCorpus, readMiningRows, writeJsonLinesAtomic } from './commands/mine.js';

/**
 * GPL's reference defaults (UKPLab/gpl `gpl.train`): 3 queries per passage, 50 negatives per query and
 * retriever, MarginMSE on dot product, batch 32, 140k steps, 1000 warmup steps, max_seq_length 350; and
 * sentence-transformers' `fit` defaults it trains with (AdamW, learning rate 2e-5, weight decay 0.01, linear
 * schedule, gradient norm clipped at 1).
 */
export const GPL_DEFAULTS = {
  queriesPerPassage: 3,
  negativesPerQuery: 50,
  steps: 140_000,
  batchSize: 32,
  warmupSteps: 1000,
  learningRate: 2e-5,
  weightDecay: 0.01,
  maxSeqLength: 350,
  similarity: 'dot' as const,
  saveSteps: 10_000,
};

/** A negative miner: `self` (the model being adapted, GPL's "self_miner"), `bm25`, or another model's folder. */
export type GplRetriever = string;

export interface GplOptions {
  /** The sentence encoder to adapt (folder or hub id). */
  model: string;
  /** Target-domain passages: JSONL `{"text"}` or a BEIR corpus.jsonl (`title + " " + text`). */
  corpus: string;
  /** The teacher (a one-label cross-encoder folder or hub id). */
  crossEncoder: string;
  /** Writes the queries (any `TextGenerator`: @contrastive/llm's OpenAI-compatible provider, or yours). */
  generator: TextGenerator;
  /** The adapted model (the trainer's output folder: model, checkpoints, metrics.jsonl). */
  output: string;
  /**
   * Intermediate files (default `<output>/gpl-data`): `queries.jsonl`, `hard-negatives.jsonl`,
   * `gpl-training-data.jsonl`. An existing `queries.jsonl` or `hard-negatives.jsonl` there is used instead of
   * generating or mining again (GPL's "customized data").
   */
  dataDir?: string;
  queriesPerPassage?: number;
  /** Negatives kept per query and retriever (GPL's `negatives_per_query`). */
  negativesPerQuery?: number;
  /** Default `['self']`. Each retriever's negatives are kept; a training tuple draws from their union. */
  retrievers?: GplRetriever[];
  /** Training steps; the pseudo-labeled data holds steps × batchSize tuples (one pass, in order). */
  steps?: number;
  batchSize?: number;
  learningRate?: number;
  /** Default GPL's 1000, at most a tenth of the steps (a short run is not all warmup). */
  warmupSteps?: number;
  maxSeqLength?: number;
  /** The student's score in MarginMSE: `dot` (GPL's) or `cosine`. */
  similarity?: 'dot' | 'cosine';
  /** Applied to the cross-encoder's logit before the margin (default the model's, as `predict`). */
  crossEncoderActivation?: CrossEncoderActivation;
  /** Query-generation prompt template ({text}, {n}); default the augment package's QUERY_PROMPT. */
  queryPrompt?: string;
  /** Passages sent to the generator at once (default 4). */
  concurrency?: number;
  seed?: number;
  /** What runs the transformers (mining, scoring, training). */
  engine?: EngineChoice;
  saveSteps?: number;
  loggingSteps?: number;
  progress?: boolean;
  log?: (line: string) => void;
}

export interface GplResult {
  output: string;
  data_dir: string;
  passages: number;
  queries: number;
  /** Passages the generator gave no query for. */
  passages_without_query: number;
  retrievers: string[];
  /** Queries with at least one negative (the others cannot form a tuple). */
  queries_with_negatives: number;
  tuples: number;
  /** Distinct (query, passage) pairs the cross-encoder scored. */
  scored_pairs: number;
  mean_margin: number;
  steps: number;
  train_loss: number;
  /** Steps whose files were found in the data folder and used as they were. */
  reused: string[];
}

/** One query's mined negatives, per retriever (GPL's hard-negatives.jsonl, with texts instead of ids). */
export interface GplHardNegatives {
  query: string;
  pos: string[];
  neg: Record<string, string[]>;
}

/** One pseudo-labeled training tuple: `label` = CE(query, positive) − CE(query, negative). */
export interface GplTuple {
  query: string;
  positive: string;
  negative: string;
  label: number;
  pos_score: number;
  neg_score: number;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`gpl: ${name} must be a positive integer, got ${v}`);
  return v;
}

/**
 * GPL's training tuples, as its loader draws them: epochs over the queries in a seeded order, whole batches only
 * (drop_last), each query with one of its positives and one negative from the union of the retrievers', drawn
 * at random; until `count` tuples. Queries without a negative are skipped.
 */
export function sampleGplTuples(
  records: readonly GplHardNegatives[],
  count: number,
  batchSize: number,
  seed: number,
): Array<Omit<GplTuple, 'label' | 'pos_score' | 'neg_score'>> {
  const usable = records
    .map((r) => ({ query: r.query, pos: r.pos, neg: [...new Set(Object.values(r.neg).flat())] }))
    .filter((r) => r.pos.length > 0 && r.neg.length > 0);
  if (usable.length < batchSize)
    throw new Error(
      `gpl: ${usable.length} queries have negatives, fewer than the batch size ${batchSize} (a bigger corpus, more queries per passage or a smaller --batch-size)`,
    );
  const out: Array<Omit<GplTuple, 'label' | 'pos_score' | 'neg_score'>> = [];
  const whole = usable.length - (usable.length % batchSize);
  for (let epoch = 0; out.length < count; epoch++) {
    const order = permutation(usable.length, mixSeed(seed, epoch));
    const random = mulberry32(mixSeed(seed, epoch, 1));
    for (let i = 0; i < whole && out.length < count; i++) {
      const r = usable[order[i]!]!;
      const positive = r.pos[Math.floor(random() * r.pos.length)]!;
      const negative = r.neg[Math.floor(random() * r.neg.length)]!;
      out.push({ query: r.query, positive, negative });
    }
  }
  return out;
}

/** Batches in data order: the tuples were drawn at random already (GPL trains with shuffle=False). */
const sequentialBatches: BatchSampler = (dataset, ctx) => {
  const out: number[][] = [];
  for (let s = 0; s + ctx.batchSize <= dataset.numRows; s += ctx.batchSize)
    out.push(Array.from({ length: ctx.batchSize }, (_, i) => s + i));
  return out;
};

/** Reads hard-negatives.jsonl (`{"query", "pos": [texts], "neg": {retriever: [texts]}}` a line). */
export function readGplHardNegatives(path: string): GplHardNegatives[] {
  const texts = (v: unknown) => Array.isArray(v) && v.every((t) => typeof t === 'string' && t.trim() !== '');
  return readJsonLines(path).map(({ value, where }) => {
    const { query, pos, neg } = value;
    if (typeof query !== 'string' || query.trim() === '')
      throw new Error(`${where}: field "query" must be a non-empty text`);
    if (!texts(pos) || (pos as string[]).length === 0)
      throw new Error(`${where}: field "pos" must be a non-empty list of texts`);
    if (typeof neg !== 'object' || neg === null || Array.isArray(neg))
      throw new Error(`${where}: field "neg" must be an object {retriever: [texts]}`);
    for (const [name, list] of Object.entries(neg))
      if (!texts(list)) throw new Error(`${where}: field "neg.${name}" must be a list of texts`);
    return { query, pos: pos as string[], neg: neg as Record<string, string[]> };
  });
}

/**
 * GPL (Wang et al., generative pseudo-labeling), domain adaptation of a dense retriever with only the target
 * corpus: (1) the generator writes `queriesPerPassage` queries per passage, each (query, passage) a positive;
 * (2) negatives are mined for each query by each retriever (by default the model being adapted); (3) the
 * cross-encoder scores (query, positive) and (query, negative) of steps × batchSize sampled tuples, the label
 * being the margin of the two scores; (4) the model is trained with MarginMSELoss on those margins.
 */
export async function runGpl(o: GplOptions): Promise<GplResult> {
  const log = o.log ?? (() => {});
  const qpp = positiveInt('queriesPerPassage', o.queriesPerPassage ?? GPL_DEFAULTS.queriesPerPassage);
  const nneg = positiveInt('negativesPerQuery', o.negativesPerQuery ?? GPL_DEFAULTS.negativesPerQuery);
  const steps = positiveInt('steps', o.steps ?? GPL_DEFAULTS.steps);
  const batchSize = positiveInt('batchSize', o.batchSize ?? GPL_DEFAULTS.batchSize);
  const seed = o.seed ?? 42;
  const retrievers = o.retrievers?.length ? o.retrievers : ['self'];
  if (new Set(retrievers).size !== retrievers.length)
    throw new Error(`gpl: a retriever is named twice (${retrievers.join(', ')})`);
  const engine = o.engine ?? 'auto';
  const progressOn = o.progress !== false;
  const bar = (label: string, total: number): Progress =>
    createProgress(label, total, { enabled: progressOn });
  const output = resolve(o.output);
  const dataDir = resolve(o.dataDir ?? join(output, 'gpl-data'));
  mkdirSync(dataDir, { recursive: true });
  const reused: string[] = [];

  const corpus = readMiningCorpus(o.corpus);
  const passages = [...new Set(corpus.passages)];
  if (passages.length === 0) throw new Error(`${o.corpus}: no passages`);
  if (nneg >= passages.length)
    log(`gpl: ${passages.length} passages: at most ${passages.length - 1} negatives per query and retriever`);

  // (1) Query generation.
  const queriesFile = join(dataDir, 'queries.jsonl');
  let rows: MiningRow[];
  let withoutQuery = 0;
  if (existsSync(queriesFile)) {
    rows = readMiningRows(queriesFile);
    if (rows.length === 0) throw new Error(`${queriesFile}: no rows`);
    reused.push('queries');
    log(`gpl: (1) using ${rows.length} queries from ${queriesFile}`);
  } else {
    log(`gpl: (1) generating ${qpp} queries for each of ${passages.length} passages`);
    const generate = queryGeneration({ generator: o.generator, numQueries: qpp, prompt: o.queryPrompt });
    const progress = bar('generate queries', passages.length);
    const generated = await augmentAll(generate, passages, {
      seed,
      concurrency: o.concurrency ?? 4,
      onProgress: (done) => progress.update(done),
    });
    progress.stop();
    rows = [];
    generated.forEach((queries, i) => {
      if (queries.length === 0) withoutQuery++;
      for (const query of queries) rows.push({ query, pos: passages[i]! });
    });
    if (rows.length === 0) throw new Error('gpl: the generator gave no query for any passage');
    await writeJsonLinesAtomic(queriesFile, rows);
  }

  const model = await SentenceEncoder.load(o.model, {
    maxSeqLength: o.maxSeqLength ?? GPL_DEFAULTS.maxSeqLength,
  });
  const others: SentenceEncoder[] = [];
  try {
    // (2) Negative mining, once per retriever.
    const negativesFile = join(dataDir, 'hard-negatives.jsonl');
    let hardNegatives: GplHardNegatives[];
    if (existsSync(negativesFile)) {
      hardNegatives = readGplHardNegatives(negativesFile);
      reused.push('hard-negatives');
      log(`gpl: (2) using the negatives of ${hardNegatives.length} queries from ${negativesFile}`);
    } else {
      const byQuery = new Map<string, GplHardNegatives>();
      for (const retriever of retrievers) {
        let miner: NegativeMiner;
        if (retriever === 'bm25') miner = new Bm25Miner();
        else {
          const encoder = retriever === 'self' ? model : await SentenceEncoder.load(retriever);
          if (encoder !== model) others.push(encoder);
          await encoder.selectEncodeEngine(engine, {
            purpose: 'encode',
            bulk: true,
            report: (line) => log(line),
          });
          miner = new DenseMiner({ embed: (texts) => encoder.encode(texts, { batchSize: 64 }) });
        }
        log(`gpl: (2) mining ${nneg} negatives per query with ${retriever}`);
        const bars = new Map<string, Progress>();
        const { records } = await mineHardNegatives(rows, {
          miner,
          corpus: passages,
          numNegatives: nneg,
          seed,
          onProgress: (stage, done, total) => {
            let b = bars.get(stage);
            if (!b) {
              for (const x of bars.values()) x.stop();
              b = bar(`${retriever}: ${stage}`, total);
              bars.set(stage, b);
            }
            b.update(done);
          },
        });
        for (const b of bars.values()) b.stop();
        for (const r of records) {
          const entry = byQuery.get(r.query) ?? { query: r.query, pos: r.pos, neg: {} };
          entry.neg[retriever] = r.neg;
          byQuery.set(r.query, entry);
        }
      }
      await model.release();
      for (const e of others.splice(0)) {
        await e.release();
        e.dispose();
      }
      hardNegatives = [...byQuery.values()];
      await writeJsonLinesAtomic(negativesFile, hardNegatives);
    }

    // (3) Pseudo-labeling: the cross-encoder's margin on each sampled tuple.
    const sampled = sampleGplTuples(hardNegatives, steps * batchSize, batchSize, seed);
    const key = (q: string, p: string) => `${q}\u0000${p}`;
    const unique = new Map<string, [string, string]>();
    for (const t of sampled) {
      unique.set(key(t.query, t.positive), [t.query, t.positive]);
      unique.set(key(t.query, t.negative), [t.query, t.negative]);
    }
    log(
      `gpl: (3) scoring ${unique.size} (query, passage) pairs of ${sampled.length} tuples with the cross-encoder`,
    );
    const ce = await CrossEncoder.load(o.crossEncoder);
    const scoreOf = new Map<string, number>();
    try {
      if (ce.numLabels !== 1)
        throw new Error(
          `${o.crossEncoder}: GPL needs a one-label cross-encoder (one relevance score per pair), this one has ${ce.numLabels} labels`,
        );
      await ce.selectEncodeEngine(engine, (line) => log(line), { bulk: true });
      const pairs = [...unique.values()];
      const progress = bar('pseudo-label', pairs.length);
      const scores = await ce.score(pairs, {
        batchSize: 64,
        activation: o.crossEncoderActivation,
        progress: (done) => progress.update(done),
      });
      progress.stop();
      pairs.forEach(([q, p], i) => scoreOf.set(key(q, p), scores[i]!));
    } finally {
      await ce.release();
      ce.dispose();
    }
    const tuples: GplTuple[] = sampled.map((t) => {
      const pos = scoreOf.get(key(t.query, t.positive))!;
      const neg = scoreOf.get(key(t.query, t.negative))!;
      return { ...t, label: pos - neg, pos_score: pos, neg_score: neg };
    });
    await writeJsonLinesAtomic(join(dataDir, 'gpl-training-data.jsonl'), tuples);

    // (4) MarginMSE on the margins, one pass over the tuples in order.
    log(`gpl: (4) training ${steps} steps of MarginMSE (${o.similarity ?? GPL_DEFAULTS.similarity})`);
    const columns: Record<string, unknown[]> = {
      query: tuples.map((t) => t.query),
      positive: tuples.map((t) => t.positive),
      negative: tuples.map((t) => t.negative),
      label: tuples.map((t) => t.label),
    };
    const dataset: ColumnarDataset = {
      columnNames: ['query', 'positive', 'negative', 'label'],
      numRows: tuples.length,
      column: (name) => columns[name]!,
    };
    const args: Partial<TrainingArguments> & { outputDir: string } = {
      outputDir: output,
      numTrainEpochs: 1,
      maxSteps: steps,
      perDeviceTrainBatchSize: batchSize,
      learningRate: o.learningRate ?? GPL_DEFAULTS.learningRate,
      weightDecay: GPL_DEFAULTS.weightDecay,
      maxGradNorm: 1,
      lrSchedulerType: 'linear',
      warmupSteps: Math.min(o.warmupSteps ?? GPL_DEFAULTS.warmupSteps, Math.floor(steps / 10)),
      seed,
      batchSampler: sequentialBatches,
      dataloaderDropLast: true,
      saveSteps: o.saveSteps ?? GPL_DEFAULTS.saveSteps,
      loggingSteps: o.loggingSteps ?? 500,
      progress: progressOn,
      trainEngine: engine,
      evalEngine: engine,
    };
    const result = await new SentenceTransformerTrainer({
      model,
      args,
      trainDataset: dataset,
      loss: createLoss('margin-mse', { similarity: o.similarity ?? GPL_DEFAULTS.similarity }),
      baseModel: o.model,
    }).train();
    const queries = new Set(rows.map((r) => r.query)).size;
    return {
      output: result.outputDir,
      data_dir: dataDir,
      passages: passages.length,
      queries,
      passages_without_query: withoutQuery,
      retrievers: reused.includes('hard-negatives') ? Object.keys(hardNegatives[0]?.neg ?? {}) : retrievers,
      queries_with_negatives: hardNegatives.filter((r) => Object.values(r.neg).some((n) => n.length > 0))
        .length,
      tuples: tuples.length,
      scored_pairs: unique.size,
      mean_margin: tuples.reduce((s, t) => s + t.label, 0) / tuples.length,
      steps: result.globalStep,
      train_loss: result.trainLoss,
      reused,
    };
  } finally {
    await model.release();
    model.dispose();
    for (const e of others) {
      await e.release();
      e.dispose();
    }
  }
}
