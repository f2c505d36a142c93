import {
  copyFileSync,
  cpSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32, normalSamples } from '@contrastive/core';
import { type NamedVariable, initBackend, tf } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import { type BertLMHeadModel, SentenceEncoder, bertParamSpecs, hasCrossAttention } from '../src/index.js';

const WORDS = 'embeddings.word_embeddings.weight';
const texts = ['A man is playing a guitar on the stage.', 'Two dogs run across a snowy field.'];

let encoder: SentenceEncoder;
let decoder: BertLMHeadModel;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  encoder = await SentenceEncoder.load(sharedPath('fixtures', 'tiny-bert'));
  decoder = encoder.createDecoder();
});
afterAll(() => {
  decoder.dispose();
  encoder.dispose();
});

/** A fixed sentence vector per row (what the encoder would give), deterministic. */
function sentences(n: number, seed = 1): tf.Tensor2D {
  const h = encoder.bert.config.hidden_size;
  return tf.tensor2d(normalSamples(n * h, 1, mulberry32(seed)), [n, h]);
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function variable(vars: NamedVariable[], name: string): tf.Variable {
  const v = vars.find((p) => p.name === name);
  if (!v) throw new Error(`no ${name}`);
  return v.variable;
}

describe('BertModel decoder variant (is_decoder, add_cross_attention) and BertLMHeadModel', () => {
  it('has Hugging Face BertLMHeadModel names; tied: only cross-attention and the LM head are its own', () => {
    expect(hasCrossAttention(decoder.bert.config)).toBe(true);
    const names = decoder.namedVariables().map((v) => v.name);
    expect(names).toContain('bert.encoder.layer.0.crossattention.self.query.weight');
    expect(names).toContain('bert.encoder.layer.1.crossattention.output.LayerNorm.bias');
    expect(names).toContain('cls.predictions.transform.dense.weight');
    expect(names).toContain('bert.embeddings.word_embeddings.weight');
    expect(names.some((n) => n.includes('pooler'))).toBe(false);
    const own = decoder.ownVariables().map((v) => v.name);
    // 2 layers × 10 cross-attention tensors + 5 head tensors.
    expect(own).toHaveLength(2 * 10 + 5);
    expect(own.every((n) => n.includes('.crossattention.') || n.startsWith('cls.predictions.'))).toBe(true);
    // The shared weights are the encoder's own variables (one weight, two uses).
    const enc = encoder.bert.namedVariables();
    for (const name of [WORDS, 'encoder.layer.1.output.dense.weight'])
      expect(variable(decoder.bert.namedVariables(), name)).toBe(variable(enc, name));
    // The spec list of a decoder config has the cross-attention; the encoder's does not.
    expect(bertParamSpecs(encoder.bert.config).some((s) => s.name.includes('crossattention'))).toBe(false);
  });

  it('self-attention is causal: changing token k changes logits at positions ≥ k only', () => {
    const ids = encoder.tokenizer.encodeIds(texts[0]!, 32);
    const changed = [...ids];
    const k = 4;
    changed[k] = ids[k] === 2000 ? 2001 : 2000;
    const s = sentences(1);
    const a = decoder.logits([ids], s);
    const b = decoder.logits([changed], s);
    const [, len, v] = a.shape;
    const da = a.dataSync();
    const db = b.dataSync();
    for (let j = 0; j < len; j++) {
      const diff = maxAbs(da.subarray(j * v, (j + 1) * v), db.subarray(j * v, (j + 1) * v));
      if (j < k) expect(diff).toBe(0);
      else expect(diff).toBeGreaterThan(1e-4);
    }
    tf.dispose([a, b, s]);
  });

  it('cross-attention reads the sentence vector; over one state its query and key do not matter', () => {
    const ids = [encoder.tokenizer.encodeIds(texts[1]!, 32)];
    const s1 = sentences(1, 1);
    const s2 = sentences(1, 2);
    const base = decoder.logits(ids, s1);
    const other = decoder.logits(ids, s2);
    expect(maxAbs(base.dataSync(), other.dataSync())).toBeGreaterThan(1e-3);
    // softmax over a single key is 1 whatever the scores: zeroing query and key weights changes nothing.
    const own = decoder.ownVariables();
    const saved = new Map<string, tf.Tensor>();
    for (const n of ['query', 'key']) {
      const v = variable(own, `bert.encoder.layer.0.crossattention.self.${n}.weight`);
      saved.set(n, v.clone());
      v.assign(tf.zerosLike(v));
    }
    const zeroed = decoder.logits(ids, s1);
    expect(maxAbs(base.dataSync(), zeroed.dataSync())).toBeLessThan(1e-5);
    for (const n of ['query', 'key'])
      variable(own, `bert.encoder.layer.0.crossattention.self.${n}.weight`).assign(saved.get(n)!);
    // A second, masked-out encoder state is ignored.
    const h = encoder.bert.config.hidden_size;
    const padded = tf.tidy(() =>
      decoder.bert.forward(
        { inputIds: tf.tensor2d(ids, undefined, 'int32'), attentionMask: tf.onesLike(tf.tensor2d(ids)) },
        {
          encoderHiddenStates: tf.stack([s1, s2], 1).reshape([1, 2, h]) as tf.Tensor3D,
          encoderAttentionMask: tf.tensor2d([[1, 0]]),
        },
      ),
    );
    const single = tf.tidy(() =>
      decoder.bert.forward(
        { inputIds: tf.tensor2d(ids, undefined, 'int32'), attentionMask: tf.onesLike(tf.tensor2d(ids)) },
        { encoderHiddenStates: s1.reshape([1, 1, h]) as tf.Tensor3D },
      ),
    );
    expect(maxAbs(padded.dataSync(), single.dataSync())).toBeLessThan(1e-5);
    tf.dispose([base, other, zeroed, padded, single, s1, s2, ...saved.values()]);
  });

  it('reconstructionLoss is the mean cross entropy of tokens 1..L−1 given tokens 0..L−2 (padding ignored)', () => {
    const s = sentences(2, 3);
    const loss = decoder.reconstructionLoss(s, texts).dataSync()[0]!;
    // By hand from the full logits: row r's decoder input is its ids without the last, targets shifted by one.
    let sum = 0;
    let count = 0;
    texts.forEach((t, r) => {
      const ids = encoder.tokenizer.encodeIds(t, encoder.maxSeqLength);
      const row = tf.slice(s, [r, 0], [1, -1]) as tf.Tensor2D;
      const logits = decoder.logits([ids.slice(0, -1)], row);
      const logp = tf.logSoftmax(logits).dataSync();
      const v = logits.shape[2];
      for (let j = 0; j + 1 < ids.length; j++) {
        sum -= logp[j * v + ids[j + 1]!]!;
        count++;
      }
      tf.dispose([row, logits]);
    });
    expect(loss).toBeCloseTo(sum / count, 4);
    // A fresh decoder predicts near uniformly: ln(vocab) ≈ 10.3.
    expect(Math.abs(loss - Math.log(encoder.bert.config.vocab_size))).toBeLessThan(1);
    s.dispose();
  });

  it('gradients match central finite differences (relative error < 1e-2), tied weights included', () => {
    const s = tf.variable(sentences(2, 4));
    const tracked: NamedVariable[] = [...decoder.namedVariables(), { name: 'sentence', variable: s }];
    const f = () => decoder.reconstructionLoss(s, texts);
    const { value, grads } = tf.variableGrads(
      f,
      tracked.map((v) => v.variable),
    );
    value.dispose();
    const lossAt = () => tf.tidy(() => f().dataSync()[0]!);
    /** Central difference of the loss with `v` moved by ±eps·direction. */
    const central = (v: tf.Variable, direction: Float32Array, eps: number) => {
      const original = v.dataSync().slice() as Float32Array;
      const at = (sign: number) => {
        v.assign(
          tf.tensor(
            original.map((x, i) => x + sign * eps * direction[i]!),
            v.shape,
          ),
        );
        return lossAt();
      };
      const d = (at(1) - at(-1)) / (2 * eps);
      v.assign(tf.tensor(original, v.shape));
      return d;
    };
    // float32 losses near 10 resolve ~1e-6, so each check moves the loss well above that: along the gradient's
    // own direction (the derivative there is |g|, the largest of any direction), and entry by entry where the
    // gradient entry is large.
    const checks: Array<[string, number]> = [
      ['sentence', 0.5],
      ['bert.encoder.layer.1.crossattention.self.value.weight', 1e-2],
      ['bert.encoder.layer.0.crossattention.output.dense.bias', 1e-2],
      ['bert.encoder.layer.0.attention.self.value.weight', 1e-2],
      ['bert.encoder.layer.1.intermediate.dense.weight', 1e-2],
      [`bert.${WORDS}`, 1e-2],
      ['cls.predictions.transform.dense.weight', 1e-2],
      ['cls.predictions.bias', 1e-2],
    ];
    for (const [name, eps] of checks) {
      const v = variable(tracked, name);
      const gt = grads[v.name];
      if (!gt) throw new Error(`no gradient for ${name}`);
      const g = gt.dataSync() as Float32Array;
      const norm = Math.sqrt(g.reduce((a, x) => a + x * x, 0));
      const along = central(
        v,
        g.map((x) => x / norm),
        eps,
      );
      if (process.env.SHOW_FD) console.log(name, 'directional', norm, along);
      expect(Math.abs(along - norm) / norm, `${name} along its gradient`).toBeLessThan(1e-2);
      const order = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]!) - Math.abs(g[a]!));
      for (const i of order.slice(0, 2)) {
        if (Math.abs(g[i]!) < 1e-2) continue; // below what one float32 entry can resolve
        const unit = new Float32Array(g.length);
        unit[i] = 1;
        const fd = central(v, unit, 1e-2);
        if (process.env.SHOW_FD) console.log(name, i, g[i], fd);
        expect(Math.abs(fd - g[i]!) / Math.abs(g[i]!), `${name}[${i}]`).toBeLessThan(1e-2);
      }
    }
    tf.dispose(Object.values(grads));
    s.dispose();
  });

  it("the tied weights' gradient is the sum of the encoder's use and the decoder's", () => {
    const untied = encoder.createDecoder({ tieEncoderDecoder: false });
    try {
      const run = (d: BertLMHeadModel, vars: NamedVariable[]) => {
        const { value, grads } = tf.variableGrads(
          () => d.reconstructionLoss(encoder.embedTensor(texts), texts),
          vars.map((v) => v.variable),
        );
        const out = new Map(vars.map((v) => [v.name, grads[v.variable.name]!] as const));
        return { loss: value.dataSync()[0]!, grads: out };
      };
      const encVars = encoder.namedVariables().filter((v) => !v.name.startsWith('pooler.'));
      const tied = run(decoder, [...encVars, ...decoder.ownVariables()]);
      const split = run(untied, [...encVars, ...untied.ownVariables()]);
      // Same values (the untied decoder is a copy, its new weights drawn from the same seed): same loss.
      expect(split.loss).toBeCloseTo(tied.loss, 5);
      for (const name of [
        WORDS,
        'encoder.layer.0.attention.self.value.weight',
        'encoder.layer.1.output.dense.bias',
      ]) {
        const sum = tf.add(split.grads.get(name)!, split.grads.get(`bert.${name}`)!);
        const want = sum.dataSync();
        const got = tied.grads.get(name)!.dataSync();
        const scale = (want as Float32Array).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
        expect(maxAbs(got, want) / scale, name).toBeLessThan(1e-4);
        // Both uses contribute: neither alone is the total.
        expect(maxAbs(got, split.grads.get(name)!.dataSync()) / scale).toBeGreaterThan(1e-3);
        sum.dispose();
      }
      tf.dispose([...tied.grads.values(), ...split.grads.values()]);
    } finally {
      untied.dispose();
    }
  });

  it("starts its LM head from the encoder folder's cls.predictions when there is one (a BertForMaskedLM)", async () => {
    expect(decoder.headSource).toBe('random');
    const mlm = await SentenceEncoder.load(sharedPath('fixtures', 'tiny-mlm'));
    const d = mlm.createDecoder();
    expect(d.headSource).toBe('checkpoint');
    d.dispose();
    mlm.dispose();
  });

  it('a decoder checkpoint (is_decoder) is refused as a sentence encoder, naming the file', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'decoder-config-'));
    try {
      const src = sharedPath('fixtures', 'tiny-bert');
      for (const f of readdirSync(src))
        if (!statSync(join(src, f)).isDirectory()) copyFileSync(join(src, f), join(tmp, f));
      cpSync(join(src, '1_Pooling'), join(tmp, '1_Pooling'), { recursive: true });
      const config = JSON.parse(readFileSync(join(tmp, 'config.json'), 'utf8'));
      writeFileSync(join(tmp, 'config.json'), JSON.stringify({ ...config, is_decoder: true }));
      await expect(SentenceEncoder.load(tmp)).rejects.toThrow(/config\.json: is_decoder is true/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('disposing a tied decoder leaves the encoder usable and frees only its own tensors', () => {
    const before = tf.memory().numTensors;
    const d = encoder.createDecoder();
    d.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const e = encoder.embedTensor(['still here']);
    expect(e.shape).toEqual([1, 32]);
    e.dispose();
  });
});
