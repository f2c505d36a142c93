import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mixSeed } from '@contrastive/core';
import { initBackend, readSafetensors, tf } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import {
  BertForMaskedLM,
  IGNORE_LABEL,
  MLM_HEAD_NAMES,
  MaskedLanguageModelingLoss,
  SentenceEncoder,
  maskTokens,
} from '../src/index.js';

const fixture = sharedPath('fixtures', 'tiny-mlm');
interface Example {
  text: string;
  input_ids: number[];
  mask_positions: number[];
  top5_ids: number[][];
  top5_logits: number[][];
  logsumexp: number[];
  first_token_logits_0_10: number[];
}
const ref = JSON.parse(readFileSync(join(fixture, 'reference.json'), 'utf8')) as { examples: Example[] };

let model: BertForMaskedLM;
const temps: string[] = [];
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = await BertForMaskedLM.load(fixture);
});
afterAll(() => {
  model.dispose();
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mlm-test-'));
  temps.push(d);
  return d;
}

function logitsOf(m: BertForMaskedLM, ids: number[]): number[][] {
  const t = m.logits([ids]);
  const out = (t.arraySync() as number[][][])[0]!;
  t.dispose();
  return out;
}

function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
}

describe('BertForMaskedLM parity with PyTorch (tiny-mlm reference)', () => {
  it('loads the head from the checkpoint, the decoder tied to the word embeddings', () => {
    expect(model.headSource).toBe('checkpoint');
    expect(model.namedVariables().map((v) => v.name)).toEqual(
      expect.arrayContaining(Object.values(MLM_HEAD_NAMES)),
    );
  });
  for (const [k, ex] of ref.examples.entries()) {
    it(`example ${k}: ids exact, top-5 logits, logsumexp and [CLS] logits within 1e-4`, () => {
      expect(model.tokenizer.encodeIds(ex.text, 64)).toEqual(ex.input_ids);
      const logits = logitsOf(model, ex.input_ids);
      ex.mask_positions.forEach((p, j) => {
        const row = logits[p]!;
        const top = row
          .map((v, i) => [v, i] as const)
          .sort((a, b) => b[0] - a[0])
          .slice(0, 5);
        expect(top.map(([, i]) => i)).toEqual(ex.top5_ids[j]);
        top.forEach(([v], r) => expect(Math.abs(v - ex.top5_logits[j]![r]!)).toBeLessThan(1e-4));
        expect(Math.abs(logSumExp(row) - ex.logsumexp[j]!)).toBeLessThan(1e-4);
      });
      logits[0]!.slice(0, 10).forEach((v, i) => {
        expect(Math.abs(v - ex.first_token_logits_0_10[i]!)).toBeLessThan(1e-4);
      });
    });
  }
});

describe('save and reload', () => {
  it('writes the Hugging Face layout and reloads with identical logits; loads as a SentenceEncoder', async () => {
    const dir = join(tempDir(), 'out');
    await model.save(dir);
    const names = [...readSafetensors(join(dir, 'model.safetensors')).tensors.keys()];
    expect(names).toEqual(
      expect.arrayContaining(['bert.embeddings.word_embeddings.weight', ...Object.values(MLM_HEAD_NAMES)]),
    );
    expect(
      names.some((n) => n.startsWith('cls.predictions.decoder.weight') || n.startsWith('bert.pooler')),
    ).toBe(false);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).architectures).toEqual([
      'BertForMaskedLM',
    ]);
    const again = await BertForMaskedLM.load(dir);
    const ids = ref.examples[1]!.input_ids;
    expect(logitsOf(again, ids)).toEqual(logitsOf(model, ids));
    again.dispose();

    const encoder = await SentenceEncoder.load(dir);
    expect(encoder.pooling.modes).toEqual(['mean']);
    const [e] = await encoder.encode(['A man is playing a guitar.'], { engine: 'tfjs' });
    const [m] = await model.embed(['A man is playing a guitar.']);
    expect(Math.max(...m!.map((v, i) => Math.abs(v - e![i]!)))).toBeLessThan(1e-5);
    encoder.dispose();
  });
  it('loadWeightsFrom (checkpoints, resume) restores the encoder and the head', async () => {
    const dir = join(tempDir(), 'ckpt');
    await model.save(dir);
    const other = await BertForMaskedLM.load(sharedPath('fixtures', 'tiny-bert'));
    const ids = ref.examples[0]!.input_ids;
    expect(logitsOf(other, ids)).not.toEqual(logitsOf(model, ids));
    other.loadWeightsFrom(dir);
    expect(logitsOf(other, ids)).toEqual(logitsOf(model, ids));
    expect(() => other.loadWeightsFrom(sharedPath('fixtures', 'tiny-bert'))).toThrow(/no cls\.predictions/);
    expect(logitsOf(other, ids)).toEqual(logitsOf(model, ids)); // a refused folder changes nothing
    other.dispose();
  });
  it('a sentence-transformers folder gets a fresh head (Hugging Face init)', async () => {
    const fresh = await BertForMaskedLM.load(sharedPath('fixtures', 'tiny-bert'));
    expect(fresh.headSource).toBe('random');
    const bias = fresh.namedVariables().find((v) => v.name === MLM_HEAD_NAMES.bias)!.variable;
    expect(bias.shape).toEqual([fresh.config.vocab_size]);
    expect(Math.max(...(bias.dataSync() as Float32Array))).toBe(0);
    fresh.dispose();
  });
});

describe('masking', () => {
  const vocab = { maskId: 103, vocabSize: 1000, specialIds: new Set([0, 101, 102]) };
  const rows = 200;
  const len = 50;
  const ids = new Int32Array(rows * len);
  const mask = new Int32Array(rows * len);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < 40; j++) {
      ids[r * len + j] = j === 0 ? 101 : j === 39 ? 102 : 1000 + j;
      mask[r * len + j] = 1;
    }
  const batch = {
    inputIds: ids,
    attentionMask: mask,
    tokenTypeIds: new Int32Array(rows * len),
    batchSize: rows,
    length: len,
  };

  it('15% of real tokens, 80% [MASK] / 10% random / 10% kept, specials and padding never; seeded', () => {
    const { batch: out, labels } = maskTokens(batch, vocab, 7);
    let chosen = 0;
    let masked = 0;
    let kept = 0;
    for (let i = 0; i < ids.length; i++) {
      if (labels[i] === IGNORE_LABEL) {
        expect(out.inputIds[i]).toBe(ids[i]);
        continue;
      }
      expect(labels[i]).toBe(ids[i]);
      expect(mask[i]).toBe(1);
      expect(vocab.specialIds.has(ids[i]!)).toBe(false);
      chosen++;
      if (out.inputIds[i] === 103) masked++;
      else if (out.inputIds[i] === ids[i]) kept++;
    }
    const candidates = rows * 38;
    expect(chosen / candidates).toBeGreaterThan(0.13);
    expect(chosen / candidates).toBeLessThan(0.17);
    expect(masked / chosen).toBeGreaterThan(0.76);
    expect(masked / chosen).toBeLessThan(0.84);
    expect(kept / chosen).toBeGreaterThan(0.07);
    expect(kept / chosen).toBeLessThan(0.13);
    expect(maskTokens(batch, vocab, 7).labels).toEqual(labels);
    expect(maskTokens(batch, vocab, 8).labels).not.toEqual(labels);
  });
  it('whole-word: a word and its ## continuations are chosen together, ~15% of tokens per row', () => {
    // Words of 1, 2 and 3 pieces: "a", "b ##b", "c ##c ##c" repeated.
    const pieces = [1, 2, 3];
    const row: number[] = [101];
    const cont = new Set<number>();
    let id = 1000;
    while (row.length < 38) {
      const n = pieces[row.length % 3]!;
      for (let k = 0; k < n; k++) {
        if (k > 0) cont.add(id);
        row.push(id++);
      }
    }
    row.push(102);
    const b = { ...new SentenceEncoderFreeTokenizer().pad([row, row]) };
    const { labels } = maskTokens(b, { ...vocab, vocabSize: 5000, isContinuation: (i) => cont.has(i) }, 3, {
      wholeWord: true,
    });
    const n = row.length;
    for (let r = 0; r < 2; r++) {
      let count = 0;
      for (let j = 1; j < n - 1; j++) {
        const on = labels[r * n + j] !== IGNORE_LABEL;
        if (on) count++;
        // A continuation is chosen exactly when the piece before it is.
        if (cont.has(row[j]!)) expect(on).toBe(labels[r * n + j - 1] !== IGNORE_LABEL);
      }
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThanOrEqual(Math.round((n - 2) * 0.15));
    }
  });
});

/** Pads id rows like SentenceTokenizer.pad, without a tokenizer. */
class SentenceEncoderFreeTokenizer {
  pad(seqs: number[][]) {
    const length = Math.max(...seqs.map((s) => s.length));
    const inputIds = new Int32Array(seqs.length * length);
    const attentionMask = new Int32Array(seqs.length * length);
    seqs.forEach((s, i) => {
      inputIds.set(s, i * length);
      attentionMask.fill(1, i * length, i * length + s.length);
    });
    return {
      inputIds,
      attentionMask,
      tokenTypeIds: new Int32Array(seqs.length * length),
      batchSize: seqs.length,
      length,
    };
  }
}

describe('MaskedLanguageModelingLoss', () => {
  it('is the mean cross entropy over every masked token of the batch', () => {
    const texts = ['A man is playing a guitar on the stage.', 'Two dogs run across a snowy field.'];
    const seed = 11;
    const loss = new MaskedLanguageModelingLoss();
    const value = tf.tidy(
      () =>
        loss
          .forward(model, { columnNames: ['text'], columns: { text: texts } }, { training: false, seed })
          .dataSync()[0]!,
    );
    // The loss's one call uses seed mixSeed(ctx.seed, 0): the same rows from embedTensor, and by hand from the logits.
    const rows = tf.tidy(() => model.embedTensor(texts, { seed: mixedSeed(seed) }).arraySync() as number[][]);
    const sum = rows.reduce((s, r) => s + r[0]!, 0);
    const count = rows.reduce((s, r) => s + r[1]!, 0);
    expect(count).toBeGreaterThan(0);
    expect(value).toBeCloseTo(sum / count, 5);
    const { batch, labels } = model.maskTexts(texts, model.maskSeed(mixedSeed(seed)));
    const perRow: number[][] = [];
    for (let r = 0; r < batch.batchSize; r++) {
      const real = batch.attentionMask
        .slice(r * batch.length, (r + 1) * batch.length)
        .reduce((a, v) => a + v, 0);
      perRow.push(Array.from(batch.inputIds.slice(r * batch.length, r * batch.length + real)));
    }
    let ce = 0;
    let n = 0;
    const all = perRow.map((ids) => logitsOf(model, ids));
    labels.forEach((l, i) => {
      if (l === IGNORE_LABEL) return;
      const row = all[Math.floor(i / batch.length)]![i % batch.length]!;
      ce += logSumExp(row) - row[l]!;
      n++;
    });
    expect(n).toBe(count);
    expect(value).toBeCloseTo(ce / n, 4);
  });
});

function mixedSeed(seed: number): number {
  return mixSeed(seed, 0);
}
