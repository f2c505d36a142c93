import type { TrainingPrompts } from '@contrastive/core';
import {
  ENGINE_CHOICES,
  type EngineChoice,
  type EngineDevice,
  parseEngineDevice,
} from '@contrastive/tensor-gpu';
import type { BatchSampler, BatchSamplerName } from './samplers.js';
/** Training arguments with sentence-transformers / Hugging Face names (camelCased) and defaults. */
export interface TrainingArguments {
  outputDir: string;
  numTrainEpochs: number;
  /** > 0 overrides numTrainEpochs. */
  maxSteps: number;
  perDeviceTrainBatchSize: number;
  learningRate: number;
  warmupSteps: number;
  /** Used when warmupSteps is 0. */
  warmupRatio: number;
  lrSchedulerType: 'linear' | 'cosine' | 'constant' | 'constant_with_warmup';
  weightDecay: number;
  adamBeta1: number;
  adamBeta2: number;
  adamEpsilon: number;
  /** 0 disables clipping. */
  maxGradNorm: number;
  gradientAccumulationSteps: number;
  seed: number;
  evalStrategy: 'no' | 'steps' | 'epoch';
  evalSteps: number;
  loggingStrategy: 'no' | 'steps' | 'epoch';
  loggingSteps: number;
  loggingFirstStep: boolean;
  saveStrategy: 'no' | 'steps' | 'epoch';
  saveSteps: number;
  saveTotalLimit?: number;
  loadBestModelAtEnd: boolean;
  metricForBestModel?: string;
  greaterIsBetter?: boolean;
  /** A named sampler or your own function (see `BatchSampler`). */
  batchSampler: BatchSamplerName | BatchSampler;
  multiDatasetBatchSampler: 'round_robin' | 'proportional';
  dataloaderDropLast: boolean;
  /** Overrides the model's hidden and attention dropout for this run. */
  dropout?: number;
  /** Prompts per column (or for all columns), as sentence-transformers' `prompts` argument. */
  prompts?: TrainingPrompts;
  /** Progress bar on a TTY, log lines otherwise; false: silent. */
  progress: boolean;
  /**
   * Engine the evaluators embed with: `auto` takes an onnxruntime-node snapshot of the current weights when it
   * loads (several times faster than tfjs on CPU) and falls back to tfjs; on tfjs-node(-gpu) `auto` stays on tfjs.
   */
  evalEngine: EngineChoice;
  /**
   * Engine the transformer trains on: `onnx` runs BERT's forward and backward passes in onnxruntime-node
   * (native, every core, padding removed; the loss and AdamW stay on tfjs), `tfjs` on the tfjs backend.
   * `auto`: onnx where onnxruntime-node loads, except on tfjs-node(-gpu) (a native or GPU backend), which
   * trains itself; tfjs otherwise. Same gradients either way.
   */
  trainEngine: EngineChoice;
  /** onnxruntime intra-op threads for `trainEngine` onnx. Default: the machine's cores, at most 8. */
  engineThreads?: number;
  /**
   * Where `trainEngine` onnx runs the transformer's passes: `cpu` (default), `webgpu`, `cuda`, `cuda:<index>`.
   * Another device than `cpu` makes `auto` mean onnx (no quiet fallback to tfjs).
   */
  engineDevice?: EngineDevice;
}

export const DEFAULT_TRAINING_ARGUMENTS: Omit<TrainingArguments, 'outputDir'> = {
  numTrainEpochs: 3,
  maxSteps: -1,
  perDeviceTrainBatchSize: 8,
  learningRate: 5e-5,
  warmupSteps: 0,
  warmupRatio: 0,
  lrSchedulerType: 'linear',
  weightDecay: 0,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  maxGradNorm: 1.0,
  gradientAccumulationSteps: 1,
  seed: 42,
  evalStrategy: 'no',
  evalSteps: 500,
  loggingStrategy: 'steps',
  loggingSteps: 500,
  loggingFirstStep: false,
  saveStrategy: 'steps',
  saveSteps: 500,
  saveTotalLimit: undefined,
  loadBestModelAtEnd: false,
  metricForBestModel: undefined,
  greaterIsBetter: undefined,
  batchSampler: 'batch_sampler',
  multiDatasetBatchSampler: 'proportional',
  dataloaderDropLast: false,
  dropout: undefined,
  prompts: undefined,
  progress: true,
  evalEngine: 'auto',
  trainEngine: 'auto',
  engineThreads: undefined,
  engineDevice: undefined,
};

/** Fills defaults and checks values; errors name the argument. */
export function resolveTrainingArguments(
  args: Partial<TrainingArguments> & { outputDir: string },
): TrainingArguments {
  const a: TrainingArguments = { ...DEFAULT_TRAINING_ARGUMENTS, ...dropUndefined(args) } as TrainingArguments;
  const positiveInt = (k: keyof TrainingArguments) => {
    const v = a[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw new Error(`training argument ${k} must be a positive integer, got ${String(v)}`);
  };
  const nonNegative = (k: keyof TrainingArguments) => {
    const v = a[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new Error(`training argument ${k} must be a number ≥ 0, got ${String(v)}`);
  };
  positiveInt('perDeviceTrainBatchSize');
  positiveInt('gradientAccumulationSteps');
  positiveInt('evalSteps');
  positiveInt('loggingSteps');
  positiveInt('saveSteps');
  for (const k of [
    'learningRate',
    'warmupSteps',
    'warmupRatio',
    'weightDecay',
    'maxGradNorm',
    'numTrainEpochs',
    'adamEpsilon',
  ] as const)
    nonNegative(k);
  if (!Number.isInteger(a.maxSteps))
    throw new Error(`training argument maxSteps must be an integer, got ${a.maxSteps}`);
  if (a.maxSteps <= 0 && a.numTrainEpochs <= 0)
    throw new Error('training arguments: set numTrainEpochs > 0 or maxSteps > 0');
  if (a.warmupRatio > 1) throw new Error(`training argument warmupRatio must be ≤ 1, got ${a.warmupRatio}`);
  if (a.dropout !== undefined && (a.dropout < 0 || a.dropout >= 1))
    throw new Error(`training argument dropout must be in [0, 1), got ${a.dropout}`);
  const oneOf = <K extends keyof TrainingArguments>(k: K, allowed: readonly string[]) => {
    if (!allowed.includes(String(a[k])))
      throw new Error(`training argument ${k} must be one of ${allowed.join(', ')}, got "${String(a[k])}"`);
  };
  oneOf('lrSchedulerType', ['linear', 'cosine', 'constant', 'constant_with_warmup']);
  oneOf('evalStrategy', ['no', 'steps', 'epoch']);
  oneOf('loggingStrategy', ['no', 'steps', 'epoch']);
  oneOf('saveStrategy', ['no', 'steps', 'epoch']);
  if (typeof a.batchSampler !== 'function')
    oneOf('batchSampler', ['batch_sampler', 'no_duplicates', 'group_by_label']);
  oneOf('multiDatasetBatchSampler', ['round_robin', 'proportional']);
  oneOf('evalEngine', ENGINE_CHOICES);
  oneOf('trainEngine', ENGINE_CHOICES);
  if (a.engineThreads !== undefined) positiveInt('engineThreads');
  if (a.engineDevice !== undefined) parseEngineDevice(a.engineDevice, 'training argument engineDevice');
  if (a.saveTotalLimit !== undefined && (!Number.isInteger(a.saveTotalLimit) || a.saveTotalLimit < 1)) {
    throw new Error(`training argument saveTotalLimit must be a positive integer, got ${a.saveTotalLimit}`);
  }
  if (a.loadBestModelAtEnd && a.evalStrategy === 'no')
    throw new Error('loadBestModelAtEnd needs an evaluation strategy (evalStrategy steps or epoch)');
  if (a.loadBestModelAtEnd && a.saveStrategy === 'no')
    throw new Error('loadBestModelAtEnd needs checkpoints (saveStrategy steps or epoch)');
  return a;
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
