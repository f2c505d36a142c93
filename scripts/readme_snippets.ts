import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * README snippets that run as written. A fenced block whose info string is `ts run` (or a `ts` block right
 * after a `<!-- run -->` comment) is extracted, its `@contrastive/*` imports pointed at the packages' sources,
 * and run with tsx in a fresh temp folder (relative output paths land there). Other blocks stay illustrative.
 *
 * Offline substitutions, so the snippets can name what a user would use: in blocks marked `ts run tiny` the hub
 * id `sentence-transformers/all-MiniLM-L6-v2` becomes the tiny random-weight fixture (no network here), and
 * `../shared/` (the data beside the repository) becomes the shared folder's absolute path. A
 * `<!-- prints: REGEX -->` comment on the first non-blank line after a block checks its stdout (not rendered).
 */
export interface Snippet {
  /** The README's path relative to the repository root. */
  readme: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  /** Marked `ts run tiny`: the hub id `sentence-transformers/all-MiniLM-L6-v2` runs as the tiny fixture. */
  tiny: boolean;
  /** From a `<!-- prints: REGEX -->` line right after the block: what its stdout must match. */
  prints?: RegExp;
}

export const HUB_MODEL_ID = 'sentence-transformers/all-MiniLM-L6-v2';

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/;

export function extractRunnableSnippets(markdown: string, readme: string): Snippet[] {
  const lines = markdown.split(/\r?\n/);
  const snippets: Snippet[] = [];
  let previousText = '';
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] ?? '');
    if (!open) {
      if ((lines[i] ?? '').trim() !== '') previousText = (lines[i] ?? '').trim();
      continue;
    }
    const fence = open[2] ?? '```';
    const language = open[3] ?? '';
    const rest = (open[4] ?? '').split(/\s+/);
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j] ?? '').trim().startsWith(fence)) body.push(lines[j++] ?? '');
    if (j >= lines.length) throw new Error(`${readme}:${i + 1}: code block is never closed`);
    const marked = rest.includes('run') || previousText === '<!-- run -->';
    if (marked && language !== 'ts' && language !== 'typescript')
      throw new Error(`${readme}:${i + 1}: only ts blocks can be marked to run (found "${language}")`);
    if (marked) {
      const snippet: Snippet = { readme, line: i + 1, code: body.join('\n'), tiny: rest.includes('tiny') };
      let k = j + 1;
      while (k < lines.length && (lines[k] ?? '').trim() === '') k++;
      const prints = /^<!-- prints: (.*) -->$/.exec((lines[k] ?? '').trim());
      if (prints) snippet.prints = new RegExp(prints[1] ?? '');
      snippets.push(snippet);
    }
    previousText = '';
    i = j;
  }
  return snippets;
}

/** The root README's and the package READMEs' (`packages/<name>/README.md`) runnable snippets, in that order. */
export function readmeSnippets(repoRoot: string): Snippet[] {
  const packagesDir = join(repoRoot, 'packages');
  const packageReadmes = readdirSync(packagesDir)
    .sort()
    .map((name) => join(packagesDir, name, 'README.md'));
  return [join(repoRoot, 'README.md'), ...packageReadmes]
    .filter((file) => existsSync(file))
    .flatMap((file) => extractRunnableSnippets(readFileSync(file, 'utf8'), relative(repoRoot, file)));
}

/** The snippet as it runs: `@contrastive/<pkg>` imports point at `packages/<pkg>/src/index.ts`; offline substitutions. */
export function prepareSnippet(snippet: Snippet, repoRoot: string, sharedDir: string): string {
  const fixture = join(sharedDir, 'fixtures', 'tiny-bert');
  const code = snippet.code
    .replace(/(['"])@contrastive\/([a-z0-9-]+)\1/g, (_match, quote: string, pkg: string) => {
      const source = join(repoRoot, 'packages', pkg, 'src', 'index.ts');
      if (!existsSync(source))
        throw new Error(`${snippet.readme}:${snippet.line}: imports unknown package @contrastive/${pkg}`);
      return `${quote}${pathToFileURL(source).href}${quote}`;
    })
    .replace(/(['"])\.\.\/shared\//g, (_match, quote: string) => `${quote}${sharedDir}/`);
  return snippet.tiny ? code.replaceAll(HUB_MODEL_ID, fixture) : code;
}

export interface SnippetRun {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one snippet with tsx (the packages' source condition) in a fresh temp folder, removed afterwards.
 * Rejects with an error naming the README and the block's line when it exits non-zero.
 */
export async function runSnippet(
  snippet: Snippet,
  options: { repoRoot: string; sharedDir: string; timeoutMs?: number },
): Promise<SnippetRun> {
  const code = prepareSnippet(snippet, options.repoRoot, options.sharedDir);
  const dir = mkdtempSync(join(tmpdir(), 'contrastive-snippet-'));
  try {
    const file = join(dir, 'snippet.mts');
    writeFileSync(file, code);
    const tsx = pathToFileURL(createRequire(resolve(options.repoRoot, 'package.json')).resolve('tsx')).href;
    const result = await new Promise<SnippetRun>((done, fail) => {
      const child = spawn(process.execPath, ['--conditions=@contrastive/source', '--import', tsx, file], {
        cwd: dir,
        env: { ...process.env, ORT_DISABLE_TELEMETRY: process.env.ORT_DISABLE_TELEMETRY ?? '1' },
        timeout: options.timeoutMs ?? 120_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      child.on('error', fail);
      child.on('close', (status) => done({ status: status ?? -1, stdout, stderr }));
    });
    if (result.status !== 0) {
      const tail = result.stderr.trim().split('\n').slice(-15).join('\n');
      throw new Error(
        `${snippet.readme}: the block at line ${snippet.line} exited ${result.status}:\n${tail}`,
      );
    }
    if (snippet.prints && !snippet.prints.test(result.stdout)) {
      const printed = JSON.stringify(result.stdout.slice(0, 2000));
      throw new Error(
        `${snippet.readme}: the block at line ${snippet.line} printed ${printed}, expected to match ${snippet.prints}`,
      );
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
