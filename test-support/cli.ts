import { spawnSync } from 'node:child_process';
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
