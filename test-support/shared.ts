import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The read-only `shared/` folder beside the repository (data sets, fixtures, notes). Override with
 * CONTRASTIVE_SHARED_DIR. Tests, examples and benchmarks read from here; nothing here is ever copied
 * into the project.
 */
export function sharedDir(): string {
  const env = process.env.CONTRASTIVE_SHARED_DIR;
  if (env) return resolve(env);
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  return resolve(root, '..', 'shared');
}

export function sharedPath(...parts: string[]): string {
  const p = join(sharedDir(), ...parts);
  if (!existsSync(p))
    throw new Error(`shared file not found: ${p} (set CONTRASTIVE_SHARED_DIR to the shared/ folder)`);
  return p;
}

/** Repository root, for tests that run the built CLI. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
