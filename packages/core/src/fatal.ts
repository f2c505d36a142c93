import { isAbsolute, resolve } from 'node:path';

/** `--verbose` on the command line, or `DEBUG` set (to anything but empty or 0): print stacks. */
export function isVerbose(argv: readonly string[] = process.argv, env = process.env): boolean {
  const debug = env.DEBUG?.trim();
  return argv.includes('--verbose') || (debug !== undefined && debug !== '' && debug !== '0');
}

/** `<prefix>: <message>`, and the stack (with its causes) when verbose. */
export function fatalErrorText(prefix: string, error: unknown, verbose: boolean): string {
  if (!(error instanceof Error)) return `${prefix}: ${String(error)}\n`;
  if (!verbose) return `${prefix}: ${error.message}\n`;
  let text = `${prefix}: ${error.stack ?? error.message}\n`;
  for (let cause = error.cause; cause instanceof Error; cause = cause.cause)
    text += `caused by: ${cause.stack ?? cause.message}\n`;
  return text;
}

/**
 * For a program's entry point (the CLI, examples, scripts): an uncaught error or unhandled rejection prints
 * just `<prefix>: <message>` (the stack with `--verbose` or `DEBUG`) and exits with code 1 — instead of Node's
 * dump of the throwing source line, which inside a minified dependency is tens of kilobytes.
 */
export function exitOnFatalErrors(prefix: string): void {
  const onFatal = (error: unknown) => {
    process.stderr.write(fatalErrorText(prefix, error, isVerbose()));
    process.exit(1);
  };
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
}

/**
 * A path the user typed, resolved against the directory they ran the command from: a `pnpm --filter <pkg> run`
 * script runs inside the package's folder, and pnpm/npm pass the user's directory as `INIT_CWD`.
 */
export function resolveUserPath(path: string, env = process.env): string {
  if (isAbsolute(path)) return path;
  return resolve(env.INIT_CWD || process.cwd(), path);
}
