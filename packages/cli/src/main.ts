import { Command, CommanderError } from 'commander';
import { registerAugment } from './commands/augment.js';
import { registerAugsbert } from './commands/augsbert.js';
import { registerData } from './commands/data.js';
import { registerEncode } from './commands/encode.js';
import { registerEval } from './commands/eval.js';
import { registerExport } from './commands/export.js';
import { registerInit } from './commands/init.js';
import { registerMine } from './commands/mine.js';
import { registerPretrainMlm } from './commands/pretrain_mlm.js';
import { registerScore } from './commands/score.js';
import { registerTrain } from './commands/train.js';

/** Every subcommand registers itself here; each lives in its own file under commands/. */
const COMMANDS: Array<(program: Command) => void> = [
  registerEncode,
  registerEval,
  registerData,
  registerInit,
  registerMine,
  registerTrain,
  registerAugment,
  registerPretrainMlm,
  registerScore,
  registerAugsbert,
  registerExport,
];

export function buildProgram(): Command {
  const program = new Command('contrastive')
    .description('Train, evaluate and run sentence-embedding models in TypeScript')
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    throw e;
  }
}
