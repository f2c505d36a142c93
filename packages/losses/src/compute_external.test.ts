import { DenseModule, OnnxTrainingEngine, SentenceEncoder, randomDense } from '@contrastive/bert';
import { globalNorm, initBackend, tf } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import { computeLossAndGradients, computeLossAndGradientsExternal } from './compute.js';
import { GISTEmbedLoss } from './losses/gist.js';
import { MatryoshkaLoss } from './losses/matryoshka.js';
import { MultipleNegativesRankingLoss } from './losses/mnrl.js';
import { SoftmaxLoss } from './losses/softmax.js';
import type {
  EmbeddingModel,
  ExternalTrainingStep,
  Loss,
  LossBatch,
  LossContext,
  PairScoringModel,
} from './types.js';

const fixture = sharedPath('fixtures', 'tiny-bert');
const engines: OnnxTrainingEngine[] = [];

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});
afterAll(async () => {
  for (const e of engines) await e.release();
});

const premises = ['A man is playing a guitar.', 'Two dogs run in the snow', 'A woman reads.', 'Kids play'];
const hypotheses = [
  'Someone makes music.',
  'Animals are outside.',
  'A person is reading a book.',
  'Children',
];
const negatives = ['A man sleeps.', 'Cats sit indoors.', 'Nobody reads.', 'The kids are asleep at home'];

/** `f` on a new training step of `engine`, disposed after it (passed or failed). */
async function inStep<T>(
  engine: OnnxTrainingEngine,
  f: (step: ReturnType<OnnxTrainingEngine['beginStep']>) => Promise<T>,
): Promise<T> {
  const step = engine.beginStep();
  try {
    return await f(step);
  } finally {
    step.dispose();
  }
}

/** Every gradient of the tfjs tape and of the onnxruntime engine agree (relative to each gradient's scale). */
async function expectSameGradients(encoder: SentenceEncoder, loss: Loss, batch: LossBatch, ctx: LossContext) {
  const engine = await OnnxTrainingEngine.create(encoder, { threads: 1 });
  engines.push(engine);
  const want = computeLossAndGradients(loss, encoder, batch, ctx);
  let before = 0;
  const got = await inStep(engine, (step) => {
    before = tf.memory().numTensors;
    return computeLossAndGradientsExternal(loss, encoder, step, batch, ctx);
  });
  // Only the returned gradients outlive the call.
  expect(tf.memory().numTensors - before).toBe(got.grads.size);
  expect(Math.abs(got.loss - want.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want.loss)));
  expectCloseGradients(got.grads, want.grads);
  expectSameNorm(got.grads, want.grads);
  tf.dispose([...want.grads.values(), ...got.grads.values()]);
  return got.loss;
}

/** The same parameters, each gradient within 1e-4 of `want`'s, relative to its scale (floor 1e-3). */
function expectCloseGradients(got: Map<string, tf.Tensor>, want: Map<string, tf.Tensor>): void {
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [name, w] of want) {
    const a = got.get(name)!.dataSync();
    const b = w.dataSync();
    let scale = 1e-3;
    for (const v of b) scale = Math.max(scale, Math.abs(v));
    let diff = 0;
    b.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(v - a[i]!));
    });
    expect(diff / scale, name).toBeLessThan(1e-4);
  }
}

/**
 * The engine's word-embedding gradient carries its nonzero rows (clipping's norm reads only those): the global
 * norm still equals that of gradients read whole.
 */
function expectSameNorm(got: Map<string, tf.Tensor>, want: Map<string, tf.Tensor>): void {
  const reference = globalNorm(want.values());
  expect(reference).toBeGreaterThan(0);
  expect(Math.abs(globalNorm(got.values()) - reference)).toBeLessThan(1e-4 * reference);
}

describe('computeLossAndGradientsExternal (loss on tfjs, model on onnxruntime)', () => {
  it('MNRL with hard negatives: the same loss and gradients as the tfjs tape', async () => {
    const encoder = await SentenceEncoder.load(fixture);
    const batch: LossBatch = {
      columnNames: ['anchor', 'positive', 'negative'],
      columns: { anchor: premises, positive: hypotheses, negative: negatives },
      size: 4,
    };
    await expectSameGradients(encoder, new MultipleNegativesRankingLoss(), batch, { training: false });
  });

  it('on a backend without a wasm heap (tfjs cpu): the embedding tables’ gradients come from host arrays, the same as the tape’s', async () => {
    await initBackend({ backend: 'cpu' });
    try {
      const encoder = await SentenceEncoder.load(fixture);
      const batch: LossBatch = {
        columnNames: ['anchor', 'positive'],
        columns: { anchor: premises, positive: hypotheses },
        size: 4,
      };
      await expectSameGradients(encoder, new MultipleNegativesRankingLoss(), batch, { training: false });
    } finally {
      await initBackend({ backend: 'wasm' });
    }
  });

  it.each([
    ['mean pooling', 'mean', false, false, 4],
    ['cls pooling + Normalize', 'cls', true, false, 4],
    ['mean_sqrt_len + a prompt left out of the pooling', 'mean_sqrt_len', false, true, 4],
    // Rows of varied lengths in two attention groups per column: the pooling maps each group back to its rows.
    ['mean pooling, 16 rows in attention groups', 'mean', false, false, 16],
  ] as const)(
    'MNRL as one fused step inside onnxruntime (%s): the general path’s loss and gradients, dropout on',
    async (_, mode, normalize, prompt, rows) => {
      const encoder = await SentenceEncoder.load(fixture);
      encoder.pooling = { ...encoder.pooling, modes: [mode], includePrompt: !prompt };
      encoder.normalizeOutput = normalize;
      const engine = await OnnxTrainingEngine.create(encoder, { threads: 1 });
      engines.push(engine);
      // Row i: the i mod 4-th text, lengthened by (i·3 mod 7) words.
      const column = (texts: string[]) =>
        Array.from({ length: rows }, (_, i) => `${texts[i % 4]} ${'more '.repeat((i * 3) % 7)}`.trim());
      const batch: LossBatch = {
        columnNames: ['anchor', 'positive', 'negative'],
        columns: { anchor: column(premises), positive: column(hypotheses), negative: column(negatives) },
        size: rows,
      };
      const ctx: LossContext = {
        training: true,
        seed: 5,
        dropoutRate: 0.2,
        ...(prompt ? { prompts: ['query: ', undefined, undefined] } : {}),
      };
      const loss = new MultipleNegativesRankingLoss({ scale: 15 });
      const run = (fused: boolean) =>
        inStep(engine, async (step) => {
          let calls = 0;
          // The general path: the same step without its fused form.
          const s: ExternalTrainingStep = fused
            ? Object.assign(Object.create(step), {
                trainFused: async (...a: Parameters<NonNullable<ExternalTrainingStep['trainFused']>>) => {
                  const v = await step.trainFused(...a);
                  if (v !== undefined) calls++;
                  return v;
                },
              })
            : Object.assign(Object.create(step), { trainFused: undefined });
          const r = await computeLossAndGradientsExternal(loss, encoder, s, batch, ctx);
          return { ...r, calls };
        });
      const fused = await run(true);
      const general = await run(false);
      expect(fused.calls).toBe(1);
      expect(Math.abs(fused.loss - general.loss)).toBeLessThan(1e-5 * Math.max(1, general.loss));
      expectCloseGradients(fused.grads, general.grads);
      expectSameNorm(fused.grads, general.grads);
      tf.dispose([...fused.grads.values(), ...general.grads.values()]);
      // Options the fused form lacks take the general path.
      expect(new MultipleNegativesRankingLoss({ maskFalseNegatives: true }).fusedForm()).toBeUndefined();
      expect(new MultipleNegativesRankingLoss({ similarity: 'dot' }).fusedForm()).toBeUndefined();
    },
  );

  it('two fused steps at once (the second’s dropout masks in arrays of its own) give what they give in turn', async () => {
    const encoder = await SentenceEncoder.load(fixture);
    const engine = await OnnxTrainingEngine.create(encoder, { threads: 1 });
    engines.push(engine);
    const batch: LossBatch = {
      columnNames: ['anchor', 'positive'],
      columns: { anchor: premises, positive: hypotheses },
      size: 4,
    };
    const loss = new MultipleNegativesRankingLoss();
    const step = (seed: number) =>
      inStep(engine, (s) =>
        computeLossAndGradientsExternal(loss, encoder, s, batch, { training: true, seed, dropoutRate: 0.3 }),
      );
    const together = await Promise.all([step(1), step(2)]);
    const inTurn = [await step(1), await step(2)];
    // Different seeds: different masks, so a mask drawn over the other step's would show.
    expect(Math.abs(together[0]!.loss - together[1]!.loss)).toBeGreaterThan(1e-4);
    together.forEach((r, i) => {
      expect(r.loss).toBe(inTurn[i]!.loss);
      expectCloseGradients(r.grads, inTurn[i]!.grads);
    });
    tf.dispose([...together, ...inTurn].flatMap((r) => [...r.grads.values()]));
  });

  it('SoftmaxLoss: the classifier (a loss parameter) and the model get their gradients', async () => {
    const encoder = await SentenceEncoder.load(fixture);
    const batch: LossBatch = {
      columnNames: ['premise', 'hypothesis'],
      columns: { premise: premises, hypothesis: hypotheses },
      labels: [0, 1, 2, 1],
      size: 4,
    };
    await expectSameGradients(encoder, new SoftmaxLoss({ numLabels: 3 }), batch, { training: false });
  });

  it('a Dense layer, Normalize and a prompt left out of the pooling (Matryoshka over MNRL)', async () => {
    const encoder = await SentenceEncoder.load(fixture);
    encoder.addModule(new DenseModule(randomDense(encoder.bert.config.hidden_size, 16, 'tanh', 3)));
    encoder.normalizeOutput = true;
    encoder.pooling = { ...encoder.pooling, includePrompt: false };
    encoder.stConfig.prompts = { query: 'query: ' };
    const batch: LossBatch = {
      columnNames: ['anchor', 'positive'],
      columns: { anchor: premises, positive: hypotheses },
      size: 4,
    };
    await expectSameGradients(
      encoder,
      new MatryoshkaLoss(new MultipleNegativesRankingLoss(), { dims: [16, 8] }),
      batch,
      { training: false },
    );
    // A prompt given to embedTensor is tokenized with the text and left out of the pooling.
    const prompted: Loss = {
      name: 'Prompted',
      columns: { minInputs: 2, label: 'none', description: '(query, document)' },
      forward: (model, b) =>
        tf.tidy(() =>
          tf.sum(
            tf.mul(
              model.embedTensor(b.columns.anchor!, { prompt: 'query: ' }),
              tf.square(model.embedTensor(b.columns.positive!)),
            ),
          ),
        ) as tf.Scalar,
    };
    await expectSameGradients(encoder, prompted, batch, { training: false });
  });

  it('GIST: the guide model runs on tfjs, the trained model on onnxruntime', async () => {
    const encoder = await SentenceEncoder.load(fixture);
    const guide = await SentenceEncoder.load(fixture);
    const batch: LossBatch = {
      columnNames: ['anchor', 'positive'],
      columns: { anchor: premises, positive: hypotheses },
      size: 4,
    };
    await expectSameGradients(encoder, new GISTEmbedLoss({ guide }), batch, { training: false });
  });

  it('rejects a loss without forward() and one that embeds different texts on its second pass', async () => {
    const encoder = await SentenceEncoder.load(fixture);
    const step: ExternalTrainingStep = (
      await OnnxTrainingEngine.create(encoder, { threads: 1 }).then((e) => {
        engines.push(e);
        return e;
      })
    ).beginStep();
    const batch: LossBatch = { columnNames: ['a', 'b'], columns: { a: ['x'], b: ['y'] }, size: 1 };
    const noForward: Loss = {
      name: 'NoForward',
      columns: { minInputs: 1, label: 'none', description: '(text)' },
      computeGradients: () => ({ loss: 0, grads: new Map() }),
    };
    await expect(
      computeLossAndGradientsExternal(noForward, encoder, step, batch, { training: true }),
    ).rejects.toThrow(/NoForward has no forward\(\)/);
    let n = 0;
    const fickle: Loss = {
      name: 'Fickle',
      columns: { minInputs: 1, label: 'none', description: '(text)' },
      forward: (model) => tf.sum(model.embedTensor([`text ${n++}`])) as tf.Scalar,
    };
    await expect(
      computeLossAndGradientsExternal(fickle, encoder, step, batch, { training: true }),
    ).rejects.toThrow(/Fickle: forward\(\) embedded different texts/);
    step.dispose();
  });

  it("replays scoreTensor calls: the logits' gradient reaches backward(); other pairs on the second pass are refused", async () => {
    // A step that scores a pair as (length of its first text) − (length of its second): loss = Σ logits, so each
    // call's logits gradient is all ones.
    const backward: Array<[number, number[]]> = [];
    const step: ExternalTrainingStep = {
      dimension: 1,
      embed: () => Promise.reject(new Error('no embed here')),
      score: async (pairs) => tf.tensor2d(pairs.map(([a, b]) => [a.length - b.length])),
      backward: async (i, d) => {
        backward.push([i, [...d.dataSync()]]);
      },
      gradients: () => new Map(),
      dispose: () => {},
    };
    const model = {
      numLabels: 1,
      scoreTensor: () => {
        throw new Error('the model itself is not run');
      },
      embedTensor: () => {
        throw new Error('the model itself is not run');
      },
      namedVariables: () => [],
    };
    const batch: LossBatch = {
      columnNames: ['a', 'b'],
      columns: { a: ['abc', 'x'], b: ['y', 'xyzw'] },
      size: 2,
    };
    const asScorer = (m: EmbeddingModel) => m as EmbeddingModel & PairScoringModel;
    const pairsOf = (b: LossBatch) => b.columns.a!.map((a, i) => [a, b.columns.b![i]!] as [string, string]);
    const summed: Loss = {
      name: 'Summed',
      columns: { minInputs: 2, label: 'none', description: '(a, b)' },
      forward: (m, b) => tf.sum(asScorer(m).scoreTensor(pairsOf(b))) as tf.Scalar,
    };
    const r = await computeLossAndGradientsExternal(summed, model, step, batch, { training: true });
    expect(r.loss).toBe(2 + -3);
    expect(backward).toEqual([[0, [1, 1]]]);
    let n = 0;
    const fickle: Loss = {
      ...summed,
      name: 'FickleScorer',
      forward: (m, b) =>
        tf.sum(asScorer(m).scoreTensor(pairsOf(b).map(([a, c]) => [a, `${c}${n++}`]))) as tf.Scalar,
    };
    await expect(
      computeLossAndGradientsExternal(fickle, model, step, batch, { training: true }),
    ).rejects.toThrow(/FickleScorer: forward\(\) embedded different texts/);
  });
});
