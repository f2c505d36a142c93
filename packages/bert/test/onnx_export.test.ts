import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import {
  DenseModule,
  SentenceEncoder,
  SentenceTokenizer,
  parseBertConfig,
  randomDense,
} from '../src/index.js';
import { decodeModel, exportOnnx, loadOnnxRuntime } from '../src/onnx/index.js';
import { toInt64 } from '../src/onnx/internal/int64.js';

const fixture = sharedPath('fixtures', 'tiny-bert');
const ref = JSON.parse(readFileSync(join(fixture, 'reference.json'), 'utf8')) as { texts: string[] };
const TEXTS = [
  ...ref.texts,
  'A man is playing a guitar on stage.',
  'A woman slices an onion in the kitchen.',
  'The stock market fell sharply on Monday.',
  'Children are playing football in the park.',
  'A dog runs across the snowy field.',
  'Interest rates were raised by the central bank.',
  'Someone is cooking pasta for dinner.',
  'The band performed their new song live.',
  'Two kids kick a ball on the grass.',
  'Heavy rain is expected over the weekend.',
];

/**
 * A Python with the onnx package, for the official checker (Debian's python3-onnx is onnx 1.12 under
 * /usr/bin/python3, which a pyenv `python3` does not see; ONNX_PYTHON names another). None → the test skips.
 */
const python = [process.env.ONNX_PYTHON, 'python3', '/usr/bin/python3']
  .filter((p): p is string => !!p)
  .map((p) => ({ p, r: spawnSync(p, ['-c', 'import onnx; print(onnx.__version__)'], { encoding: 'utf8' }) }))
  .find(({ r }) => r.status === 0);
const onnxVersion = python?.r.stdout.trim();

function ranks(values: number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

function spearman(a: number[], b: number[]): number {
  const [ra, rb] = [ranks(a), ranks(b)];
  const mean = (ra.length - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  ra.forEach((x, i) => {
    num += (x - mean) * (rb[i]! - mean);
    da += (x - mean) ** 2;
    db += (rb[i]! - mean) ** 2;
  });
  return num / Math.sqrt(da * db);
}

function pairwiseCosines(vectors: ArrayLike<number>[]): number[] {
  const out: number[] = [];
  const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));
  for (let i = 0; i < vectors.length; i++)
    for (let j = i + 1; j < vectors.length; j++) {
      let dot = 0;
      for (let k = 0; k < vectors[i]!.length; k++) dot += vectors[i]![k]! * vectors[j]![k]!;
      out.push(dot / (norm(vectors[i]!) * norm(vectors[j]!)));
    }
  return out;
}

let encoder: SentenceEncoder;
let dir: string;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  const tokenizer = SentenceTokenizer.fromDir(fixture);
  const config = parseBertConfig({
    vocab_size: tokenizer.vocabSize,
    hidden_size: 64,
    num_attention_heads: 4,
    intermediate_size: 128,
    num_hidden_layers: 2,
    max_position_embeddings: 64,
  });
  encoder = SentenceEncoder.random({ config, tokenizer, seed: 11, maxSeqLength: 32 });
  encoder.addModule(new DenseModule(randomDense(64, 16, 'tanh', 12)));
  encoder.normalizeOutput = true;
  dir = tempDir('bert-export-');
  await encoder.save(dir, { onnx: { sentenceEmbedding: true, quantize: 'int8' } });
});
afterAll(() => encoder.dispose());

async function run(file: string, texts: string[]) {
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(readFileSync(file), { intraOpNumThreads: 1 });
  const batch = encoder.tokenizer.encodeBatch(texts, encoder.maxSeqLength);
  const dims = [batch.batchSize, batch.length];
  const int64 = (a: Int32Array) => new ort.Tensor('int64', toInt64(a), dims);
  const out = await session.run({
    input_ids: int64(batch.inputIds),
    attention_mask: int64(batch.attentionMask),
    token_type_ids: int64(batch.tokenTypeIds),
  });
  await session.release();
  const sentence = out.sentence_embedding!;
  const d = sentence.dims[1]!;
  const data = sentence.data as Float32Array;
  return {
    hidden: out.last_hidden_state!,
    embeddings: texts.map((_, i) => data.slice(i * d, (i + 1) * d)),
  };
}

describe('exportOnnx with sentence_embedding and int8', () => {
  it('writes last_hidden_state and the head modules as sentence_embedding, equal to encode', async () => {
    const model = decodeModel(readFileSync(join(dir, 'onnx', 'model.onnx')));
    expect(model.graph.input.map((i) => i.name)).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(model.graph.output.map((o) => o.name)).toEqual(['last_hidden_state', 'sentence_embedding']);
    expect(model.ir_version).toBe(8);
    expect(model.opset_import.map((o) => [o.domain ?? '', o.version])).toEqual([['', 17]]);
    const ours = await encoder.encode(TEXTS, { engine: 'tfjs' });
    const { hidden, embeddings } = await run(join(dir, 'onnx', 'model.onnx'), TEXTS);
    expect(hidden.dims[2]).toBe(64);
    expect(embeddings[0]!.length).toBe(16);
    let worst = 0;
    embeddings.forEach((v, i) =>
      v.forEach((x, j) => {
        worst = Math.max(worst, Math.abs(x - ours[i]![j]!));
      }),
    );
    expect(worst).toBeLessThan(1e-4);
  });

  it('quantizes every linear layer to int8 (MatMulInteger) with pairwise-similarity Spearman ≥ 0.99', async () => {
    const file = join(dir, 'onnx', 'model_int8.onnx');
    const model = decodeModel(readFileSync(file));
    const ops = model.graph.node.map((n) => n.op_type);
    // 2 layers × (Q, K, V, attention output, intermediate, output) + the Dense module: 13 weight MatMuls.
    expect(ops.filter((o) => o === 'MatMulInteger')).toHaveLength(13);
    expect(ops.filter((o) => o === 'DynamicQuantizeLinear')).toHaveLength(13);
    // Int8 weights, a quarter of the float file's linear weights.
    expect(model.graph.initializer.filter((t) => t.data_type === 3)).toHaveLength(13);
    const float = (await run(join(dir, 'onnx', 'model.onnx'), TEXTS)).embeddings;
    const int8 = (await run(file, TEXTS)).embeddings;
    const rho = spearman(pairwiseCosines(float), pairwiseCosines(int8));
    expect(rho).toBeGreaterThanOrEqual(0.99);
    expect(rho).toBeLessThan(1); // it did change the numbers
  });

  it('refuses sentence_embedding when a module has no ONNX form', async () => {
    const e = SentenceEncoder.random({
      config: encoder.bert.config,
      tokenizer: encoder.tokenizer,
      pooling: 'lasttoken',
      seed: 1,
    });
    await expect(exportOnnx(e, tempDir('bert-export-'), { sentenceEmbedding: true })).rejects.toThrow(
      /Pooling \(lasttoken\).*has no ONNX form/,
    );
    e.dispose();
  });

  it.skipIf(onnxVersion === undefined)(
    `passes the official ONNX checker with full_check (python onnx ${onnxVersion ?? 'missing: apt-get install python3-onnx, or set ONNX_PYTHON'})`,
    () => {
      for (const name of ['model.onnx', 'model_int8.onnx']) {
        const file = join(dir, 'onnx', name);
        const r = spawnSync(
          python!.p,
          [
            '-c',
            'import sys, onnx; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print(m.ir_version, [(o.domain, o.version) for o in m.opset_import])',
            file,
          ],
          { encoding: 'utf8' },
        );
        expect(r.stderr, name).toBe('');
        expect(r.status, name).toBe(0);
        expect(r.stdout.trim()).toBe("8 [('', 17)]");
      }
    },
  );
});
