import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PARAPHRASE_PROMPT, fillTemplate } from '@contrastive/augment';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ChatServer, startChatServer } from '../../../test-support/chat_server.js';
import { runCli, runCliAsync } from '../../../test-support/cli.js';
import { tempDir } from '../../../test-support/temp.js';
import { readJsonl } from '../../../test-support/training_output.js';

let dir: string;
const SENTENCES = [
  'A man is playing a guitar on a small stage.',
  'The happy children are running in the park.',
  'Two dogs chase a red ball across the green field.',
];

beforeAll(() => {
  dir = tempDir('contrastive-augment-cli-');
  writeFileSync(join(dir, 'in.txt'), `${SENTENCES.join('\n')}\n`);
});

/** A line of `contrastive augment`'s output. */
interface Augmented {
  text: string;
  augmented: string[];
}

describe('contrastive augment', () => {
  it('writes {"text", "augmented"} per line, reproducibly from --seed', async () => {
    const out = join(dir, 'del.jsonl');
    const args = [
      'augment',
      '--method',
      'delete',
      '--n',
      '3',
      '--input',
      join(dir, 'in.txt'),
      '--output',
      out,
    ];
    const r = await runCli([...args, '--seed', '5']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('augment: 3/3'); // plain progress lines off a TTY
    expect(JSON.parse(r.stdout)).toMatchObject({
      command: 'augment',
      method: 'delete',
      texts: 3,
      augmented: 9,
    });
    const rows = readJsonl<Augmented>(out);
    expect(rows.map((row) => row.text)).toEqual(SENTENCES);
    for (const row of rows) {
      expect(row.augmented).toHaveLength(3);
      for (const a of row.augmented) {
        expect(a.length).toBeGreaterThan(0);
        expect(a.split(' ').length).toBeLessThan(row.text.split(' ').length);
      }
    }
    const first = readFileSync(out, 'utf8');
    expect((await runCli([...args, '--seed', '5'])).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(first);
    expect((await runCli([...args, '--seed', '6'])).status).toBe(0);
    expect(readFileSync(out, 'utf8')).not.toBe(first);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('runs EDA from JSONL input with WordNet synonyms', async () => {
    const input = join(dir, 'in.jsonl');
    writeFileSync(input, SENTENCES.map((text) => JSON.stringify({ text, id: 1 })).join('\n'));
    const out = join(dir, 'eda.jsonl');
    const r = await runCli([
      'augment',
      '--method',
      'eda',
      '--n',
      '4',
      '--ratio',
      '0.2',
      '--input',
      input,
      '--output',
      out,
    ]);
    expect(r.status).toBe(0);
    const rows = readJsonl<Augmented>(out);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.augmented).toHaveLength(4);
      for (const a of row.augmented) expect(a).toMatch(/^[a-z ]+$/);
    }
    const syn = join(dir, 'syn.jsonl');
    expect((await runCli(['augment', '--method', 'synonym', '--input', input, '--output', syn])).status).toBe(
      0,
    );
    const changed = readJsonl<Augmented>(syn).filter(
      (row) =>
        row.augmented[0] !==
        row.text
          .toLowerCase()
          .replace(/[^a-z]+/g, ' ')
          .trim(),
    );
    expect(changed.length).toBeGreaterThan(0);
  });

  it('paraphrases through a generator config against a local chat-completions server', async () => {
    const server: ChatServer = await startChatServer();
    try {
      const config = join(dir, 'gen.yaml');
      writeFileSync(
        config,
        `base_url: ${server.baseUrl}\nmodel: local\ncache_dir: cache\nmax_retries: 2\ninitial_backoff_ms: 10\n`,
      );
      server.script.push({ status: 500, body: 'overloaded' });
      const out = join(dir, 'para.jsonl');
      const args = [
        'augment',
        '--method',
        'paraphrase',
        '--n',
        '2',
        '--generator',
        config,
        '--input',
        join(dir, 'in.txt'),
        '--output',
        out,
      ];
      const r = await runCliAsync(args, { env: { OPENAI_API_KEY: '', CONTRASTIVE_LLM_API_KEY: '' } });
      expect(r.stderr).toContain('generator: HTTP 500: overloaded; retry 1');
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ augmented: 6, requests: 7, cache_hits: 0 });
      const rows = readJsonl<Augmented>(out);
      expect(rows[0]!.augmented[0]).toBe(`echo: ${fillTemplate(PARAPHRASE_PROMPT, { text: SENTENCES[0]! })}`);
      expect(new Set(server.requests.map((q) => q.body.seed)).size).toBe(6);
      // A second run is answered from the on-disk cache.
      const again = await runCliAsync(args);
      expect(JSON.parse(again.stdout)).toMatchObject({ requests: 0, cache_hits: 6 });
      expect(existsSync(join(dir, 'cache'))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('names the file and line of bad input, and fails on a bad output path or missing generator', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"text": "fine"}\n{"txt": "no text field"}\n');
    const out = join(dir, 'x.jsonl');
    const r = await runCli(['augment', '--method', 'swap', '--input', bad, '--output', out]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${bad}:2: expected {"text": "..."}`);
    expect(existsSync(out)).toBe(false);
    const noDir = join(dir, 'missing', 'out.jsonl');
    const w = await runCli([
      'augment',
      '--method',
      'swap',
      '--input',
      join(dir, 'in.txt'),
      '--output',
      noDir,
    ]);
    expect(w.status).not.toBe(0);
    expect(w.stderr).toContain(`${noDir}: cannot write output`);
    const g = await runCli([
      'augment',
      '--method',
      'backtranslate',
      '--input',
      join(dir, 'in.txt'),
      '--output',
      out,
    ]);
    expect(g.status).not.toBe(0);
    expect(g.stderr).toContain('--method backtranslate needs --generator');
  });
});
