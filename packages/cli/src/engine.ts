import { type OnnxSessionOptions, SentenceEncoder, type SentenceEncoderOptions } from '@contrastive/bert';
import { type EngineChoice, parseEngineChoice } from '@contrastive/tensor-gpu';
import { InvalidArgumentError } from 'commander';

export type Engine = EngineChoice;

/** commander's parser for `--engine`: the engine resolver's own check, as a usage error. */
export function parseEngine(value: string): Engine {
  try {
    return parseEngineChoice(value, '--engine');
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
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
  { purpose = 'encode', onnx }: { purpose?: 'encode' | 'eval'; onnx?: OnnxSessionOptions } = {},
): Promise<LoadedEncoder> {
  const model = await SentenceEncoder.load(path, options);
  // Before the engine is chosen: the snapshot it builds is built with these options.
  if (onnx) model.onnxOptions = { ...model.onnxOptions, ...onnx };
  const chosen = await model.selectEncodeEngine(engine, {
    purpose,
    report: (line) => process.stderr.write(`${line}\n`),
  });
  return { model, runner: model, engine: chosen, release: () => model.release() };
}
