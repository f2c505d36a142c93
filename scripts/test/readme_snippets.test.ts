import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, sharedDir } from '../../test-support/shared.js';
import {
  HUB_MODEL_ID,
  extractRunnableSnippets,
  prepareSnippet,
  readmeSnippets,
  runSnippet,
} from '../readme_snippets.js';

describe('extractRunnableSnippets', () => {
  const markdown = [
    '# pkg',
    '```ts',
    'illustrative();',
    '```',
    '```ts run tiny',
    "console.log('a');",
    '```',
    '<!-- run -->',
    '',
    '```ts',
    "console.log('b');",
    '```',
    '',
    '<!-- prints: ^b\\n$ -->',
    '```sh',
    'npm install x',
    '```',
  ].join('\n');

  it('keeps only marked ts blocks, with the line of their fence', () => {
    expect(extractRunnableSnippets(markdown, 'p/README.md')).toEqual([
      { readme: 'p/README.md', line: 5, code: "console.log('a');", tiny: true },
      { readme: 'p/README.md', line: 10, code: "console.log('b');", tiny: false, prints: /^b\n$/ },
    ]);
  });

  it('names the README and line of an unclosed or wrongly marked block', () => {
    expect(() => extractRunnableSnippets('x\n```ts run\nfoo', 'q/README.md')).toThrow(
      'q/README.md:2: code block',
    );
    expect(() => extractRunnableSnippets('```sh run\nls\n```', 'q/README.md')).toThrow(
      'q/README.md:1: only ts',
    );
  });
});

describe('prepareSnippet', () => {
  it('points imports at package sources and substitutes ../shared, and the hub id in tiny blocks', () => {
    const code = `import { a } from '@contrastive/core';\nload('${HUB_MODEL_ID}', '../shared/data/x');`;
    const core = `import { a } from 'file://${join(repoRoot, 'packages', 'core', 'src', 'index.ts')}';`;
    expect(prepareSnippet({ readme: 'r', line: 1, code, tiny: true }, repoRoot, '/data/shared')).toBe(
      `${core}\nload('/data/shared/fixtures/tiny-bert', '/data/shared/data/x');`,
    );
    expect(prepareSnippet({ readme: 'r', line: 1, code, tiny: false }, repoRoot, '/data/shared')).toBe(
      `${core}\nload('${HUB_MODEL_ID}', '/data/shared/data/x');`,
    );
    expect(() =>
      prepareSnippet(
        { readme: 'r/README.md', line: 3, code: "import '@contrastive/nope';", tiny: false },
        repoRoot,
        '/s',
      ),
    ).toThrow('r/README.md:3: imports unknown package @contrastive/nope');
  });
});

describe('runSnippet', () => {
  it('checks what a block prints against its prints comment', async () => {
    const snippet = { readme: 'packages/y/README.md', line: 4, code: 'console.log(6 * 7);', tiny: false };
    await expect(
      runSnippet({ ...snippet, prints: /^42\n$/ }, { repoRoot, sharedDir: sharedDir() }),
    ).resolves.toEqual(expect.objectContaining({ status: 0, stdout: '42\n' }));
    await expect(
      runSnippet({ ...snippet, prints: /^41$/ }, { repoRoot, sharedDir: sharedDir() }),
    ).rejects.toThrow('packages/y/README.md: the block at line 4 printed "42\\n", expected to match /^41$/');
  });

  it('fails naming the README and the block', async () => {
    const failing = {
      readme: 'packages/x/README.md',
      line: 12,
      code: "throw new Error('boom');",
      tiny: false,
    };
    await expect(runSnippet(failing, { repoRoot, sharedDir: sharedDir() })).rejects.toThrow(
      /packages\/x\/README\.md: the block at line 12 exited 1:[\s\S]*boom/,
    );
  });
});

// Every library package (the CLI's README shows commands instead).
const LIBRARY_PACKAGES = ['augment', 'bert', 'core', 'data-nli', 'eval-mteb', 'hub', 'llm', 'losses'];
LIBRARY_PACKAGES.push('negatives', 'pooling', 'tensor-gpu', 'trainer');

// The root README's quick start and every package README's standalone use run as written (two at a time:
// 2-core machines).
describe('README snippets', () => {
  const snippets = readmeSnippets(repoRoot);
  let running = 0;
  const waiting: Array<() => void> = [];
  const slot = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= 2) await new Promise<void>((wake) => waiting.push(wake));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };

  it('the root README and every library package README have one', () => {
    expect(snippets.some((s) => s.readme === 'README.md')).toBe(true);
    const withSnippet = new Set(snippets.map((s) => s.readme.split('/')[1]));
    expect(LIBRARY_PACKAGES.filter((pkg) => !withSnippet.has(pkg))).toEqual([]);
  });

  for (const snippet of snippets) {
    // The timeout covers the wait for a slot too (~20 s for all of them on an idle 2-core machine).
    it.concurrent(
      `${snippet.readme} (block at line ${snippet.line})`,
      async () => {
        const result = await slot(() => runSnippet(snippet, { repoRoot, sharedDir: sharedDir() }));
        expect(result.status).toBe(0);
      },
      400_000,
    );
  }
});
