import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WASM_SOURCES, compileWat } from '../wasm/gen_wasm.js';

const root = join(import.meta.dirname, '..', '..');

describe('generated wasm modules', () => {
  it.each(WASM_SOURCES)(
    '$out holds what $wat compiles to (run pnpm gen:wasm after editing the .wat)',
    async ({ wat, out }) => {
      expect(readFileSync(join(root, out), 'utf8')).toBe(await compileWat(wat));
    },
  );
});
