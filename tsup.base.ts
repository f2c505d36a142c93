import { type Options, defineConfig } from 'tsup';

/** The one build every package shares: ESM + CJS + type declarations for Node 20, from `src/`. */
export function packageBuild(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    ...overrides,
  });
}
