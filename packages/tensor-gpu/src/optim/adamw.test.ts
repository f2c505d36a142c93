import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { tf } from '../tf.js';
import { AdamW, defaultNoDecay, paramGroups, setFusedAdamW } from './adamw.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

/** torch.optim.AdamW written out for one scalar parameter. */
function torchAdamW(
  p0: number,
  grads: number[],
  lr: number,
  wd: number,
  b1 = 0.9,
  b2 = 0.999,
  eps = 1e-8,
): number {
  let p = p0;
  let m = 0;
  let v = 0;
  grads.forEach((g, i) => {
    const t = i + 1;
    p *= 1 - lr * wd;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const denom = Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps;
    p -= (lr / (1 - b1 ** t)) * (m / denom);
  });
  return p;
}

describe('AdamW', () => {
  it('matches torch.optim.AdamW step by step, with decay only where the groups say', () => {
    const w = tf.variable(tf.tensor1d([0.5, -1.5]), true, 'w');
    const bias = tf.variable(tf.tensor1d([2]), true, 'b');
    const opt = new AdamW(
      [
        { name: 'layer.dense.weight', variable: w },
        { name: 'layer.dense.bias', variable: bias },
      ],
      { lr: 0.1, weightDecay: 0.3 },
    );
    const gw = [
      [0.3, -1],
      [0.1, 2],
      [-0.5, 0.25],
    ];
    const gb = [1, -1, 0.5];
    for (let i = 0; i < 3; i++) {
      tf.tidy(() =>
        opt.applyGradients({
          'layer.dense.weight': tf.tensor1d(gw[i]!),
          'layer.dense.bias': tf.tensor1d([gb[i]!]),
        }),
      );
    }
    const got = w.dataSync();
    expect(got[0]).toBeCloseTo(
      torchAdamW(
        0.5,
        gw.map((g) => g[0]!),
        0.1,
        0.3,
      ),
      6,
    );
    expect(got[1]).toBeCloseTo(
      torchAdamW(
        -1.5,
        gw.map((g) => g[1]!),
        0.1,
        0.3,
      ),
      6,
    );
    expect(bias.dataSync()[0]).toBeCloseTo(torchAdamW(2, gb, 0.1, 0), 6);
    expect(opt.step).toBe(3);
  });

  it.each([true, false])(
    'disposeGradients (fused kernel %s): the same weights, every gradient released, no tensor left',
    (fused) => {
      setFusedAdamW(fused);
      try {
        const run = (dispose: boolean) => {
          const w = tf.variable(tf.tensor2d([0.5, -1.5, 2, 0.25], [2, 2]));
          const b = tf.variable(tf.tensor1d([2, -3]));
          const opt = new AdamW(
            [
              { name: 'dense.weight', variable: w },
              { name: 'dense.bias', variable: b },
            ],
            { lr: 0.1, weightDecay: 0.3 },
          );
          const before = tf.memory().numTensors;
          const released: boolean[] = [];
          for (let i = 1; i <= 3; i++) {
            const grads = new Map<string, tf.Tensor>([
              ['dense.weight', tf.tensor2d([0.3 * i, -1, 0.1, 2 / i], [2, 2])],
              ['dense.bias', tf.tensor1d([i, -0.5])],
              ['not.a.parameter', tf.tensor1d([1])],
            ]);
            opt.applyGradients(grads, { disposeGradients: dispose });
            released.push(...[...grads.values()].map((g) => g.isDisposed));
            if (!dispose) for (const g of grads.values()) g.dispose();
          }
          // The moments are the optimizer's (two per parameter on the composite path, none on the heap path).
          const moments = tf.memory().numTensors - before;
          const out = { w: Array.from(w.dataSync()), b: Array.from(b.dataSync()), released, moments };
          opt.dispose();
          tf.dispose([w, b]);
          return out;
        };
        const kept = run(false);
        const given = run(true);
        expect(given.w).toEqual(kept.w);
        expect(given.b).toEqual(kept.b);
        expect(kept.released.every((d) => !d)).toBe(true);
        expect(given.released).toEqual(Array(9).fill(true));
        expect(given.moments).toBe(kept.moments);
      } finally {
        setFusedAdamW(true);
      }
    },
  );

  it('exports and reloads its state so a resumed run continues identically', async () => {
    const mk = () => tf.variable(tf.tensor1d([1, 2, 3]));
    const a = mk();
    const b = mk();
    const optA = new AdamW([{ name: 'p', variable: a }], { lr: 0.05, weightDecay: 0.1 });
    const g = (i: number) => tf.tensor1d([i, -i, 0.5 * i]);
    for (let i = 1; i <= 2; i++) tf.tidy(() => optA.applyGradients({ p: g(i) }));
    const state = await optA.exportState();
    b.assign(a);
    const optB = new AdamW([{ name: 'p', variable: b }], { lr: 0.05, weightDecay: 0.1 });
    optB.loadState(state);
    tf.tidy(() => optA.applyGradients({ p: g(3) }));
    tf.tidy(() => optB.applyGradients({ p: g(3) }));
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(() => optB.loadState({ step: 1, m: { q: new Float32Array(3) }, v: {} })).toThrow(
      /unknown parameter "q"/,
    );
  });

  it('groups: no decay on biases and LayerNorm weights', () => {
    expect(defaultNoDecay('encoder.layer.0.output.LayerNorm.weight')).toBe(true);
    expect(defaultNoDecay('embeddings.LayerNorm.gamma')).toBe(true);
    expect(defaultNoDecay('encoder.layer.0.attention.self.query.bias')).toBe(true);
    expect(defaultNoDecay('encoder.layer.0.attention.self.query.weight')).toBe(false);
    const v = tf.variable(tf.zeros([1]));
    const groups = paramGroups(
      [
        { name: 'x.weight', variable: v },
        { name: 'x.bias', variable: v },
      ],
      0.01,
    );
    expect(groups.map((gr) => [gr.weightDecay, gr.params.map((p) => p.name)])).toEqual([
      [0.01, ['x.weight']],
      [0, ['x.bias']],
    ]);
  });
});
