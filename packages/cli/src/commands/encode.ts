import { existsSync, readFileSync } from 'node:fs';
import { AUTO_WORKERS_MIN_TEXTS, type SentenceEncoder } from '@contrastive/bert';
import { decodeUtf8, withAtomicOutput } from '@contrastive/core';
import { type EngineDevice, initBackend, readFloat32 } from '@contrastive/tensor-gpu';
import { createProgress } from '@contrastive/trainer';
import type { Command } from 'commander';
import { type Engine, deviceOption, loadEncoder, parseEngine, workersOption } from '../engine.js';
import { parsePositiveInt } from '../options.js';

/**
 * Reads `.txt` (one text a line) or `.jsonl` (`{"text": ...}` a line); an empty text or bytes that are not
 * UTF-8 are an error naming the line.
 */
export function readTexts(path: string): string[] {
  if (!existsSync(path)) throw new Error(`${path}: input file not found`);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read input (${(e as Error).message})`);
  }
  // decodeUtf8 drops a byte order mark and names the line of invalid UTF-8.
  const lines = decodeUtf8(bytes, path).split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const jsonl = /\.jsonl?$/i.test(path);
  return lines.map((line, i) => {
    const where = `${path}:${i + 1}`;
    let text: unknown = line;
    if (jsonl) {
      try {
        text = (JSON.parse(line) as { text?: unknown }).text;
      } catch (e) {
        throw new Error(`${where}: not valid JSON (${(e as Error).message})`);
      }
      if (typeof text !== 'string') throw new Error(`${where}: expected {"text": "..."}`);
    }
    if ((text as string).trim() === '') throw new Error(`${where}: empty text`);
    return text as string;
  });
}

/** The first parameter holding NaN or ±Infinity, with how many of its values do; undefined when all are finite. */
export function firstNonFiniteParameter(
  model: Pick<SentenceEncoder, 'namedVariables'>,
): { name: string; count: number } | undefined {
  for (const { name, variable } of model.namedVariables()) {
    if (variable.dtype !== 'float32') continue;
    const values = readFloat32(variable);
    let count = 0;
    for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) count++;
    if (count > 0) return { name, count };
  }
  return undefined;
}

/**
 * Refuses embeddings holding NaN or ±Infinity (JSON would write them as null): names the input line and,
 * when the model's weights are the cause, the first such tensor.
 */
export function checkFiniteEmbeddings(
  embeddings: readonly ArrayLike<number>[],
  input: string,
  model: Pick<SentenceEncoder, 'namedVariables'>,
): void {
  const bad = embeddings.findIndex((e) => {
    for (let i = 0; i < e.length; i++) if (!Number.isFinite(e[i]!)) return true;
    return false;
  });
  if (bad < 0) return;
  const count = embeddings.filter((e) =>
    Array.prototype.some.call(e, (x: number) => !Number.isFinite(x)),
  ).length;
  const parameter = firstNonFiniteParameter(model);
  const cause = parameter
    ? `the model's weights are not finite: tensor "${parameter.name}" holds ${parameter.count} NaN/Infinity value${parameter.count === 1 ? '' : 's'}`
    : 'the model produced NaN/Infinity for this text (its weights are finite)';
  throw new Error(
    `${input}:${bad + 1}: embedding is not finite (${count} of ${embeddings.length} texts affected); ${cause}. Nothing was written`,
  );
}

export function registerEncode(program: Command): void {
  program
    .command('encode')
    .description('Embed texts with a sentence-transformers model; writes one {"embedding": [...]} per line')
    .requiredOption('--model <dir|hub id>', 'model folder or Hugging Face hub id')
    .requiredOption('--input <file>', '.txt (one text a line) or .jsonl ({"text": ...} a line)')
    .requiredOption('--output <file.jsonl>', 'output JSONL file')
    .option('--batch-size <n>', 'batch size', parsePositiveInt('--batch-size'), 32)
    .option(
      '--max-seq-length <n>',
      'truncate inputs to this many tokens',
      parsePositiveInt('--max-seq-length'),
    )
    .option('--normalize', 'L2-normalize the embeddings (after --truncate-dim)')
    .option(
      '--truncate-dim <n>',
      "Matryoshka: keep the first N dimensions (default: the model's saved truncate_dim, else all)",
      parsePositiveInt('--truncate-dim'),
    )
    .option('--prompt <text>', 'text prepended to every input (e.g. "query: ")')
    .option('--prompt-name <name>', "a prompt from the model's config_sentence_transformers.json")
    .option(
      '--engine <name>',
      'auto (onnxruntime-node when it can run the model, else tfjs) | onnx | tfjs',
      parseEngine,
      'auto',
    )
    .addOption(workersOption())
    .addOption(deviceOption())
    .action(
      async (opts: {
        model: string;
        input: string;
        output: string;
        batchSize: number;
        maxSeqLength?: number;
        normalize?: boolean;
        prompt?: string;
        promptName?: string;
        truncateDim?: number;
        engine: Engine;
        workers?: number | 'auto';
        device?: EngineDevice;
      }) => {
        const texts = readTexts(opts.input);
        if (texts.length === 0) throw new Error(`${opts.input}: no texts`);
        const backend = await initBackend();
        process.stderr.write(`${backend.summary}\n`);
        const { model, runner, release } = await loadEncoder(
          opts.model,
          opts.engine,
          { maxSeqLength: opts.maxSeqLength, truncateDim: opts.truncateDim },
          { workers: opts.workers, device: opts.device, bulk: texts.length >= AUTO_WORKERS_MIN_TEXTS },
        );
        const progress = createProgress('encode', texts.length);
        const embeddings = await runner.encode(texts, {
          batchSize: opts.batchSize,
          normalize: opts.normalize,
          prompt: opts.prompt,
          promptName: opts.promptName,
          progress: (done: number) => progress.update(done),
        });
        progress.stop();
        await release();
        checkFiniteEmbeddings(embeddings, opts.input, model);
        // Atomic: a full disk or any write error fails the command naming the file, never a truncated output.
        await withAtomicOutput(opts.output, async (out) => {
          for (const e of embeddings) await out.write(`${JSON.stringify({ embedding: Array.from(e) })}\n`);
        });
        process.stdout.write(
          `${JSON.stringify({ output: opts.output, count: embeddings.length, dimension: model.embeddingDimension })}\n`,
        );
      },
    );
}
