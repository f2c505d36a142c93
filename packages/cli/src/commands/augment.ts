import {
  type Augmenter,
  augmentAll,
  backTranslation,
  deletionNoise,
  eda,
  edaRandomInsertion,
  edaRandomSwap,
  edaSynonymReplacement,
  paraphrase,
  times,
} from '@contrastive/augment';
import { writeFileAtomic } from '@contrastive/core';
import { type OpenAIChatGenerator, loadGenerator } from '@contrastive/llm';
import { createProgress } from '@contrastive/trainer';
import { type Command, Option } from 'commander';
import { parseNonNegativeInt, parseNumber, parsePositiveInt } from '../options.js';
import { pluginAugmenter, pluginAugmenterNames } from '../plugins.js';
import { readTexts } from './encode.js';

export const AUGMENT_METHODS = [
  'delete',
  'swap',
  'insert',
  'eda',
  'synonym',
  'paraphrase',
  'backtranslate',
] as const;
export type AugmentMethod = (typeof AUGMENT_METHODS)[number];
const GENERATOR_METHODS: ReadonlySet<AugmentMethod> = new Set(['paraphrase', 'backtranslate']);

export interface AugmentCommandOptions {
  /** A built-in method, or one a plugin registered. */
  method: AugmentMethod | (string & {});
  input: string;
  output: string;
  /** delete: deletion probability (default 0.6); swap/insert/synonym/eda: EDA's alpha (default 0.1). */
  ratio?: number;
  /** New texts per input (eda: its num_aug; others: repetitions). */
  n: number;
  seed: number;
  /** Provider config file (JSON or YAML) for paraphrase and backtranslate. */
  generator?: string;
  pivot?: string;
  concurrency?: number;
}

function buildAugmenter(o: AugmentCommandOptions, generator?: OpenAIChatGenerator): Augmenter {
  const plugin = pluginAugmenter(o.method);
  if (plugin) return plugin({ n: o.n, ...(o.ratio === undefined ? {} : { ratio: o.ratio }) });
  switch (o.method) {
    case 'delete':
      return times(o.n, deletionNoise({ ratio: o.ratio ?? 0.6 }));
    case 'swap':
      return times(o.n, edaRandomSwap({ alpha: o.ratio ?? 0.1 }));
    case 'insert':
      return times(o.n, edaRandomInsertion({ alpha: o.ratio ?? 0.1 }));
    case 'synonym':
      return times(o.n, edaSynonymReplacement({ alpha: o.ratio ?? 0.1 }));
    case 'eda': {
      const alpha = o.ratio ?? 0.1;
      return eda({ alphaSr: alpha, alphaRi: alpha, alphaRs: alpha, pRd: alpha, numAug: o.n });
    }
    case 'paraphrase':
      return times(o.n, paraphrase({ generator: generator! }));
    case 'backtranslate':
      return times(o.n, backTranslation({ generator: generator!, pivot: o.pivot }));
    default:
      throw new Error(
        `unknown --method "${o.method}"; known: ${[...AUGMENT_METHODS, ...pluginAugmenterNames()].join(', ')}`,
      );
  }
}

/** `contrastive augment`: one `{"text", "augmented": [...]}` line per input text, written atomically. */
export async function runAugment(o: AugmentCommandOptions): Promise<Record<string, unknown>> {
  if (o.ratio !== undefined && !(o.ratio >= 0 && o.ratio <= 1))
    throw new Error(`--ratio must be in [0, 1], got ${o.ratio}`);
  let generator: OpenAIChatGenerator | undefined;
  if (GENERATOR_METHODS.has(o.method as AugmentMethod)) {
    if (!o.generator) throw new Error(`--method ${o.method} needs --generator <config.yaml|json>`);
    generator = loadGenerator(o.generator, {
      onRetry: ({ attempt, delayMs, reason }) =>
        process.stderr.write(`generator: ${reason}; retry ${attempt} in ${Math.round(delayMs)} ms\n`),
    });
  } else if (o.generator) {
    throw new Error(`--generator is only used by --method paraphrase|backtranslate, not ${o.method}`);
  }
  const texts = readTexts(o.input);
  if (texts.length === 0) throw new Error(`${o.input}: no texts`);
  const augmenter = buildAugmenter(o, generator);
  const progress = createProgress('augment', texts.length);
  const augmented = await augmentAll(augmenter, texts, {
    seed: o.seed,
    concurrency: o.concurrency ?? (generator ? 4 : 1),
    onProgress: (done) => progress.update(done),
  });
  progress.stop();
  const lines = texts.map((text, i) => `${JSON.stringify({ text, augmented: augmented[i] })}\n`);
  try {
    writeFileAtomic(o.output, lines.join(''));
  } catch (e) {
    throw new Error(`${o.output}: cannot write output (${(e as Error).message})`);
  }
  return {
    command: 'augment',
    method: o.method,
    input: o.input,
    output: o.output,
    texts: texts.length,
    augmented: augmented.reduce((n, a) => n + a.length, 0),
    seed: o.seed,
    ...(generator ? { requests: generator.requestCount, cache_hits: generator.cacheHits } : {}),
  };
}

export function registerAugment(program: Command): void {
  program
    .command('augment')
    .description('Augment texts (TSDAE deletion, EDA, WordNet synonyms, LLM paraphrase/back-translation)')
    .addOption(
      new Option('--method <name>', 'augmentation')
        .choices([...AUGMENT_METHODS, ...pluginAugmenterNames()])
        .makeOptionMandatory(),
    )
    .requiredOption('--input <file>', '.txt (one text a line) or .jsonl ({"text": ...} a line)')
    .requiredOption('--output <file.jsonl>', 'output: {"text", "augmented": [...]} per input line')
    .option(
      '--ratio <x>',
      'delete: deletion probability (default 0.6); swap/insert/synonym/eda: EDA alpha (default 0.1)',
      parseNumber('--ratio'),
    )
    .option('--n <n>', 'new texts per input (eda: num_aug)', parsePositiveInt('--n'), 1)
    .option(
      '--seed <n>',
      'seed; text i uses a seed derived from (seed, i)',
      parseNonNegativeInt('--seed'),
      42,
    )
    .option('--generator <config>', 'provider config (JSON/YAML) for paraphrase and backtranslate')
    .option('--pivot <language>', 'backtranslate: pivot language', 'German')
    .option(
      '--concurrency <n>',
      'texts augmented at once (default 4 with a generator)',
      parsePositiveInt('--concurrency'),
    )
    .action(async (opts: AugmentCommandOptions) => {
      process.stdout.write(`${JSON.stringify(await runAugment(opts))}\n`);
    });
}
