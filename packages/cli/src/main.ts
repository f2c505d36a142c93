import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAugment } from './commands/augment.js';
import { registerAugsbert } from './commands/augsbert.js';
import { registerData } from './commands/data.js';
import { registerDevices } from './commands/devices.js';
import { registerEncode } from './commands/encode.js';
import { registerEval } from './commands/eval.js';
import { registerExport } from './commands/export.js';
import { registerGpl } from './commands/gpl.js';
import { registerInit } from './commands/init.js';
import { registerMine } from './commands/mine.js';
import { registerPretrainMlm } from './commands/pretrain_mlm.js';
import { registerScore } from './commands/score.js';
import { registerTrain } from './commands/train.js';
import { collect } from './options.js';
import { loadPlugins, pluginArgs } from './plugins.js';

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
  registerGpl,
  registerExport,
  registerDevices,
];

export function buildProgram(): Command {
  const program = new Command('contrastive')
    .description('Train, evaluate and run sentence-embedding models in TypeScript')
    .version(cliVersion(), '-V, --version')
    .option(
      '--plugin <module>',
      'load a plugin (package name or path) that registers losses, modules, evaluators or augmenters; repeatable',
      collect,
    )
    .option('--verbose', 'print the stack trace of an error')
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

/** The version in @contrastive/cli's package.json (src/ and dist/ both sit one level below it). */
function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    // Plugins first: their losses, tasks and methods appear in the commands' choices and help.
    await loadPlugins(pluginArgs(argv.slice(2)));
    const program = buildProgram();
    if (argv.length <= 2) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    throw e;
  }
}
