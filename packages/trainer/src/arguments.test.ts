import { describe, expect, it } from 'vitest';
import { resolveTrainingArguments } from './arguments.js';

describe('training arguments', () => {
  it('fills Hugging Face defaults', () => {
    const a = resolveTrainingArguments({ outputDir: 'x' });
    expect([
      a.learningRate,
      a.numTrainEpochs,
      a.perDeviceTrainBatchSize,
      a.maxGradNorm,
      a.adamEpsilon,
      a.lrSchedulerType,
      a.seed,
    ]).toEqual([5e-5, 3, 8, 1, 1e-8, 'linear', 42]);
  });
  it('names a bad argument', () => {
    expect(() => resolveTrainingArguments({ outputDir: 'x', perDeviceTrainBatchSize: 0 })).toThrow(
      /perDeviceTrainBatchSize must be a positive integer, got 0/,
    );
    expect(() => resolveTrainingArguments({ outputDir: 'x', lrSchedulerType: 'step' as never })).toThrow(
      /lrSchedulerType must be one of linear, cosine/,
    );
    expect(() => resolveTrainingArguments({ outputDir: 'x', loadBestModelAtEnd: true })).toThrow(
      /loadBestModelAtEnd needs an evaluation strategy/,
    );
    expect(() => resolveTrainingArguments({ outputDir: 'x', dropout: 1 })).toThrow(
      /dropout must be in \[0, 1\)/,
    );
  });
});
