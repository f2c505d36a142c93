import { type OnnxSentenceEncoder, SentenceEncoder, type SentenceEncoderOptions } from '@contrastive/bert';
import { InvalidArgumentError } from 'commander';

export type Engine = 'auto' | 'onnx' | 'tfjs';

export function parseEngine(value: string): Engine {
  if (value !== 'auto' && value !== 'onnx' && value !== 'tfjs') {
    throw new InvalidArgumentError(`--engine must be auto, onnx or tfjs, got "${value}"`);
  }
  return value;
}

export interface LoadedEncoder {
  /** The model itself (tfjs): configuration, dimension, saving. */
  model: SentenceEncoder;
  /** What embeds: the ONNX snapshot when that engine is used, else the model. */
  runner: SentenceEncoder | OnnxSentenceEncoder;
  engine: 'onnx' | 'tfjs';
  release(): Promise<void>;
}

/**
 * Loads a model and picks the inference engine: onnxruntime-node (several times faster on CPU) when it loads
 * and supports the model, tfjs otherwise. `auto` falls back silently but for one stderr line; `onnx` fails.
 */
export async function loadEncoder(
  path: string,
  engine: Engine,
  options: SentenceEncoderOptions = {},
): Promise<LoadedEncoder> {
  const model = await SentenceEncoder.load(path, options);
  if (engine !== 'tfjs') {
    try {
      const onnx = await model.toOnnx();
      process.stderr.write('contrastive: inference engine onnxruntime-node\n');
      return { model, runner: onnx, engine: 'onnx', release: () => onnx.release() };
    } catch (e) {
      if (engine === 'onnx') throw e;
      process.stderr.write(
        `contrastive: inference engine tfjs (onnx unavailable: ${(e as Error).message.split('\n')[0]})\n`,
      );
    }
  }
  if (engine === 'tfjs') process.stderr.write('contrastive: inference engine tfjs\n');
  model.encodeEngine = 'tfjs';
  return { model, runner: model, engine: 'tfjs', release: async () => {} };
}
