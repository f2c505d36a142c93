// Runs the `contrastive` CLI as a user would run it, and returns its one JSON line.
import { spawn } from 'node:child_process';
import { cliNodeArgs } from '../../test-support/cli.js';

export async function contrastive(
  args: string[],
  options: { quiet?: boolean } = {},
): Promise<Record<string, unknown>> {
  // From the sources through tsx, or the built bin under `pnpm test` (`CONTRASTIVE_TEST_CLI=dist`), as the tests run it.
  const child = spawn(process.execPath, cliNodeArgs(args), {
    stdio: ['ignore', 'pipe', options.quiet ? 'pipe' : 'inherit'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const code = await new Promise<number>((res, rej) => {
    child.on('error', rej);
    child.on('close', (c) => res(c ?? -1));
  });
  if (code !== 0) throw new Error(`contrastive ${args[0]} exited with ${code}\n${stderr.slice(-2000)}`);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new Error(`contrastive ${args[0]} printed no JSON line: ${last.slice(0, 200)}`);
  }
}
