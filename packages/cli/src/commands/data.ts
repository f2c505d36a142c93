import { mkdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import {
  type Dataset,
  type FlagRecord,
  type Layout,
  type NliLabelScheme,
  type OnBadRow,
  type SkipReport,
  detectKind,
  flagToRows,
  formatFromPath,
  loadGlueStsb,
  loadMnliTsv,
  loadSnliJsonl,
  loadSnliLines,
  loadStsb,
  mergeSkipReports,
  nliToFlag,
  readDataFile,
  readFlagJsonl,
  rowsToFlag,
  splitDataset,
  splitNames,
  toLayout,
  toNliDataset,
  writeDataFile,
  writeFlagJsonl,
} from '@contrastive/data-nli';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parseNonNegativeInt, parseNumber } from '../options.js';

export const DATA_FROM_FORMATS = [
  'mnli',
  'snli-jsonl',
  'snli-lines',
  'stsb',
  'glue-stsb',
  'csv',
  'tsv',
  'jsonl',
  'parquet',
  'flag',
] as const;
export type DataFromFormat = (typeof DATA_FROM_FORMATS)[number];
export const DATA_TO_LAYOUTS = ['pairs', 'triplets', 'scored-pairs', 'nli', 'flag'] as const;
export type DataToLayout = (typeof DATA_TO_LAYOUTS)[number];

export interface DataConvertOptions {
  from: DataFromFormat;
  input: string;
  to: DataToLayout;
  output: string;
  /** snli-lines, stsb (folder input): which split. */
  split?: string;
  onBadRow?: OnBadRow;
  /** Column renames applied after reading, `{ old: new }`. */
  rename?: Record<string, string>;
  /** csv/tsv: RFC 4180 quoting (default true); false for the GLUE/STS no-quote variant. */
  quoting?: boolean;
  scoreScale?: number;
  minScore?: number;
  numNegatives?: number;
  /** flag input: carry pos_scores/neg_scores as a `label` column (list for distill-kl, margin for margin-mse). */
  teacherScores?: 'list' | 'margin';
  seed?: number;
  labelScheme?: NliLabelScheme;
}

/** What convert and split print: row counts in, out and skipped, with the first skipped rows. */
export interface DataSummary {
  command: string;
  in: number;
  out: number;
  skipped: number;
  first_skipped: string[];
  [key: string]: unknown;
}

function skippedLines(report: SkipReport): string[] {
  return report.examples.map((e) =>
    `${e.file ?? ''}${e.line !== undefined ? `:${e.line}` : ''} ${e.reason}`.trim(),
  );
}

async function readSource(
  opts: DataConvertOptions,
): Promise<{ ds: Dataset; flag?: FlagRecord[]; rowsIn: number }> {
  const onBadRow = opts.onBadRow;
  let ds: Dataset;
  switch (opts.from) {
    case 'mnli':
      ds = await loadMnliTsv(opts.input, { onBadRow, labelScheme: opts.labelScheme });
      break;
    case 'snli-jsonl':
      ds = await loadSnliJsonl(opts.input, { onBadRow, labelScheme: opts.labelScheme });
      break;
    case 'snli-lines':
      ds = await loadSnliLines(opts.input, {
        split: opts.split ?? 'train',
        onBadRow,
        labelScheme: opts.labelScheme,
      });
      break;
    case 'stsb':
      ds = await loadStsb(opts.input, { split: opts.split, onBadRow });
      break;
    case 'glue-stsb':
      ds = await loadGlueStsb(opts.input, { onBadRow });
      break;
    case 'flag': {
      const file = await readFlagJsonl(opts.input, { onBadRow });
      const rowsIn = file.records.length + file.skipped.count;
      if (opts.to === 'flag')
        return { ds: flagToRows([]).withSkipReport(file.skipped), flag: file.records, rowsIn };
      return {
        ds: flagToRows(file, {
          numNegatives: opts.numNegatives,
          teacherScores: opts.teacherScores,
          onBadRow,
        }),
        rowsIn,
      };
    }
    default:
      ds = await readDataFile(opts.input, {
        format: opts.from,
        onBadRow,
        delimited: opts.quoting === false ? { quoting: false } : undefined,
        // The typed reader `train` uses too; NLI labels may be names here, so only scores must be numbers.
        numberColumns: ['score', 'scores'],
      });
  }
  return { ds, rowsIn: ds.numRows + ds.skipped.count };
}

/** `contrastive data convert`: reads a source format, converts it to a training layout, writes it. */
export async function runDataConvert(opts: DataConvertOptions): Promise<DataSummary> {
  if (opts.to === 'flag' && formatFromPath(opts.output) !== 'jsonl') {
    throw new Error(`--to flag writes FlagEmbedding JSONL: --output must end in .jsonl, got ${opts.output}`);
  }
  formatFromPath(opts.output);
  const source = await readSource(opts);
  let ds = source.ds;
  if (opts.rename && Object.keys(opts.rename).length > 0) ds = ds.renameColumns(opts.rename);
  let out: number;
  let skipped: SkipReport;
  if (opts.to === 'flag') {
    let records: FlagRecord[];
    skipped = ds.skipped;
    if (source.flag) records = source.flag;
    else if (detectKind(ds) === 'nli') {
      const nli = await toNliDataset(ds, { onBadRow: opts.onBadRow, labelScheme: opts.labelScheme });
      skipped = nli.skipped;
      records = nliToFlag(nli);
    } else {
      const kind = detectKind(ds);
      if (kind === 'scored-pairs')
        throw new Error(
          'scored pairs cannot become FlagEmbedding records: they have no positives and negatives',
        );
      const rows = await toLayout(ds, kind, { onBadRow: opts.onBadRow });
      skipped = rows.skipped;
      records = rowsToFlag(rows);
    }
    await writeFlagJsonl(records, opts.output);
    out = records.length;
  } else {
    const converted = await toLayout(ds, opts.to as Layout, {
      onBadRow: opts.onBadRow,
      scoreScale: opts.scoreScale,
      minScore: opts.minScore,
      labelScheme: opts.labelScheme,
      seed: opts.seed,
    });
    skipped = converted.skipped;
    await writeDataFile(converted, opts.output);
    out = converted.numRows;
  }
  return {
    command: 'data convert',
    from: opts.from,
    to: opts.to,
    input: opts.input,
    output: opts.output,
    in: source.rowsIn,
    out,
    skipped: skipped.count,
    first_skipped: skippedLines(skipped),
  };
}

export interface DataSplitOptions {
  input: string;
  /** e.g. [8, 1, 1]. */
  ratios: number[];
  outputDir: string;
  stratify?: string;
  seed?: number;
  /** Columns whose texts may not leak across parts. */
  dedupe?: string[];
  /** Output format (extension); default the input's. */
  format?: string;
  onBadRow?: OnBadRow;
}

/** `contrastive data split`: seeded (stratified, leak-free) split into train/val/test files. */
export async function runDataSplit(opts: DataSplitOptions): Promise<DataSummary> {
  const ds = await readDataFile(opts.input, { onBadRow: opts.onBadRow });
  const parts = splitDataset(ds, {
    ratios: opts.ratios,
    seed: opts.seed,
    stratifyBy: opts.stratify,
    dedupeColumns: opts.dedupe,
  });
  const ext = opts.format ? `.${opts.format.replace(/^\./, '')}` : extname(opts.input);
  formatFromPath(`x${ext}`);
  mkdirSync(opts.outputDir, { recursive: true });
  const names = splitNames(parts.length);
  const splits: Record<string, number> = {};
  const files: string[] = [];
  for (const [k, part] of parts.entries()) {
    const file = join(opts.outputDir, `${names[k]}${ext}`);
    await writeDataFile(part, file);
    splits[names[k]!] = part.numRows;
    files.push(file);
  }
  const skipped = mergeSkipReports(ds.skipped);
  return {
    command: 'data split',
    input: opts.input,
    in: ds.numRows + skipped.count,
    out: parts.reduce((n, p) => n + p.numRows, 0),
    skipped: skipped.count,
    first_skipped: skippedLines(skipped),
    splits,
    files,
  };
}

/** `8:1:1` or `0.8,0.1,0.1` → [8, 1, 1]. */
export function parseRatios(value: string): number[] {
  const parts = value.split(/[:,]/).map((p) => Number(p.trim()));
  if (parts.length < 2 || parts.some((p) => !Number.isFinite(p) || p < 0) || parts.every((p) => p === 0)) {
    throw new InvalidArgumentError(
      `--ratios must be two or more non-negative numbers like 8:1:1, got "${value}"`,
    );
  }
  return parts;
}

/** `question=query,context=positive` (or `:`) → { question: 'query', context: 'positive' }. */
export function parseRenames(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const out = { ...previous };
  for (const pair of value.split(',')) {
    const m = pair.match(/^\s*([^=:]+?)\s*[=:]\s*([^=:]+?)\s*$/);
    if (!m) throw new InvalidArgumentError(`--rename takes old=new pairs separated by commas, got "${pair}"`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

function print(summary: DataSummary): void {
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

export function registerData(program: Command): void {
  const data = program.command('data').description('Convert and split training data sets');

  data
    .command('convert')
    .description('Read a data set in one format and write it in a training layout')
    .addOption(new Option('--from <format>', 'input format').choices(DATA_FROM_FORMATS).makeOptionMandatory())
    .requiredOption('--input <path>', 'input file (a folder for snli-lines, or stsb with --split)')
    .addOption(new Option('--to <layout>', 'output layout').choices(DATA_TO_LAYOUTS).makeOptionMandatory())
    .requiredOption('--output <file>', 'output file: .jsonl, .json, .csv, .tsv or .parquet')
    .option('--split <name>', 'split of snli-lines (s1.<split>...) or of an stsb folder')
    .addOption(
      new Option('--on-bad-row <mode>', 'stop at a malformed row, or skip and count it')
        .choices(['throw', 'skip'])
        .default('throw'),
    )
    .option('--rename <old=new,...>', 'rename columns after reading (repeatable)', parseRenames)
    .option('--no-quoting', 'csv/tsv input: split on the delimiter only (GLUE/STS style, quotes are text)')
    .option(
      '--score-scale <n>',
      'divide scores by this (5 for raw 0-5 STS scores)',
      parseNumber('--score-scale'),
    )
    .option(
      '--min-score <x>',
      'scored-pairs → pairs: keep pairs scoring at least this',
      parseNumber('--min-score'),
    )
    .option('--num-negatives <n>', 'flag input: negatives per row', parseNonNegativeInt('--num-negatives'))
    .addOption(
      new Option(
        '--teacher-scores <kind>',
        'flag input: pos_scores/neg_scores as a label column (list: distill-kl, margin: margin-mse)',
      ).choices(['list', 'margin']),
    )
    .option('--seed <n>', 'seed for picking the hard negative of NLI triplets', parseNonNegativeInt('--seed'))
    .addOption(
      new Option(
        '--label-scheme <scheme>',
        'integer NLI labels: st (0 contradiction, 1 entailment, 2 neutral) or hf (0 entailment, 1 neutral, 2 contradiction)',
      ).choices(['st', 'hf']),
    )
    .action(async (o) => {
      print(
        await runDataConvert({
          from: o.from,
          input: o.input,
          to: o.to,
          output: o.output,
          split: o.split,
          onBadRow: o.onBadRow,
          rename: o.rename,
          quoting: o.quoting,
          scoreScale: o.scoreScale,
          minScore: o.minScore,
          numNegatives: o.numNegatives,
          teacherScores: o.teacherScores,
          seed: o.seed,
          labelScheme: o.labelScheme,
        }),
      );
    });

  data
    .command('split')
    .description('Split a data file into seeded train/val/test files')
    .requiredOption('--input <file>', 'data file (.jsonl, .json, .csv, .tsv, .parquet)')
    .option('--ratios <a:b:c>', 'relative part sizes', parseRatios, [8, 1, 1])
    .option('--stratify <column>', 'keep the proportions of this column in every part')
    .option('--seed <n>', 'shuffle seed', parseNonNegativeInt('--seed'), 42)
    .option(
      '--dedupe <columns>',
      'comma-separated text columns whose texts may not appear in two parts',
      (v: string) =>
        v
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean),
    )
    .option('--format <ext>', 'output format (default: the input extension)')
    .requiredOption('--output-dir <dir>', 'folder for train/val/test files')
    .addOption(
      new Option('--on-bad-row <mode>', 'stop at a malformed row, or skip and count it')
        .choices(['throw', 'skip'])
        .default('throw'),
    )
    .action(async (o) => {
      print(
        await runDataSplit({
          input: o.input,
          ratios: o.ratios,
          outputDir: o.outputDir,
          stratify: o.stratify,
          seed: o.seed,
          dedupe: o.dedupe,
          format: o.format,
          onBadRow: o.onBadRow,
        }),
      );
    });
}
