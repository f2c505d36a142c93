import type { Dataset, Row } from './dataset.js';
import { parseNumber } from './delimited.js';
import { DataError, type OnBadRow } from './errors.js';
import { negativeColumnsOf } from './flag.js';
import { parseRows } from './internal/parse_rows.js';
import {
  type NliLabelScheme,
  nliToPairs,
  nliToScoredPairs,
  nliToSoftmaxRows,
  nliToTriplets,
  requireText,
  toNliDataset,
} from './recipes/nli.js';

/**
 * Column layouts the losses read (names matter to the trainer):
 * - `pairs`: anchor, positive (MultipleNegativesRankingLoss)
 * - `triplets`: anchor, positive, negative (or negative_1, negative_2, ...)
 * - `scored-pairs`: sentence1, sentence2, score in [0, 1] (CosineSimilarityLoss, CoSENTLoss)
 * - `nli`: premise, hypothesis, label id (SoftmaxLoss; 0 contradiction, 1 entailment, 2 neutral)
 */
export type Layout = 'pairs' | 'triplets' | 'scored-pairs' | 'nli';

/** What a data set's columns say it holds. */
export type DataKind = 'nli' | 'scored-pairs' | 'pairs' | 'triplets';

/**
 * Recognizes a data set's layout from its columns: premise/hypothesis/label (or sentence1/sentence2/
 * gold_label) → nli; sentence1/sentence2/score → scored-pairs; anchor|query + positive [+ negatives] →
 * pairs or triplets. Throws a DataError listing the columns otherwise.
 */
export function detectKind(ds: Dataset): DataKind {
  const has = (...names: string[]) => names.every((n) => ds.hasColumn(n));
  if (has('premise', 'hypothesis', 'label') || has('sentence1', 'sentence2', 'gold_label')) return 'nli';
  if (has('sentence1', 'sentence2', 'score')) return 'scored-pairs';
  if (has('sentence1', 'sentence2', 'label')) return 'nli';
  if ((has('anchor') || has('query')) && has('positive'))
    return negativeColumnsOf(ds).length > 0 ? 'triplets' : 'pairs';
  throw new DataError(
    `cannot tell the layout from the columns [${ds.columnNames.join(', ')}]: expected premise/hypothesis/label, sentence1/sentence2/score, or anchor (or query)/positive[/negative...]; rename columns first`,
  );
}

/** Options of toLayout. */
export interface ToLayoutOptions {
  onBadRow?: OnBadRow;
  /** Divide scores by this before checking they lie in [0, 1] (e.g. 5 for raw STS scores). */
  scoreScale?: number;
  /** scored-pairs → pairs: keep pairs scoring at least this (required for that conversion). */
  minScore?: number;
  /** How integer NLI labels are read (see NliLabelScheme; default `st`). */
  labelScheme?: NliLabelScheme;
  /** nli → triplets: see NliTripletOptions.seed. */
  seed?: number;
}

/**
 * Converts a data set to a training layout, validating every row (empty texts, non-numeric or
 * out-of-range scores, unknown labels are bad rows: DataError with file and line, or skipped with
 * `onBadRow: 'skip'`). Supported: nli → any layout; scored-pairs → scored-pairs, pairs (with minScore);
 * triplets → triplets, pairs; pairs → pairs.
 */
export async function toLayout(ds: Dataset, layout: Layout, options: ToLayoutOptions = {}): Promise<Dataset> {
  const kind = detectKind(ds);
  if (kind === 'nli') {
    const nli = await toNliDataset(ds, options);
    const out =
      layout === 'nli'
        ? nliToSoftmaxRows(nli)
        : layout === 'scored-pairs'
          ? nliToScoredPairs(nli)
          : layout === 'pairs'
            ? nliToPairs(nli)
            : nliToTriplets(nli, { seed: options.seed });
    return out.withSkipReport(nli.skipped);
  }
  if (kind === 'scored-pairs') {
    if (layout === 'pairs' && options.minScore === undefined) {
      throw new DataError(
        'scored pairs → pairs needs a minimum score (minScore / --min-score) to tell positives',
      );
    }
    if (layout !== 'pairs' && layout !== 'scored-pairs') {
      throw new DataError(
        `scored pairs cannot become ${layout}: they have no ${layout === 'nli' ? 'NLI labels' : 'negatives'}`,
      );
    }
    const scored = validateScoredPairs(ds, options);
    if (layout === 'scored-pairs') return scored;
    const score = scored.numberColumn('score');
    const keep = score.flatMap((s, i) => (s >= options.minScore! ? [i] : []));
    return scored
      .select(keep)
      .removeColumns('score')
      .renameColumns({ sentence1: 'anchor', sentence2: 'positive' })
      .withSkipReport(scored.skipped);
  }
  const anchorColumn = ds.hasColumn('anchor') ? 'anchor' : 'query';
  const negatives = negativeColumnsOf(ds);
  // A per-row instruction (FlagEmbedding's record `prompt`) travels with its row; the trainer prepends it.
  const rowPrompt = ds.hasColumn('prompt') ? ds.column('prompt') : undefined;
  if (layout === 'pairs') {
    const names = ['anchor', 'positive', ...(rowPrompt ? ['prompt'] : [])];
    return parseRows(ds, names, options.onBadRow, (i, location) => {
      const row: Row = {
        anchor: requireText(ds.column(anchorColumn)[i], { ...location, field: anchorColumn }),
        positive: requireText(ds.column('positive')[i], { ...location, field: 'positive' }),
      };
      if (rowPrompt) row.prompt = String(rowPrompt[i] ?? '');
      return row;
    });
  }
  if (layout === 'triplets') {
    if (negatives.length === 0)
      throw new DataError('pairs cannot become triplets: there is no negative column');
    // A teacher's `label` (FlagEmbedding scores for distill-kl / margin-mse) travels with its row.
    const label = ds.hasColumn('label') ? ds.column('label') : undefined;
    const names = [
      'anchor',
      'positive',
      ...negatives,
      ...(label ? ['label'] : []),
      ...(rowPrompt ? ['prompt'] : []),
    ];
    return parseRows(ds, names, options.onBadRow, (i, location) => {
      const row: Row = Object.fromEntries(
        [anchorColumn, 'positive', ...negatives].map((name, k) => [
          names[k]!,
          requireText(ds.column(name)[i], { ...location, field: name }),
        ]),
      );
      if (label) row.label = label[i]!;
      if (rowPrompt) row.prompt = String(rowPrompt[i] ?? '');
      return row;
    });
  }
  throw new DataError(
    `${kind} cannot become ${layout}: they have no ${layout === 'nli' ? 'NLI labels' : 'scores'}`,
  );
}

/** Checks scores (numbers, or numeric text, in [0, 1] after `scoreScale`) and texts of scored pairs. */
export function validateScoredPairs(ds: Dataset, options: ToLayoutOptions = {}): Dataset {
  const scale = options.scoreScale ?? 1;
  return parseRows(ds, ['sentence1', 'sentence2', 'score'], options.onBadRow, (i, location) => {
    const raw = ds.column('score')[i];
    const value =
      typeof raw === 'number' ? raw : parseNumber(String(raw ?? ''), { ...location, field: 'score' });
    const score = value / scale;
    if (!(score >= 0 && score <= 1)) {
      throw new DataError(
        `score ${value}${scale !== 1 ? ` / ${scale}` : ''} is outside [0, 1]${scale === 1 ? ' (raw 0–5 STS scores need scoreScale 5)' : ''}`,
        { ...location, field: 'score' },
      );
    }
    return {
      sentence1: requireText(ds.column('sentence1')[i], { ...location, field: 'sentence1' }),
      sentence2: requireText(ds.column('sentence2')[i], { ...location, field: 'sentence2' }),
      score,
    };
  });
}
