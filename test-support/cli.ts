import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './shared.js';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  /** The CLI process's id (onnxruntime names files after it). */
  pid: number;
}

/**
 * Runs the `contrastive` CLI from its TypeScript sources (tsx, with the packages' source export condition),
 * so tests exercise the current code without a build.
 */
const cliArgs = (args: string[]) => [
  '--conditions=@contrastive/source',
  '--import',
  'tsx',
  join(repoRoot, 'packages', 'cli', 'src', 'bin.ts'),
  ...args,
];

/**
 * `runCli` without blocking the test's event loop, for tests whose CLI run talks to a server in the test
 * process (a local chat-completions endpoint).
 */
export function runCliAsync(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgs(args), {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, ...options.env },
      timeout: options.timeoutMs ?? 300_000,
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
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

export function runCli(
  args: string[],
  options: {
    env?: Record<string, string>;
    /** Variables removed from the inherited environment. */
    unsetEnv?: string[];
    cwd?: string;
    timeoutMs?: number;
  } = {},
): CliResult {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  for (const name of options.unsetEnv ?? []) delete env[name];
  const r = spawnSync(
    process.execPath,
    [
      '--conditions=@contrastive/source',
      '--import',
      'tsx',
      join(repoRoot, 'packages', 'cli', 'src', 'bin.ts'),
      ...args,
    ],
    {
      cwd: options.cwd ?? repoRoot,
      env,
      encoding: 'utf8',
      timeout: options.timeoutMs ?? 300_000,
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, pid: r.pid };
}
