import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import sibling packages from their TypeScript sources (the "@contrastive/source" export condition),
// so a change in one package is seen by the others' tests without a rebuild.
export default defineConfig({
  resolve: { conditions: ['@contrastive/source', 'module', 'node', 'default'] },
  ssr: {
    resolve: {
      conditions: ['@contrastive/source', 'module', 'node', 'default'],
      externalConditions: ['node'],
    },
  },
  test: {
    include: ['**/src/**/*.test.ts', '**/test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default', './test-support/summary_reporter.ts'],
    // Each test file runs with its own TMPDIR, removed after it (see the file).
    setupFiles: [fileURLToPath(new URL('./test-support/temp_setup.ts', import.meta.url))],
  },
});
