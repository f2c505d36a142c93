import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CrossEncoder, SentenceEncoder } from '@contrastive/bert';
import { initBackend } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { tempDir } from '../../../test-support/temp.js';
import { readJsonl } from '../../../test-support/training_output.js';
import { tinyBert, tinyCrossEncoder, workersEngineLine } from './helpers.js';
const ROWS = [
  { query: 'what was the revenue growth', pos: 'revenue growth was ten percent' },
  { query: 'how much debt', pos: 'total debt was two billion' },
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

let ce: CrossEncoder;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  ce = await CrossEncoder.load(tinyCrossEncoder);
});
afterAll(() => ce.dispose());

describe('contrastive mine --reranker <cross-encoder>', () => {
  it('rescores with the cross-encoder and drops false negatives above (positive score − margin)', async () => {
    const dir = tempDir('mine-ce-');
    const input = join(dir, 'rows.jsonl');
    writeFileSync(input, `${ROWS.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const corpus = join(dir, 'corpus.jsonl');
    writeFileSync(corpus, `${PASSAGES.map((text) => JSON.stringify({ text })).join('\n')}\n`);

    // What the pipeline must do, recomputed here: every candidate (the corpus and the other rows' positives)
    // scored against each query by the cross-encoder.
    const expected: Array<{ posScore: number; scored: Array<{ text: string; score: number }> }> = [];
    for (const row of ROWS) {
      const [posScore] = await ce.score([[row.query, row.pos]]);
      const candidates = [...PASSAGES, ...ROWS.map((x) => x.pos)].filter((t) => t !== row.pos);
      const scored = (await ce.score(candidates.map((p) => [row.query, p] as [string, string])))
        .map((score, i) => ({ text: candidates[i]!, score }))
        .sort((a, b) => b.score - a.score);
      expected.push({ posScore: posScore!, scored });
    }
    // A margin halfway between two of the first query's candidates (relative to its positive), so the filter
    // keeps some candidates and drops others, and no score sits near the threshold.
    const first = expected[0]!;
    const mid = (first.scored[2]!.score + first.scored[3]!.score) / 2;
    const margin = first.posScore - mid;

    const output = join(dir, 'out.jsonl');
    const args = [
      'mine',
      '--input',
      input,
      '--corpus',
      corpus,
      '--strategy',
      'random',
      '--reranker',
      tinyCrossEncoder,
      '--num-negatives',
      '3',
      '--margin',
      String(margin),
    ];
    const r = await runCli([...args, '--output', output]);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim());
    expect(summary.removed.absoluteMargin).toBeGreaterThan(0);
    const records = readJsonl(output);
    expect(records).toHaveLength(2);
    let dropped = 0;
    records.forEach((record, qi) => {
      const { posScore, scored } = expected[qi]!;
      expect(Math.abs(record.pos_scores[0] - posScore)).toBeLessThan(1e-4);
      const kept = scored.filter((c) => !(c.score + margin > posScore));
      dropped += scored.length - kept.length;
      const want = kept.slice(0, 3);
      expect(record.neg).toEqual(want.map((c) => c.text));
      record.neg_scores.forEach((s: number, i: number) =>
        expect(Math.abs(s - want[i]!.score)).toBeLessThan(1e-4),
      );
      for (const s of record.neg_scores) expect(s + margin).toBeLessThanOrEqual(record.pos_scores[0] + 1e-6);
    });
    expect(summary.removed.absoluteMargin).toBe(dropped);
    // The first query: exactly its three best-scored candidates were dropped as likely false negatives.
    expect(records[0].neg).not.toContain(first.scored[0]!.text);
    expect(records[0].neg).toEqual(first.scored.slice(3, 6).map((c) => c.text));

    // The cross-encoder in two onnx worker sessions (`--workers`): the same records, scores to float rounding.
    const withWorkers = join(dir, 'workers.jsonl');
    const w = await runCli([...args, '--engine', 'onnx', '--workers', '2', '--output', withWorkers]);
    expect(w.status, w.stderr).toBe(0);
    expect(w.stderr).toContain(workersEngineLine(w.stderr, 2));
    readJsonl(withWorkers).forEach((record, qi) => {
      expect(record.neg).toEqual(records[qi].neg);
      record.neg_scores.forEach((s: number, i: number) =>
        expect(Math.abs(s - records[qi].neg_scores[i])).toBeLessThan(1e-5),
      );
    });
  });

  it('an embedding-model folder is still a cosine-similarity reranker', async () => {
    const dir = tempDir('mine-ce-');
    const input = join(dir, 'rows.jsonl');
    writeFileSync(input, `${ROWS.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const corpus = join(dir, 'corpus.jsonl');
    writeFileSync(corpus, `${PASSAGES.map((text) => JSON.stringify({ text })).join('\n')}\n`);
    const output = join(dir, 'out.jsonl');
    const r = await runCli([
      'mine',
      '--input',
      input,
      '--corpus',
      corpus,
      '--strategy',
      'random',
      '--reranker',
      tinyBert,
      '--num-negatives',
      '2',
      '--output',
      output,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const encoder = await SentenceEncoder.load(tinyBert);
    const [first] = readJsonl(output);
    const emb = await encoder.encode([first.query, ...first.pos, ...first.neg], { normalize: true });
    encoder.dispose();
    const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, k) => s + x * b[k]!, 0);
    expect(Math.abs(first.pos_scores[0] - cos(emb[0]!, emb[1]!))).toBeLessThan(1e-4);
    first.neg_scores.forEach((s: number, i: number) =>
      expect(Math.abs(s - cos(emb[0]!, emb[2 + i]!))).toBeLessThan(1e-4),
    );
  });

  it('refuses a cross-encoder with several labels, naming it', async () => {
    const dir = tempDir('mine-ce-');
    const three = join(dir, 'ce3');
    const init = await runCli([
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
    ]);
    expect(init.status, init.stderr).toBe(0);
    const input = join(dir, 'rows.jsonl');
    writeFileSync(input, `${ROWS.map((r) => JSON.stringify(r)).join('\n')}\n`);
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
      '--reranker',
      three,
      '--output',
      join(dir, 'out.jsonl'),
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${three}: --reranker needs a one-label cross-encoder`);
  });
});
