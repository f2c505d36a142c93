/**
 * Benchmark line (not a test): peak RSS and time of dense mining at scale — by default 100k queries against
 * 100k passages with the tiny fixture model on onnxruntime-node, exact chunked search, sentence-transformers'
 * defaults (3 negatives). Prints one JSON line. The budget is 2 GiB peak RSS.
 *
 * Texts: SNLI dev+test sentences (≈39k distinct), each made distinct by a numeric suffix, as queries
 * (`<sentence> #<i>`) and passages (`<sentence> passage <i>`). Flags: --queries N, --passages N,
 * --vectors random (skip the model: random unit vectors of the tiny model's dimension 32, to time the
 * search alone), --index exact|usearch.
 *
 *   node --conditions=@contrastive/source --import tsx scripts/bench/mine.ts [--queries 100000] [--passages 100000]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SentenceEncoder } from '../../packages/bert/src/index.js';
import {
  DenseMiner,
  type Embedder,
  createUsearchIndex,
  mineHardNegatives,
} from '../../packages/negatives/src/index.js';
import { initBackend } from '../../packages/tensor-gpu/src/index.js';
import { sharedPath } from '../../test-support/shared.js';

const { values: args } = parseArgs({
  options: {
    queries: { type: 'string', default: '100000' },
    passages: { type: 'string', default: '100000' },
    vectors: { type: 'string', default: 'model' },
    index: { type: 'string', default: 'exact' },
  },
});
const numQueries = Number(args.queries);
const numPassages = Number(args.passages);

const sentences: string[] = [];
for (const f of ['s1.dev', 's2.dev', 's1.test', 's2.test']) {
  for (const line of readFileSync(sharedPath('data', 'snli', f), 'utf8').split('\n'))
    if (line.trim()) sentences.push(line.trim());
}
const unique = [...new Set(sentences)];
const queries = Array.from({ length: numQueries }, (_, i) => `${unique[i % unique.length]} #${i}`);
const passages = Array.from(
  { length: numPassages },
  (_, i) => `${unique[(i * 7919) % unique.length]} passage ${i}`,
);
// Each query's positive is one passage; the rest of the corpus is candidates.
const rows = queries.map((query, i) => ({ query, pos: passages[i % numPassages]! }));

let embedder: Embedder;
let engine = 'random-vectors';
if (args.vectors === 'random') {
  // Deterministic pseudo-random 32-d vectors per text: isolates the index/top-k part of mining.
  embedder = {
    embed: (texts) =>
      texts.map((t) => {
        let h = 2166136261;
        for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 16777619);
        return Float32Array.from({ length: 32 }, () => {
          h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
          return h / 4294967296 - 0.5;
        });
      }),
  };
} else {
  await initBackend();
  const model = await SentenceEncoder.load(sharedPath('fixtures', 'tiny-bert'));
  engine = `${await model.selectEncodeEngine('onnx')}`;
  embedder = { embed: (texts) => model.encode(texts, { batchSize: 256 }) };
}

const stages: Record<string, number> = {};
let stage = '';
let stageStart = Date.now();
const t0 = Date.now();
const { stats } = await mineHardNegatives(rows, {
  miner: new DenseMiner(embedder, {
    createIndex: args.index === 'usearch' ? (d) => createUsearchIndex(d) : undefined,
  }),
  corpus: passages,
  onProgress: (s) => {
    if (s !== stage) {
      if (stage) stages[stage] = (Date.now() - stageStart) / 1000;
      stage = s;
      stageStart = Date.now();
    }
  },
});
if (stage) stages[stage] = (Date.now() - stageStart) / 1000;
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
console.log(
  JSON.stringify({
    bench: 'mine',
    miner: 'dense',
    index: args.index,
    vectors: args.vectors === 'random' ? 'random 32-d vectors (search only)' : `tiny-bert on ${engine}`,
    queries: numQueries,
    passages: stats.corpus,
    seconds: (Date.now() - t0) / 1000,
    stages,
    peak_rss_mib: Math.round(peakRssMiB),
    under_2_gib: peakRssMiB < 2048,
    file: join('scripts', 'bench', 'mine.ts'),
  }),
);
