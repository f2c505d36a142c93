import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFlagJsonl, readJsonl } from '@contrastive/data-nli';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { runDataConvert, runDataSplit } from '../src/commands/data.js';
import { evalArgs } from './helpers.js';

function flagFile(dir: string, n = 20): string {
  const path = join(dir, 'flag.jsonl');
  const lines = Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      query: `q${i}`,
      pos: [`p${i}`],
      neg: [`n${i}a`, `n${i}b`],
      pos_scores: [0.9],
      neg_scores: [0.5, 0.25],
      prompt: 'Represent: ',
      type: 'normal',
    }),
  );
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('data convert --from flag', () => {
  it('--teacher-scores margin / list writes the label column margin-mse / distill-kl read', async () => {
    const dir = tempDir('data-flag-');
    const input = flagFile(dir, 2);
    await runDataConvert({
      from: 'flag',
      input,
      to: 'triplets',
      teacherScores: 'margin',
      numNegatives: 1,
      output: join(dir, 'm.jsonl'),
    });
    const margin = await readJsonl(join(dir, 'm.jsonl'));
    // The records' prompt travels as a per-row column (the trainer prepends it to the query).
    expect(margin.columnNames).toEqual(['anchor', 'positive', 'negative', 'label', 'prompt']);
    expect(margin.column('label')[0]).toBeCloseTo(0.4, 12); // 0.9 − 0.5
    expect(margin.column('prompt')[0]).toBe('Represent: ');
    await runDataConvert({
      from: 'flag',
      input,
      to: 'triplets',
      teacherScores: 'list',
      output: join(dir, 'l.jsonl'),
    });
    const list = await readJsonl(join(dir, 'l.jsonl'));
    expect(list.columnNames).toEqual(['anchor', 'positive', 'negative_1', 'negative_2', 'label', 'prompt']);
    expect(list.column('label')[0]).toEqual([0.9, 0.5, 0.25]);
  });

  it('keeps prompt and type through flag → flag; --prepend-prompt puts the prompt on the query', async () => {
    const dir = tempDir('data-flag-');
    const input = flagFile(dir, 2);
    await runDataConvert({ from: 'flag', input, to: 'flag', output: join(dir, 'f.jsonl') });
    const back = await readFlagJsonl(join(dir, 'f.jsonl'));
    expect(back.records[0]).toMatchObject({ prompt: 'Represent: ', type: 'normal' });
    await runDataConvert({
      from: 'flag',
      input,
      to: 'pairs',
      prependPrompt: true,
      output: join(dir, 'p.jsonl'),
    });
    expect((await readJsonl(join(dir, 'p.jsonl'))).column('anchor')[0]).toBe('Represent: q0');
  });
});

describe('data split on FlagEmbedding JSONL', () => {
  it('splits whole records 8:1:1 and keeps every field (CLI)', async () => {
    const dir = tempDir('data-flag-');
    const input = flagFile(dir, 20);
    const r = await runCli([
      'data',
      'split',
      '--input',
      input,
      '--ratios',
      '8:1:1',
      '--output-dir',
      join(dir, 'split'),
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({
      format: 'flag',
      in: 20,
      out: 20,
      splits: { train: 16, val: 2, test: 2 },
    });
    const parts = await Promise.all(
      ['train', 'val', 'test'].map((s) => readFlagJsonl(join(dir, 'split', `${s}.jsonl`))),
    );
    const queries = parts.flatMap((p) => p.records.map((x) => x.query));
    expect(new Set(queries).size).toBe(20);
    expect(parts[0]!.records[0]).toMatchObject({
      neg_scores: [0.5, 0.25],
      prompt: 'Represent: ',
      type: 'normal',
    });
    await expect(
      runDataSplit({ input, ratios: [1, 1], outputDir: join(dir, 's2'), dedupe: ['pos'] }),
    ).rejects.toThrow(/takes only "query"/);
  });
});

describe('data convert --to beir', () => {
  it('QA CSV → corpus.jsonl, queries.jsonl, qrels/test.tsv that eval --task retrieval reads', async () => {
    const dir = tempDir('data-flag-');
    const csv = join(dir, 'qa.csv');
    writeFileSync(
      csv,
      'question,answer,context\n"What was revenue?",x,"Revenue was 10 billion dollars in 2023."\n"How much debt?",y,"Total debt was 2 billion."\n"What was revenue growth?",z,"Revenue was 10 billion dollars in 2023."\n',
    );
    const out = join(dir, 'beir');
    const r = await runCli([
      'data',
      'convert',
      '--from',
      'csv',
      '--input',
      csv,
      '--to',
      'beir',
      '--output',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ queries: 3, corpus: 2, out: 3 });
    expect(readFileSync(join(out, 'qrels', 'test.tsv'), 'utf8').split('\n')[3]).toBe('q2\td0\t1');
    const ev = await runCli(evalArgs({ task: 'retrieval', data: out, output: join(dir, 'eval.json') }));
    expect(ev.status, ev.stderr).toBe(0);
    const scores = JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8'));
    expect(JSON.stringify(scores)).toContain('ndcg_at_10');
  });
});
