import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SentenceEncoder, registerModule } from '@contrastive/bert';
import { createLoss } from '@contrastive/losses';
import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff } from '../../../test-support/compare.js';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { SentenceTransformerTrainer } from '../src/index.js';
import { SoftsignDense, SoftsignDenseType } from './fixtures/softsign_dense.js';

const fixture = sharedPath('fixtures', 'tiny-bert');
const texts = [
  'A man is playing a guitar.',
  'Two dogs run on the beach',
  'a',
  'The cat sleeps all day long.',
];

const maxDiff = maxAbsDiff;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  registerModule(SoftsignDenseType); // the one registration line
});

describe('a head module added in one file plus one registration', () => {
  it('loads, encodes on both backends, trains on both engines and saves', async () => {
    const base = await SentenceEncoder.load(fixture);
    base.addModule(SoftsignDense.random(32, 12, 5));
    const saved = join(tempDir('custom-module-'), 'model');
    await base.save(saved);
    const modules = JSON.parse(readFileSync(join(saved, 'modules.json'), 'utf8')) as Array<{
      path: string;
      type: string;
    }>;
    expect(modules.map((m) => [m.path, m.type])).toEqual([
      ['', 'sentence_transformers.models.Transformer'],
      ['1_Pooling', 'sentence_transformers.models.Pooling'],
      ['2_SoftsignDense', 'my_plugin.SoftsignDense'],
    ]);

    const model = await SentenceEncoder.load(saved);
    expect(model.dimension).toBe(12);
    const tfjs = await model.encode(texts, { engine: 'tfjs' });
    const onnx = await model.encode(texts, { engine: 'onnx' });
    expect(maxDiff(onnx, tfjs)).toBeLessThan(1e-5);
    expect(maxDiff(tfjs, await base.encode(texts, { engine: 'tfjs' }))).toBeLessThan(1e-6);
    // Softsign bounds every component to (−1, 1): the module really ran.
    for (const v of tfjs) for (const x of v) expect(Math.abs(x)).toBeLessThan(1);

    const pairs = {
      columnNames: ['anchor', 'positive'],
      numRows: 8,
      column: (c: string) =>
        Array.from(
          { length: 8 },
          (_, i) => `${c === 'anchor' ? 'question' : 'answer'} number ${i} about ${texts[i % 4]}`,
        ),
    };
    const weightsAfter = async (engine: 'onnx' | 'tfjs') => {
      const m = await SentenceEncoder.load(saved);
      const out = join(tempDir(`custom-train-${engine}-`), 'run');
      await new SentenceTransformerTrainer({
        model: m,
        args: {
          outputDir: out,
          maxSteps: 2,
          perDeviceTrainBatchSize: 4,
          learningRate: 1e-2,
          dropout: 0,
          saveStrategy: 'no',
          progress: false,
          trainEngine: engine,
        },
        trainDataset: pairs,
        loss: createLoss('mnrl'),
      }).train();
      const w = m.namedVariables().find((v) => v.name === '0_SoftsignDense.weight')!;
      const reloaded = await SentenceEncoder.load(out);
      expect(
        maxDiff(await reloaded.encode(texts, { engine: 'tfjs' }), await m.encode(texts, { engine: 'tfjs' })),
      ).toBeLessThan(1e-6);
      return Array.from(await w.variable.data());
    };
    const before = Array.from(
      await model
        .namedVariables()
        .find((v) => v.name === '0_SoftsignDense.weight')!
        .variable.data(),
    );
    const onnxTrained = await weightsAfter('onnx');
    const tfjsTrained = await weightsAfter('tfjs');
    expect(maxDiff([onnxTrained], [before])).toBeGreaterThan(1e-3); // trained
    expect(maxDiff([onnxTrained], [tfjsTrained])).toBeLessThan(1e-4); // the same gradients on both engines
    await model.release();
  });
});
