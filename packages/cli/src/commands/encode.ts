import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { initBackend } from '@contrastive/tensor-gpu';
import { createProgress } from '@contrastive/trainer';
import type { Command } from 'commander';
import { type Engine, loadEncoder, parseEngine } from '../engine.js';
import { parsePositiveInt } from '../options.js';

/** Reads `.txt` (one text a line) or `.jsonl` (`{"text": ...}` a line); an empty text is an error naming its line. */
export function readTexts(path: string): string[] {
  if (!existsSync(path)) throw new Error(`${path}: input file not found`);
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read input (${(e as Error).message})`);
  }
  const lines = raw.replace(/^\uFEFF/, '').split(/\r?\n/);
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
    .option('--normalize', 'L2-normalize the embeddings')
    .option('--prompt <text>', 'text prepended to every input (e.g. "query: ")')
    .option('--prompt-name <name>', "a prompt from the model's config_sentence_transformers.json")
    .option(
      '--engine <name>',
      'auto (onnxruntime-node when it can run the model, else tfjs) | onnx | tfjs',
      parseEngine,
      'auto',
    )
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
        engine: Engine;
      }) => {
        const texts = readTexts(opts.input);
        if (texts.length === 0) throw new Error(`${opts.input}: no texts`);
        const backend = await initBackend();
        process.stderr.write(`${backend.summary}\n`);
        const { model, runner, release } = await loadEncoder(opts.model, opts.engine, {
          maxSeqLength: opts.maxSeqLength,
        });
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
        await new Promise<void>((resolve, reject) => {
          const out = createWriteStream(opts.output);
          out.on('error', (e) => reject(new Error(`${opts.output}: cannot write output (${e.message})`)));
          for (const e of embeddings) out.write(`${JSON.stringify({ embedding: Array.from(e) })}\n`);
          out.end(resolve);
        });
        process.stdout.write(
          `${JSON.stringify({ output: opts.output, count: embeddings.length, dimension: model.dimension })}\n`,
        );
      },
    );
}
