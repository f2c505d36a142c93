import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './shared.js';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the `contrastive` CLI from its TypeScript sources (tsx, with the packages' source export condition),
 * so tests exercise the current code without a build.
 */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): CliResult {
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
      env: { ...process.env, ...options.env },
      encoding: 'utf8',
      timeout: options.timeoutMs ?? 300_000,
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
