// Usage: node --import tsx scripts/check_cycles.ts [--include-skipped]
// Finds import cycles inside each workspace package (type-only imports count: they still tie the files'
// designs together). Prints one JSON line; exits 1 when a package that is not skipped has a cycle.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { exitOnFatalErrors } from '@contrastive/core';
import madge from 'madge';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Packages whose cycles are known and being removed (none now: the encoder redesign removed bert's). */
export const SKIPPED_PACKAGES: readonly string[] = [];

export interface PackageCycles {
  /** Folder under the repo root (`packages/hub`, `examples`). */
  package: string;
  /** Each cycle as the files on it, relative to the package folder. */
  cycles: string[][];
  /** Imports madge could not resolve to a file (a cycle through them would go unseen). */
  unresolved: string[];
}

/** Workspace package folders: every folder of packages/ with a package.json, and examples/. */
export function workspacePackages(root = repoRoot): string[] {
  const names = readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, 'packages', d.name, 'package.json')))
    .map((d) => `packages/${d.name}`)
    .sort();
  return existsSync(join(root, 'examples', 'package.json')) ? [...names, 'examples'] : names;
}

/** The import cycles among the .ts files under `dir` (node_modules and dist left out). */
export async function findCycles(
  dir: string,
  root = repoRoot,
): Promise<{ cycles: string[][]; unresolved: string[] }> {
  // detectiveOptions is missing from @types/madge; skipTypeImports false keeps `import type` edges.
  const config: madge.MadgeConfig & { detectiveOptions: object } = {
    fileExtensions: ['ts'],
    tsConfig: join(root, 'tsconfig.base.json'),
    excludeRegExp: [/(^|[\\/])node_modules[\\/]/, /(^|[\\/])dist[\\/]/],
    detectiveOptions: { ts: { skipTypeImports: false, skipAsyncImports: false } },
  };
  const result = await madge(dir, config);
  const skipped = (result.warnings() as { skipped?: string[] }).skipped ?? [];
  return { cycles: result.circular(), unresolved: skipped.filter((s) => s.startsWith('.')) };
}

/** Cycles of every workspace package except `skip`. */
export async function packageCycles(
  skip: readonly string[] = SKIPPED_PACKAGES,
  root = repoRoot,
): Promise<PackageCycles[]> {
  const out: PackageCycles[] = [];
  for (const pkg of workspacePackages(root)) {
    if (skip.includes(pkg.replace(/^packages\//, ''))) continue;
    out.push({ package: pkg, ...(await findCycles(join(root, pkg), root)) });
  }
  return out;
}

async function main(): Promise<void> {
  const skip = process.argv.includes('--include-skipped') ? [] : SKIPPED_PACKAGES;
  const results = await packageCycles(skip);
  const failing = results.filter((r) => r.cycles.length > 0 || r.unresolved.length > 0);
  process.stdout.write(
    `${JSON.stringify({ ok: failing.length === 0, skipped: skip, packages: results.length, failing })}\n`,
  );
  if (failing.length > 0) {
    for (const r of failing) {
      for (const c of r.cycles) process.stderr.write(`${r.package}: cycle ${[...c, c[0]].join(' → ')}\n`);
      for (const u of r.unresolved) process.stderr.write(`${r.package}: unresolved import ${u}\n`);
    }
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  exitOnFatalErrors('cycles');
  await main();
}
