import { type OnnxSessionOptions, SentenceEncoder, type SentenceEncoderOptions } from '@contrastive/bert';
import { type EngineChoice, parseEngineChoice } from '@contrastive/tensor-gpu';
import { InvalidArgumentError, Option } from 'commander';
import { parsePositiveInt } from './options.js';

export type Engine = EngineChoice;

/** commander's parser for `--engine`: the engine resolver's own check, as a usage error. */
export function parseEngine(value: string): Engine {
  try {
    return parseEngineChoice(value, '--engine');
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/**
 * `--workers <n>` of the commands that embed (encode, eval, mine): the onnx engine's sessions in worker threads
 * (`OnnxSessionOptions.workers`); one in-process session when not given.
 */
export function workersOption(): Option {
  return new Option(
    '--workers <n>',
    'onnx: encode sessions in worker threads, the threads split among them (each holds a copy of the weights)',
  ).argParser(parsePositiveInt('--workers'));
}

export interface LoadedEncoder {
  /** The model: configuration, dimension, saving. */
  model: SentenceEncoder;
  /** What embeds: the model, pinned to the engine that was chosen. */
  runner: SentenceEncoder;
  engine: 'onnx' | 'tfjs';
  release(): Promise<void>;
}

/**
 * Loads a model and asks the engine resolver (the same one the library and the trainer use) which engine
 * encodes: onnxruntime-node where it loads, tfjs otherwise; the choice is reported in one stderr line.
 */
export async function loadEncoder(
  path: string,
  engine: Engine,
  options: SentenceEncoderOptions = {},
  { purpose = 'encode', workers }: { purpose?: 'encode' | 'eval'; workers?: number } = {},
): Promise<LoadedEncoder> {
  const model = await SentenceEncoder.load(path, options);
  // Before the engine is chosen: the snapshot it builds is built with these options.
  model.onnxOptions = withWorkers(model.onnxOptions, workers);
  const chosen = await model.selectEncodeEngine(engine, {
    purpose,
    report: (line) => process.stderr.write(`${line}\n`),
  });
  return { model, runner: model, engine: chosen, release: () => model.release() };
}

/** `options` with `--workers`' value (unchanged when it was not given). */
export function withWorkers(options: OnnxSessionOptions, workers: number | undefined): OnnxSessionOptions {
  return workers === undefined ? options : { ...options, workers };
}
