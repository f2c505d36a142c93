import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CrossEncoder, SentenceEncoder } from '@contrastive/bert';
import { StsEvaluator, loadStsData } from '@contrastive/eval-mteb';
import { createLoss } from '@contrastive/losses';
import { type ColumnarDataset, SentenceTransformerTrainer } from '@contrastive/trainer';

export interface AugmentedSbertOptions {
  /** A cross-encoder folder to start from (e.g. `contrastive init --cross-encoder --num-labels 2`). */
  crossEncoder: string;
  /** A sentence-encoder folder to start from (each bi-encoder run loads it afresh). */
  biEncoder: string;
  /** SNLI-layout folder: s1.<split>, s2.<split>, labels.<split>. */
  nliDir: string;
  /** STS-B original folder (sts-test.csv). */
  stsDir: string;
  /** Gold pairs (the first of the NLI data). Reference: 10000. */
  goldSize: number;
  /** Silver pairs (the NLI pairs after the gold ones), labeled by the cross-encoder. */
  silverSize: number;
  output: string;
  epochs: number;
  batchSize: number;
  crossEncoderLr: number;
  biEncoderLr: number;
  seed: number;
  log?: (line: string) => void;
}

export interface AugmentedSbertResult {
  gold_pairs: number;
  silver_pairs: number;
  silver_positive: number;
  cross_encoder: string;
  sts_test_spearman_gold_only: number;
  sts_test_spearman_gold_silver: number;
}

interface Pair {
  s1: string;
  s2: string;
  label: number;
}

/** SNLI dev+test as (s1, s2, entailment → 1, neutral/contradiction → 0), in file order. */
export function readNliPairs(dir: string): Pair[] {
  const out: Pair[] = [];
  for (const split of ['dev', 'test']) {
    const lines = (f: string) => readFileSync(join(dir, `${f}.${split}`), 'utf8').split('\n');
    const s1 = lines('s1');
    const s2 = lines('s2');
    const labels = lines('labels');
    labels.forEach((l, i) => {
      const label = l.trim();
      if (!label || !s1[i]?.trim() || !s2[i]?.trim()) return;
      out.push({ s1: s1[i]!.trim(), s2: s2[i]!.trim(), label: label === 'entailment' ? 1 : 0 });
    });
  }
  return out;
}

function columns(pairs: Pair[]): ColumnarDataset {
  const cols: Record<string, unknown[]> = {
    sentence1: pairs.map((p) => p.s1),
    sentence2: pairs.map((p) => p.s2),
    label: pairs.map((p) => p.label),
  };
  return { columnNames: ['sentence1', 'sentence2', 'label'], numRows: pairs.length, column: (n) => cols[n]! };
}

/**
 * Augmented SBERT (Thakur et al.), the reference workflow's five steps: (1) a cross-encoder trained on the gold
 * NLI pairs (entailment vs not; no-duplicates batches, 10% warmup); (2) new pairs (the NLI pairs after the gold
 * ones); (3) labeled by the cross-encoder (softmax argmax, or score > 0.5 for one label); (4) a bi-encoder
 * trained on gold + silver (duplicates dropped) with CosineSimilarityLoss; (5) the same bi-encoder on gold only.
 * Both bi-encoders are scored on STS-B test (Spearman of cosine similarity).
 */
export async function runAugmentedSbert(o: AugmentedSbertOptions): Promise<AugmentedSbertResult> {
  const log = o.log ?? (() => {});
  const all = readNliPairs(o.nliDir);
  if (all.length < o.goldSize + o.silverSize)
    throw new Error(
      `${o.nliDir}: ${all.length} NLI pairs, fewer than gold ${o.goldSize} + silver ${o.silverSize}`,
    );
  const gold = all.slice(0, o.goldSize);
  const common = {
    numTrainEpochs: o.epochs,
    perDeviceTrainBatchSize: o.batchSize,
    warmupRatio: 0.1,
    seed: o.seed,
    saveStrategy: 'no' as const,
    loggingStrategy: 'no' as const,
    progress: false,
  };

  log(`augsbert: (1) cross-encoder on ${gold.length} gold pairs`);
  const ce = await CrossEncoder.load(o.crossEncoder);
  const ceDir = join(o.output, 'cross-encoder');
  await new SentenceTransformerTrainer({
    model: ce,
    args: { ...common, outputDir: ceDir, learningRate: o.crossEncoderLr, batchSampler: 'no_duplicates' },
    trainDataset: columns(gold),
    loss: createLoss(ce.numLabels === 1 ? 'bce' : 'ce'),
  }).train();

  log(`augsbert: (2)+(3) labeling ${o.silverSize} silver pairs`);
  const candidates = all.slice(o.goldSize, o.goldSize + o.silverSize);
  const scores = await ce.predict(
    candidates.map((p) => [p.s1, p.s2] as [string, string]),
    { applySoftmax: true, batchSize: 64 },
  );
  const silver = candidates.map((p, i) => {
    const s = scores[i]!;
    const label = typeof s === 'number' ? (s > 0.5 ? 1 : 0) : s.indexOf(Math.max(...s));
    return { ...p, label };
  });
  await ce.release();
  ce.dispose();
  const seen = new Set(gold.map((p) => `${p.s1}\u0000${p.s2}`));
  const silverNew = silver.filter((p) => {
    const k = `${p.s1}\u0000${p.s2}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });

  const sts = new StsEvaluator(loadStsData(join(o.stsDir, 'sts-test.csv')), {
    name: 'sts-test',
    split: 'test',
  });
  const biEncoder = async (name: string, pairs: Pair[]) => {
    log(`augsbert: (${name === 'gold-silver' ? 4 : 5}) bi-encoder on ${pairs.length} pairs (${name})`);
    const model = await SentenceEncoder.load(o.biEncoder);
    await new SentenceTransformerTrainer({
      model,
      args: { ...common, outputDir: join(o.output, `bi-encoder-${name}`), learningRate: o.biEncoderLr },
      trainDataset: columns(pairs),
      loss: createLoss('cosine'),
    }).train();
    const r = await sts.evaluate(model);
    await model.release();
    model.dispose();
    return r.scores.spearman_cosine!;
  };
  const goldSilver = await biEncoder('gold-silver', [...gold, ...silverNew]);
  const goldOnly = await biEncoder('gold-only', gold);
  return {
    gold_pairs: gold.length,
    silver_pairs: silverNew.length,
    silver_positive: silverNew.filter((p) => p.label === 1).length,
    cross_encoder: ceDir,
    sts_test_spearman_gold_only: goldOnly,
    sts_test_spearman_gold_silver: goldSilver,
  };
}
