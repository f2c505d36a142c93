import { type OnnxSessionOptions, SentenceEncoder, type SentenceEncoderOptions } from '@contrastive/bert';
import {
  type EngineChoice,
  type EngineDevice,
  parseEngineChoice,
  parseEngineDevice,
} from '@contrastive/tensor-gpu';
import type { TrainingArguments } from '@contrastive/trainer';
import { InvalidArgumentError, Option } from 'commander';
import { asUsageError } from './options.js';

export type Engine = EngineChoice;

/** commander's parser for `--engine`: the engine resolver's own check, as a usage error. */
export const parseEngine: (value: string) => Engine = asUsageError(parseEngineChoice, '--engine');

/**
 * `--workers <n>|auto` of the commands that embed (encode, eval, mine): the onnx engine's sessions in worker
 * threads (`OnnxSessionOptions.workers`). Not given: `auto` for a data set (eval, mine) and for an encode of
 * `AUTO_WORKERS_MIN_TEXTS` texts or more (as the library's `encode`), one in-process session otherwise.
 */
export function workersOption(): Option {
  return new Option(
    '--workers <n>',
    'onnx: encode sessions in worker threads, the threads split among them (each holds a copy of the weights); auto (the default for a data set or 4096 texts or more): two for a small model on the CPU',
  ).argParser((value): number | 'auto' => {
    if (value === 'auto') return value;
    const n = Number(value);
    if (Number.isInteger(n) && n >= 1) return n;
    throw new InvalidArgumentError(`--workers must be a positive integer or auto, got "${value}"`);
  });
}

/** commander's parser for `--device`: tensor-gpu's own check, as a usage error. */
export const parseDevice: (value: string) => EngineDevice = asUsageError(parseEngineDevice, '--device');

/**
 * `--device <name>` of the commands that run the onnx engine (encode, eval, mine, train, pretrain-mlm): where
 * onnxruntime runs the graphs (`OnnxSessionOptions.device`); cpu when not given.
 */
export function deviceOption(): Option {
  return new Option(
    '--device <name>',
    "onnx: cpu (default) | webgpu (a GPU through Vulkan, Metal or Direct3D 12) | cuda | cuda:<index> (onnxruntime-node's CUDA provider)",
  ).argParser(parseDevice);
}

/** The onnx engine's flags as the commands take them (`--workers`, `--device`). */
export interface OnnxFlags {
  workers?: number | 'auto';
  device?: EngineDevice;
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
 * encodes: onnxruntime-node where it loads, tfjs otherwise; the choice is reported in one stderr line. `bulk`:
 * the command embeds a data set: the onnx snapshot is built as the library's `encode` builds it for many texts
 * (`workers: 'auto'` unless `--workers` is given), so the line names its sessions.
 */
export async function loadEncoder(
  path: string,
  engine: Engine,
  options: SentenceEncoderOptions = {},
  {
    purpose = 'encode',
    bulk = false,
    ...flags
  }: { purpose?: 'encode' | 'eval'; bulk?: boolean } & OnnxFlags = {},
): Promise<LoadedEncoder> {
  checkOnnxFlags(engine, flags);
  const model = await SentenceEncoder.load(path, options);
  // Before the engine is chosen: the snapshot it builds is built with these options.
  model.onnxOptions = withOnnxFlags(model.onnxOptions, flags);
  const chosen = await model.selectEncodeEngine(engine, {
    purpose,
    bulk,
    report: (line) => process.stderr.write(`${line}\n`),
  });
  warnUnusedWorkers(chosen, flags.workers);
  return { model, runner: model, engine: chosen, release: () => model.release() };
}

/**
 * `--workers` and `--device` ask for onnxruntime sessions: with `--engine tfjs` they are a contradiction,
 * refused up front.
 */
export function checkOnnxFlags(engine: Engine, { workers, device }: OnnxFlags): void {
  if (workers !== undefined && engine === 'tfjs')
    throw new Error(
      '--workers runs onnxruntime sessions in worker threads; it does not apply to --engine tfjs',
    );
  if (device !== undefined && device !== 'cpu' && engine === 'tfjs')
    throw new Error(
      `--device ${device} runs the onnx engine on that device; it does not apply to --engine tfjs`,
    );
}

/** `--engine auto` fell back to tfjs (no onnxruntime-node here): `--workers` did nothing, and the user is told. */
export function warnUnusedWorkers(chosen: 'onnx' | 'tfjs', workers: OnnxFlags['workers']): void {
  if (workers !== undefined && chosen === 'tfjs')
    process.stderr.write('contrastive: warning: --workers ignored: the tfjs engine encodes in this thread\n');
}

/**
 * `--device` of the training commands (train, pretrain-mlm): the trainer's `engineDevice`, refused with
 * `--engine tfjs` (set `args.trainEngine` first).
 */
export function setTrainingDevice(args: Partial<TrainingArguments>, device: EngineDevice | undefined): void {
  if (device === undefined) return;
  checkOnnxFlags(args.trainEngine ?? 'auto', { device });
  args.engineDevice = device;
}

/** `options` with the values of `--workers` and `--device` that were given. */
export function withOnnxFlags(
  options: OnnxSessionOptions,
  { workers, device }: OnnxFlags,
): OnnxSessionOptions {
  return {
    ...options,
    ...(workers === undefined ? {} : { workers }),
    ...(device === undefined ? {} : { device }),
  };
}
