import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { readJsonl } from '../../../test-support/training_output.js';
import { parseRangeForSampling, readMiningCorpus } from '../src/commands/mine.js';
import { workersEngineLine } from './helpers.js';

const ROWS = [
  { query: 'what was the revenue growth', pos: 'revenue growth was ten percent' },
  { query: 'how much debt', pos: 'total debt was two billion' },
  { query: 'how much debt', pos: ['long term debt rose'] },
  { query: 'dividend policy', pos: 'the dividend was raised' },
];
const PASSAGES = [
  'revenue grew in the quarter',
  'revenue growth slowed',
  'debt covenants were met',
  'debt repayment schedule',
  'the board declared a dividend',
  'dividend yield is low',
  'cash flow from operations',
  'tax rate was stable',
];

function setup(): { dir: string; input: string; corpus: string; beir: string } {
  const dir = tempDir('mine-cli-');
  const input = join(dir, 'rows.jsonl');
  writeFileSync(input, `${ROWS.map((r) => JSON.stringify(r)).join('\n')}\n`);
  const corpus = join(dir, 'corpus.jsonl');
  writeFileSync(corpus, `${PASSAGES.map((text) => JSON.stringify({ text })).join('\n')}\n`);
  // BEIR: the debt positive appears with a title, so as a passage it is "Debt. total debt was two billion".
  const beir = join(dir, 'beir.jsonl');
  writeFileSync(
    beir,
    `${[
      ...PASSAGES.map((text, i) => ({ _id: `d${i}`, title: '', text })),
      { _id: 'p', title: 'Debt.', text: 'total debt was two billion' },
    ]
      .map((r) => JSON.stringify(r))
      .join('\n')}\n`,
  );
  return { dir, input, corpus, beir };
}

describe('contrastive mine', () => {
  it('bm25 → FlagEmbedding JSONL with scores and a prompt; one JSON line on stdout', async () => {
    const { dir, input, corpus } = setup();
    const output = join(dir, 'out.jsonl');
    const r = await runCli([
      'mine',
      '--input',
      input,
      '--corpus',
      corpus,
      '--strategy',
      'bm25',
      '--num-negatives',
      '2',
      '--prompt',
      'Represent: ',
      '--output',
      output,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim());
    expect(summary).toMatchObject({ command: 'mine', strategy: 'bm25', queries: 3, rows: 4, written: 3 });
    const records = readJsonl(output);
    expect(records[1]).toMatchObject({
      query: 'how much debt',
      pos: ['total debt was two billion', 'long term debt rose'],
      prompt: 'Represent: ',
    });
    expect(records[1].neg).toEqual(
      expect.arrayContaining(['debt covenants were met', 'debt repayment schedule']),
    );
    expect(records[1].neg_scores).toHaveLength(2);
    expect(records[1].pos_scores).toHaveLength(2);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('dense with the tiny model, triplets; cached embeddings give the same output', async () => {
    const { dir, input, corpus } = setup();
    const model = sharedPath('fixtures', 'tiny-bert');
    const cache = join(dir, 'cache');
    const common = [
      'mine',
      '--model',
      model,
      '--input',
      input,
      '--corpus',
      corpus,
      '--strategy',
      'dense',
      '--format',
      'triplets',
    ];
    const args = [...common, '--cache-dir', cache];
    const a = await runCli([...args, '--output', join(dir, 'a.jsonl')]);
    expect(a.status, a.stderr).toBe(0);
    const triplets = readJsonl(join(dir, 'a.jsonl'));
    expect(triplets).toHaveLength(4 * 3); // 4 (query, positive) pairs × 3 negatives
    expect(Object.keys(triplets[0])).toEqual(['anchor', 'positive', 'negative']);
    expect(readdirSync(cache).length).toBe(2);
    const b = await runCli([...args, '--output', join(dir, 'b.jsonl')]);
    expect(b.status, b.stderr).toBe(0);
    expect(readFileSync(join(dir, 'b.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'a.jsonl'), 'utf8'));
    // HNSW (usearch) on an 8-passage corpus finds every neighbour: the same negatives as exact search.
    const c = await runCli([...args, '--index', 'hnsw', '--output', join(dir, 'c.jsonl')]);
    expect(c.status, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ strategy: 'dense', index: 'hnsw' });
    expect(JSON.parse(a.stdout)).toMatchObject({ strategy: 'dense', index: 'exact' });
    expect(readFileSync(join(dir, 'c.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'a.jsonl'), 'utf8'));
    // Embedded afresh (no cache) by two onnx worker sessions: the same negatives.
    const d = await runCli([
      ...common,
      '--engine',
      'onnx',
      '--workers',
      '2',
      '--batch-size',
      '3',
      '--output',
      join(dir, 'd.jsonl'),
    ]);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stderr).toContain(workersEngineLine(d.stderr, 2));
    expect(readFileSync(join(dir, 'd.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'a.jsonl'), 'utf8'));
  });

  it('from-positives, random, labeled pairs and n-tuples', async () => {
    const { dir, input } = setup();
    const out = join(dir, 'lp.jsonl');
    const r = await runCli([
      'mine',
      '--input',
      input,
      '--corpus',
      'from-positives',
      '--strategy',
      'random',
      '--num-negatives',
      '1',
      '--format',
      'labeled-pairs',
      '--output',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const pairs = readJsonl(out);
    expect(pairs.filter((p: { label: number }) => p.label === 1)).toHaveLength(4);
    expect(pairs.filter((p: { label: number }) => p.label === 0)).toHaveLength(3);
    const nt = join(dir, 'nt.jsonl');
    expect(
      (
        await runCli([
          'mine',
          '--input',
          input,
          '--corpus',
          'from-positives',
          '--strategy',
          'random',
          '--num-negatives',
          '2',
          '--format',
          'ntuples',
          '--output',
          nt,
        ])
      ).status,
    ).toBe(0);
    expect(Object.keys(readJsonl(nt)[0])).toEqual(['anchor', 'positive', 'negative_1', 'negative_2']);
  });

  it('a BEIR positive given as bare text is never returned as a negative', async () => {
    const { dir, input, beir } = setup();
    const out = join(dir, 'beir-out.jsonl');
    const r = await runCli([
      'mine',
      '--input',
      input,
      '--corpus',
      beir,
      '--strategy',
      'bm25',
      '--num-negatives',
      '5',
      '--output',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const debt = readJsonl(out)[1];
    expect(debt.neg).not.toContain('Debt. total debt was two billion');
    expect(debt.neg).toHaveLength(5);
    expect(readMiningCorpus(beir).passages).toContain('Debt. total debt was two billion');
  });

  it('errors name the file, line, field or option', async () => {
    const { dir, input, corpus } = setup();
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"query": "q", "pos": "p"}\n{"query": "q2"}\n');
    const r = await runCli([
      'mine',
      '--input',
      bad,
      '--corpus',
      corpus,
      '--strategy',
      'bm25',
      '--output',
      join(dir, 'x.jsonl'),
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${bad}:2: field "pos"`);
    const noModel = await runCli([
      'mine',
      '--input',
      input,
      '--corpus',
      corpus,
      '--strategy',
      'dense',
      '--output',
      join(dir, 'y.jsonl'),
    ]);
    expect(noModel.stderr).toContain('--strategy dense needs --model');
    const hnswBm25 = await runCli([
      'mine',
      '--input',
      input,
      '--corpus',
      corpus,
      '--strategy',
      'bm25',
      '--index',
      'hnsw',
      '--output',
      join(dir, 'y.jsonl'),
    ]);
    expect(hnswBm25.status).not.toBe(0);
    expect(hnswBm25.stderr).toContain('--index hnsw is the vector index of --strategy dense, not bm25');
    const window = await runCli([
      'mine',
      '--input',
      input,
      '--corpus',
      corpus,
      '--strategy',
      'bm25',
      '--num-negatives',
      '5',
      '--range-for-sampling',
      '2-4',
      '--output',
      join(dir, 'z.jsonl'),
    ]);
    expect(window.stderr).toMatch(/numNegatives \(5\) is larger than the rangeForSampling window 2-4/);
    const unwritable = await runCli([
      'mine',
      '--input',
      input,
      '--corpus',
      corpus,
      '--strategy',
      'bm25',
      '--output',
      join(dir, 'missing', 'o.jsonl'),
    ]);
    expect(unwritable.status).not.toBe(0);
    expect(unwritable.stderr).toContain(join(dir, 'missing', 'o.jsonl'));
    expect(() => parseRangeForSampling('210-10')).toThrow(/A-B with A < B/);
  });
});
