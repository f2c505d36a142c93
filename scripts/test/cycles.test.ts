import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SKIPPED_PACKAGES, findCycles, packageCycles, workspacePackages } from '../check_cycles.js';

describe('import cycles', () => {
  it('no workspace package outside SKIPPED_PACKAGES has an import cycle (type-only imports count)', async () => {
    expect(SKIPPED_PACKAGES).toEqual([]);
    const results = await packageCycles();
    expect(results.map((r) => r.package)).toEqual(
      workspacePackages().filter((p) => !SKIPPED_PACKAGES.includes(p.replace('packages/', ''))),
    );
    expect(results.map((r) => r.package)).toContain('packages/hub');
    expect(results.filter((r) => r.cycles.length > 0 || r.unresolved.length > 0)).toEqual([]);
  }, 120_000);
});

describe('findCycles', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cycles-'));
    mkdirSync(join(dir, 'internal'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds a cycle made of a type-only import, as hub had (failures.ts ↔ http.ts)', async () => {
    writeFileSync(
      join(dir, 'internal', 'http.ts'),
      "import { describe } from './failures.js';\nexport interface Target { id: string }\nexport const f = describe;\n",
    );
    writeFileSync(
      join(dir, 'internal', 'failures.ts'),
      "import type { Target } from './http.js';\nexport function describe(t: Target): string { return t.id; }\n",
    );
    writeFileSync(join(dir, 'index.ts'), "export { f } from './internal/http.js';\n");
    const { cycles } = await findCycles(dir);
    // madge starts the cycle wherever its walk entered it.
    expect(cycles.map((c) => [...c].sort())).toEqual([['internal/failures.ts', 'internal/http.ts']]);
  });

  it('no cycle in a chain; an import that does not resolve is reported', async () => {
    writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = b;\n");
    writeFileSync(join(dir, 'b.ts'), "import { c } from './internal/c.js';\nexport const b = c;\n");
    writeFileSync(join(dir, 'internal', 'c.ts'), "export { gone as c } from '../gone.js';\n");
    const { cycles, unresolved } = await findCycles(dir);
    expect(cycles).toEqual([]);
    expect(unresolved).toEqual(['../gone.js']);
  });
});
