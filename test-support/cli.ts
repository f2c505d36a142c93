import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mallocTunedEnv } from '../packages/cli/src/malloc_tunables.js';
import { repoRoot } from './shared.js';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  /** The id of the process started (where the CLI re-runs itself in a child, the parent's). */
  pid: number;
}

export interface RunCliOptions {
  env?: Record<string, string>;
  /** Variables removed from the inherited environment. */
  unsetEnv?: string[];
  cwd?: string;
  timeoutMs?: number;
}

/**
 * Node's arguments that run the `contrastive` CLI with `args`: from its TypeScript sources through tsx, or, with
 * `CONTRASTIVE_TEST_CLI=dist` (set by `pnpm test`, which builds every package first), from the built
 * `packages/cli/dist/bin.js`. A CLI run from sources spends about a second more starting (tsx resolves and
 * transpiles each module, and each test file's fresh TMPDIR starts tsx's cache cold), and the suite starts the CLI
 * many times; the built files are also what is published. A single test file run by hand
 * (`npx vitest run …`) uses the sources, so it needs no build.
 */
export function cliNodeArgs(args: string[]): string[] {
  if (process.env.CONTRASTIVE_TEST_CLI === 'dist') {
    const bin = join(repoRoot, 'packages', 'cli', 'dist', 'bin.js');
    if (!existsSync(bin)) {
      throw new Error(`CONTRASTIVE_TEST_CLI=dist: ${bin} is missing; run \`pnpm build\` first`);
    }
    return [bin, ...args];
  }
  return [
    '--conditions=@contrastive/source',
    '--import',
    'tsx',
    join(repoRoot, 'packages', 'cli', 'src', 'bin.ts'),
    ...args,
  ];
}

/**
 * Runs the `contrastive` CLI from its TypeScript sources (tsx, with the packages' source export condition),
 * so tests exercise the current code without a build. Asynchronous on purpose: a synchronous spawn blocks the
 * test worker's event loop for the whole run, and under load vitest's worker RPC then times out
 * ("Timeout calling onTaskUpdate") even though every test passed; a CLI run may also talk to a server in the
 * test process.
 */
export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  // Started with the malloc tunables the CLI would re-run itself with, so it runs in place (one process, one
  // start); malloc_tunables.test.ts unsets them to test the re-run.
  const env: NodeJS.ProcessEnv = { ...(mallocTunedEnv(process.env) ?? process.env), ...options.env };
  for (const name of options.unsetEnv ?? []) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliNodeArgs(args), {
      cwd: options.cwd ?? repoRoot,
      env,
      timeout: options.timeoutMs ?? 300_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr, pid: child.pid ?? -1 }));
  });
}

/** The same as `runCli` (kept for tests written against the earlier name). */
export const runCliAsync = runCli;

export interface ProcessResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A child process run to its end without blocking the test worker (see `runCli`). */
export function runProcess(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? 300_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}
