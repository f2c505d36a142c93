import { initBackend } from '@contrastive/tensor-gpu';
import type { Command } from 'commander';
import { type AugmentedSbertOptions, runAugmentedSbert } from '../augsbert.js';
import { parseNonNegativeInt, parseNumber, parsePositiveInt } from '../options.js';

/**
 * `contrastive augsbert`: Augmented SBERT's five steps at a small default size (1000 gold, 2000 silver pairs,
 * one epoch: minutes on a laptop); `--gold 10000 --silver 9000` is the reference size on SNLI dev+test.
 */
export function registerAugsbert(program: Command): void {
  program
    .command('augsbert')
    .description(
      'Augmented SBERT: cross-encoder on gold NLI pairs labels silver pairs; bi-encoders gold vs gold+silver on STS-B',
    )
    .requiredOption(
      '--cross-encoder <dir>',
      'cross-encoder to start from (contrastive init --cross-encoder --num-labels 2)',
    )
    .requiredOption('--bi-encoder <dir>', 'sentence encoder to start from (contrastive init)')
    .requiredOption('--nli-dir <dir>', 'SNLI folder (s1.dev, s2.dev, labels.dev, s1.test, …)')
    .requiredOption('--sts-dir <dir>', 'STS-B folder (sts-test.csv)')
    .requiredOption('--output <dir>', 'where the cross-encoder and the two bi-encoders are written')
    .option('--gold <n>', 'gold pairs (reference 10000)', parsePositiveInt('--gold'), 1000)
    .option('--silver <n>', 'silver pairs labeled by the cross-encoder', parsePositiveInt('--silver'), 2000)
    .option('--epochs <n>', 'epochs of every training run', parsePositiveInt('--epochs'), 1)
    .option('--batch-size <n>', 'batch size of every training run', parsePositiveInt('--batch-size'), 16)
    .option('--ce-lr <x>', 'cross-encoder learning rate', parseNumber('--ce-lr'), 2e-3)
    .option('--bi-lr <x>', 'bi-encoder learning rate', parseNumber('--bi-lr'), 2e-3)
    .option('--seed <n>', 'seed', parseNonNegativeInt('--seed'), 42)
    .action(
      async (o: {
        crossEncoder: string;
        biEncoder: string;
        nliDir: string;
        stsDir: string;
        output: string;
        gold: number;
        silver: number;
        epochs: number;
        batchSize: number;
        ceLr: number;
        biLr: number;
        seed: number;
      }) => {
        await initBackend();
        const options: AugmentedSbertOptions = {
          crossEncoder: o.crossEncoder,
          biEncoder: o.biEncoder,
          nliDir: o.nliDir,
          stsDir: o.stsDir,
          output: o.output,
          goldSize: o.gold,
          silverSize: o.silver,
          epochs: o.epochs,
          batchSize: o.batchSize,
          crossEncoderLr: o.ceLr,
          biEncoderLr: o.biLr,
          seed: o.seed,
          log: (line) => process.stderr.write(`${line}\n`),
        };
        const r = await runAugmentedSbert(options);
        process.stdout.write(`${JSON.stringify({ command: 'augsbert', ...r })}\n`);
      },
    );
}
