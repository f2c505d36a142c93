import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ExportedOnnx, SentenceEncoder, exportOnnx } from '@contrastive/bert';
import { initBackend } from '@contrastive/tensor-gpu';
import { type Command, InvalidArgumentError } from 'commander';
import { parsePositiveInt } from '../options.js';

export interface ExportCommandOptions {
  model: string;
  format: string;
  /** Folder to write; default the model folder itself (a hub id needs one). */
  output?: string;
  quantize?: 'int8';
  sentenceEmbedding?: boolean;
  maxSeqLength?: number;
}

function parseQuantize(value: string): 'int8' {
  if (value !== 'int8') throw new InvalidArgumentError(`--quantize must be int8, got "${value}"`);
  return value;
}

function parseFormat(value: string): string {
  if (value !== 'onnx') throw new InvalidArgumentError(`--format must be onnx, got "${value}"`);
  return value;
}

/**
 * `contrastive export`: the complete model folder (config, tokenizer files with `model_max_length`, modules,
 * weights) plus `onnx/model.onnx` (and `onnx/model_int8.onnx`), as transformers.js and sentence-transformers'
 * ONNX backend load it. Returns the JSON line it prints.
 */
export async function runExport(opts: ExportCommandOptions): Promise<Record<string, unknown>> {
  if (opts.format !== 'onnx') throw new Error(`export: --format must be onnx, got "${opts.format}"`);
  const local = existsSync(opts.model) && statSync(opts.model).isDirectory();
  if (!opts.output && !local)
    throw new Error(`export: --output is required when --model is not a local folder (${opts.model})`);
  const output = resolve(opts.output ?? opts.model);
  if (existsSync(output) && !statSync(output).isDirectory())
    throw new Error(`${output}: --output must be a folder`);
  const backend = await initBackend();
  process.stderr.write(`${backend.summary}\n`);
  const model = await SentenceEncoder.load(opts.model, { maxSeqLength: opts.maxSeqLength });
  try {
    if (opts.sentenceEmbedding && model.excludesPromptFromPooling)
      process.stderr.write(
        'contrastive: warning: the model leaves prompts out of pooling (include_prompt false); the sentence_embedding output pools every token, so it matches encode only for texts without a prompt\n',
      );
    // The whole folder first (its tokenizer_config carries model_max_length), then the graphs beside it.
    await model.save(output);
    let exported: ExportedOnnx;
    try {
      exported = await exportOnnx(model, output, {
        sentenceEmbedding: opts.sentenceEmbedding,
        quantize: opts.quantize,
      });
    } catch (e) {
      throw new Error(`${join(output, 'onnx')}: export failed (${(e as Error).message})`);
    }
    return {
      output,
      format: 'onnx',
      model: exported.model,
      ...(exported.quantized ? { quantized: exported.quantized } : {}),
      outputs: exported.outputs,
      max_seq_length: model.maxSeqLength,
      dimension: model.dimension,
    };
  } finally {
    model.dispose();
  }
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      "Write a model folder that transformers.js and sentence-transformers' ONNX backend load (onnx/model.onnx)",
    )
    .requiredOption('--model <dir|hub id>', 'model folder or Hugging Face hub id')
    .requiredOption('--format <format>', 'onnx', parseFormat)
    .option('--output <dir>', 'folder to write (default: the model folder itself)')
    .option(
      '--quantize <type>',
      'int8: also write onnx/model_int8.onnx (dynamic int8 quantization)',
      parseQuantize,
    )
    .option(
      '--sentence-embedding',
      'add a sentence_embedding output: the head modules (Pooling, Dense, Normalize) in the same graph',
    )
    .option(
      '--max-seq-length <n>',
      "the exported limit (default: the model's max_seq_length)",
      parsePositiveInt('--max-seq-length'),
    )
    .action(async (opts: ExportCommandOptions) => {
      process.stdout.write(`${JSON.stringify(await runExport(opts))}\n`);
    });
}
