import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUTO_WORKERS_MIN_TEXTS } from '@contrastive/bert';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { maxAbsDiff } from '../../../test-support/compare.js';
import { sharedPath } from '../../../test-support/shared.js';
import { tempDir } from '../../../test-support/temp.js';
import { readJsonl } from '../../../test-support/training_output.js';
import { encodeArgs, workersEngineLine } from './helpers.js';

const model = sharedPath('fixtures', 'tiny-bert');
const ref = JSON.parse(readFileSync(join(model, 'reference.json'), 'utf8')) as {
  texts: string[];
  embeddings: number[][];
};

describe('contrastive encode', () => {
  it('embeds a .txt and a .jsonl file in input order, matching the PyTorch reference', async () => {
    const dir = tempDir('enc-');
    const texts = ref.texts.filter((t) => !t.includes('\n') && t.trim() !== '').slice(0, 6);
    writeFileSync(join(dir, 'in.txt'), `${texts.join('\n')}\n`);
    writeFileSync(join(dir, 'in.jsonl'), texts.map((text) => JSON.stringify({ text })).join('\n'));
    // The onnx sessions: one in-process session for a few texts without --workers; --workers as given.
    const runs = [
      ['in.txt', 'tfjs', [], 0],
      ['in.jsonl', 'onnx', [], 1],
      ['in.txt', 'auto', [], 1],
      ['in.jsonl', 'onnx', ['--workers', '2'], 2],
      ['in.txt', 'onnx', ['--workers', 'auto'], 2],
    ] as const;
    for (const [input, engine, more, workers] of runs) {
      const out = join(dir, `${input}.${engine}.${more.join('')}.out.jsonl`);
      const r = await runCli(
        encodeArgs({ input: join(dir, input), output: out }, [
          '--batch-size',
          '2',
          '--engine',
          engine,
          ...more,
        ]),
      );
      expect(r.stderr).toContain('tfjs backend');
      if (workers > 0) expect(r.stderr).toContain(workersEngineLine(r.stderr, workers));
      expect(r.stderr).toContain(`inference engine: ${engine === 'tfjs' ? 'tfjs' : 'onnxruntime-node'}`);
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout.trim())).toMatchObject({ count: texts.length, dimension: 32 });
      const rows = readJsonl<{ embedding: number[] }>(out).map((row) => row.embedding);
      rows.forEach((e, i) => {
        const j = ref.texts.indexOf(texts[i]!);
        e.forEach((x, k) => expect(Math.abs(x - ref.embeddings[j]![k]!)).toBeLessThan(1e-4));
      });
    }
    // AUTO_WORKERS_MIN_TEXTS lines without --workers: two worker sessions (a small model on 2 threads or more,
    // as the library's encode of that many texts); the same embeddings.
    writeFileSync(
      join(dir, 'many.txt'),
      `${Array.from({ length: AUTO_WORKERS_MIN_TEXTS }, (_, i) => texts[i % texts.length]).join('\n')}\n`,
    );
    const manyOut = join(dir, 'many.jsonl');
    const many = await runCli(
      encodeArgs({ input: join(dir, 'many.txt'), output: manyOut }, ['--engine', 'onnx']),
    );
    expect(many.status, many.stderr).toBe(0);
    expect(many.stderr).toContain(workersEngineLine(many.stderr, 2));
    const manyRows = readJsonl<{ embedding: number[] }>(manyOut).map((row) => row.embedding);
    expect(manyRows).toHaveLength(AUTO_WORKERS_MIN_TEXTS);
    const last = AUTO_WORKERS_MIN_TEXTS - 1;
    const j = ref.texts.indexOf(texts[last % texts.length]!);
    expect(maxAbsDiff([manyRows[last]!], [ref.embeddings[j]!])).toBeLessThan(1e-4);
    // --normalize gives unit vectors
    const out = join(dir, 'norm.jsonl');
    expect(
      (await runCli(encodeArgs({ input: join(dir, 'in.txt'), output: out }, ['--normalize']))).status,
    ).toBe(0);
    const first = readJsonl<{ embedding: number[] }>(out)[0]!.embedding;
    expect(Math.hypot(...first)).toBeCloseTo(1, 5);
  });

  it('fails clearly on a missing model, a missing input and an empty line', async () => {
    const dir = tempDir('enc-');
    writeFileSync(join(dir, 'bad.txt'), 'first\n\nthird\n');
    const noModel = await runCli(
      encodeArgs({ model: join(dir, 'nope'), input: join(dir, 'bad.txt'), output: join(dir, 'o.jsonl') }),
    );
    expect(noModel.status).not.toBe(0);
    const empty = await runCli(encodeArgs({ input: join(dir, 'bad.txt'), output: join(dir, 'o.jsonl') }));
    expect(empty.status).not.toBe(0);
    expect(empty.stderr).toContain(`${join(dir, 'bad.txt')}:2: empty text`);
    const missing = await runCli(encodeArgs({ input: join(dir, 'none.txt'), output: join(dir, 'o.jsonl') }));
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('none.txt: input file not found');
    const noWeights = tempDir('enc-model-');
    writeFileSync(join(noWeights, 'config.json'), readFileSync(join(model, 'config.json')));
    writeFileSync(join(dir, 'ok.txt'), 'hello\n');
    const r = await runCli(
      encodeArgs({ model: noWeights, input: join(dir, 'ok.txt'), output: join(dir, 'o.jsonl') }),
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('model.safetensors: model weights not found');
    const badFlag = await runCli(
      encodeArgs({ input: join(dir, 'ok.txt'), output: join(dir, 'o.jsonl') }, ['--batch-size', '0']),
    );
    expect(badFlag.status).not.toBe(0);
    expect(badFlag.stderr).toContain('--batch-size must be a positive integer');
    const tfjsWorkers = await runCli(
      encodeArgs({ input: join(dir, 'ok.txt'), output: join(dir, 'o.jsonl') }, [
        '--engine',
        'tfjs',
        '--workers',
        '2',
      ]),
    );
    expect(tfjsWorkers.status).toBe(1);
    expect(tfjsWorkers.stderr).toContain(
      '--workers runs onnxruntime sessions in worker threads; it does not apply to --engine tfjs',
    );
  });
});
