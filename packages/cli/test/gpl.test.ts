import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CrossEncoder, SentenceEncoder } from '@contrastive/bert';
import { initBackend, readSafetensors } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatServer, startChatServer } from '../../../test-support/chat_server.js';
import { runCli } from '../../../test-support/cli.js';
import { tempDir } from '../../../test-support/temp.js';
import { lastJsonLine, readJsonl } from '../../../test-support/training_output.js';
import { sampleGplTuples } from '../src/gpl.js';
import { tinyBert, tinyCrossEncoder } from './helpers.js';

const PASSAGES = [
  'The central bank raised interest rates by half a point to fight inflation.',
  'Quarterly revenue grew twelve percent on strong cloud subscriptions.',
  'The company repaid two billion dollars of long term debt early.',
  'Dividends were cut after the board reviewed the cash position.',
  'A new factory in Texas will double battery production next year.',
  'Shares fell sharply when the merger was blocked by regulators.',
  'Operating margins improved as shipping costs returned to normal.',
  'The audit committee found no material weakness in internal controls.',
];
/** The generator's reply for passage i: three queries, numbered or bulleted as models write them. */
const reply = (i: number) => {
  const words = PASSAGES[i]!.toLowerCase().replace(/[.,]/g, '').split(' ');
  return `1. ${words.slice(0, 4).join(' ')}\n- ${words.slice(3, 7).join(' ')}?\n3) what about ${words.slice(-3).join(' ')}`;
};
const expectedQueries = (i: number) => {
  const words = PASSAGES[i]!.toLowerCase().replace(/[.,]/g, '').split(' ');
  return [
    words.slice(0, 4).join(' '),
    `${words.slice(3, 7).join(' ')}?`,
    `what about ${words.slice(-3).join(' ')}`,
  ];
};

interface Tuple {
  query: string;
  positive: string;
  negative: string;
  label: number;
  pos_score: number;
  neg_score: number;
}
interface HardNegatives {
  query: string;
  pos: string[];
  neg: Record<string, string[]>;
}

let server: ChatServer;
let dir: string;
let config: string;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  server = await startChatServer();
  dir = tempDir('gpl-cli-');
  config = join(dir, 'generator.json');
  writeFileSync(config, JSON.stringify({ base_url: server.baseUrl, model: 'local', api_key: 'test' }));
  writeFileSync(
    join(dir, 'corpus.jsonl'),
    PASSAGES.map((text, i) => `${JSON.stringify({ _id: `d${i}`, title: '', text })}\n`).join(''),
  );
});
afterAll(async () => {
  await server.close();
});

describe('contrastive gpl', () => {
  it('generates queries, mines negatives with the model itself and BM25, labels margins with the cross-encoder, trains', async () => {
    server.script.push(...PASSAGES.map((_, i) => ({ content: reply(i) })));
    const output = join(dir, 'adapted');
    const r = await runCli([
      'gpl',
      '--model',
      tinyBert,
      '--corpus',
      join(dir, 'corpus.jsonl'),
      '--cross-encoder',
      tinyCrossEncoder,
      '--generator',
      config,
      '--output',
      output,
      '--negatives',
      '3',
      '--retriever',
      'self',
      '--retriever',
      'bm25',
      '--steps',
      '3',
      '--batch-size',
      '4',
      '--lr',
      '1e-3',
      '--concurrency',
      '1',
      '--no-progress',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const summary = lastJsonLine(r.stdout);
    expect(summary).toMatchObject({
      command: 'gpl',
      passages: 8,
      queries: 24,
      passages_without_query: 0,
      retrievers: ['self', 'bm25'],
      tuples: 12,
      steps: 3,
      reused: [],
      requests: 8,
    });
    expect(Number.isFinite(summary.train_loss)).toBe(true);

    // (1) One request per passage carrying it and the number of queries; its queries, cleaned, are positives of it.
    expect(server.requests).toHaveLength(8);
    server.requests.forEach((req, i) => {
      const prompt = req.body.messages.at(-1)!.content;
      expect(prompt).toContain(PASSAGES[i]!);
      expect(prompt).toContain('Write 3 different search queries');
    });
    const data = join(output, 'gpl-data');
    const rows = readJsonl<{ query: string; pos: string }>(join(data, 'queries.jsonl'));
    expect(rows).toEqual(PASSAGES.flatMap((p, i) => expectedQueries(i).map((query) => ({ query, pos: p }))));

    // (2) The model's own negatives are the 3 passages it ranks nearest the query (cosine), the positive excluded.
    const model = await SentenceEncoder.load(tinyBert, { maxSeqLength: 350 });
    const hard = readJsonl<HardNegatives>(join(data, 'hard-negatives.jsonl'));
    expect(hard).toHaveLength(24);
    const passageEmb = (await model.encode(PASSAGES, { normalize: true })).map((e) => Array.from(e));
    const queryEmb = (
      await model.encode(
        hard.map((h) => h.query),
        { normalize: true },
      )
    ).map((e) => Array.from(e));
    model.dispose();
    const cos = (a: number[], b: number[]) => a.reduce((s, x, k) => s + x * b[k]!, 0);
    hard.forEach((h, qi) => {
      expect(Object.keys(h.neg)).toEqual(['self', 'bm25']);
      const ranked = PASSAGES.map((p, pi) => ({ p, s: cos(queryEmb[qi]!, passageEmb[pi]!) }))
        .filter((c) => !h.pos.includes(c.p))
        .sort((a, b) => b.s - a.s);
      expect(h.neg.self).toEqual(ranked.slice(0, 3).map((c) => c.p));
      for (const n of h.neg.bm25!) expect(h.pos).not.toContain(n);
    });

    // (3) 12 tuples = 3 steps × 4; each label is the cross-encoder's score difference, recomputed here.
    const tuples = readJsonl<Tuple>(join(data, 'gpl-training-data.jsonl'));
    expect(tuples).toHaveLength(12);
    const byQuery = new Map(hard.map((h) => [h.query, h]));
    const ce = await CrossEncoder.load(tinyCrossEncoder);
    const scores = await ce.score(
      tuples.flatMap((t) => [
        [t.query, t.positive] as [string, string],
        [t.query, t.negative] as [string, string],
      ]),
    );
    ce.dispose();
    tuples.forEach((t, i) => {
      const h = byQuery.get(t.query)!;
      expect(h.pos).toContain(t.positive);
      expect([...h.neg.self!, ...h.neg.bm25!]).toContain(t.negative);
      expect(Math.abs(t.pos_score - scores[2 * i]!)).toBeLessThan(1e-4);
      expect(Math.abs(t.neg_score - scores[2 * i + 1]!)).toBeLessThan(1e-4);
      expect(Math.abs(t.label - (scores[2 * i]! - scores[2 * i + 1]!))).toBeLessThan(1e-4);
    });
    expect(new Set(tuples.slice(0, 4).map((t) => t.query)).size).toBe(4);
    expect(tuples.map((t) => ({ query: t.query, positive: t.positive, negative: t.negative }))).toEqual(
      sampleGplTuples(hard, 12, 4, 42),
    );

    // (4) A trained sentence-transformers folder with changed weights.
    expect(existsSync(join(output, 'modules.json'))).toBe(true);
    const before = readSafetensors(join(tinyBert, 'model.safetensors')).tensors;
    const after = readSafetensors(join(output, 'model.safetensors')).tensors;
    const name = [...before.keys()].find((k) => k.endsWith('encoder.layer.0.attention.self.query.weight'))!;
    const a = after.get(name) ?? after.get(name.replace(/^bert\./, ''));
    expect(a).toBeDefined();
    const diff = Array.from(a!.data as Float32Array).some(
      (x, k) => x !== (before.get(name)!.data as Float32Array)[k],
    );
    expect(diff).toBe(true);
    const metrics = readFileSync(join(output, 'metrics.jsonl'), 'utf8');
    expect(metrics.length).toBeGreaterThan(0);

    // Existing queries and negatives in the data folder are used as they are: no generator call, same tuples.
    const again = join(dir, 'again');
    const r2 = await runCli([
      'gpl',
      '--model',
      tinyBert,
      '--corpus',
      join(dir, 'corpus.jsonl'),
      '--cross-encoder',
      tinyCrossEncoder,
      '--generator',
      config,
      '--output',
      again,
      '--data-dir',
      data,
      '--steps',
      '3',
      '--batch-size',
      '4',
      '--no-progress',
    ]);
    expect(r2.status, r2.stderr).toBe(0);
    expect(lastJsonLine(r2.stdout)).toMatchObject({
      reused: ['queries', 'hard-negatives'],
      retrievers: ['self', 'bm25'],
      requests: 0,
      tuples: 12,
    });
    expect(server.requests).toHaveLength(8);
    const tuples2 = readJsonl<Tuple>(join(data, 'gpl-training-data.jsonl'));
    tuples2.forEach((t, i) => {
      expect(t.negative).toBe(tuples[i]!.negative);
      expect(Math.abs(t.label - tuples[i]!.label)).toBeLessThan(1e-5);
    });
  }, 600_000);

  it('refuses too few queries for a batch and a cross-encoder with several labels, naming them', async () => {
    server.script.push(...PASSAGES.map((_, i) => ({ content: reply(i) })));
    const base = [
      'gpl',
      '--model',
      tinyBert,
      '--corpus',
      join(dir, 'corpus.jsonl'),
      '--cross-encoder',
      tinyCrossEncoder,
      '--generator',
      config,
      '--steps',
      '1',
      '--no-progress',
    ];
    const big = await runCli([
      ...base,
      '--output',
      join(dir, 'big'),
      '--batch-size',
      '32',
      '--concurrency',
      '1',
    ]);
    expect(big.status).not.toBe(0);
    expect(big.stderr).toContain('24 queries have negatives, fewer than the batch size 32');

    const three = join(dir, 'ce3');
    expect(
      (
        await runCli([
          'init',
          '--cross-encoder',
          '--num-labels',
          '3',
          '--preset',
          'tiny',
          '--tokenizer',
          tinyCrossEncoder,
          '--output',
          three,
        ])
      ).status,
    ).toBe(0);
    const args = [...base, '--output', join(dir, 'ce3-out'), '--data-dir', join(dir, 'big', 'gpl-data')];
    args[args.indexOf('--cross-encoder') + 1] = three;
    const bad = await runCli([...args, '--batch-size', '4']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain(`${three}: GPL needs a one-label cross-encoder`);

    const badNeg = join(dir, 'bad-data');
    mkdirSync(badNeg, { recursive: true });
    writeFileSync(join(badNeg, 'queries.jsonl'), '{"query": "q", "pos": "p"}\n');
    writeFileSync(join(badNeg, 'hard-negatives.jsonl'), '{"query": "q", "pos": ["p"], "neg": ["n"]}\n');
    const r = await runCli([
      ...base,
      '--output',
      join(dir, 'bad-out'),
      '--data-dir',
      badNeg,
      '--batch-size',
      '1',
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${join(badNeg, 'hard-negatives.jsonl')}:1: field "neg" must be an object`);
  }, 600_000);
});
