export { SentenceTransformerTrainer } from './trainer.js';
export type {
  TrainerOptions,
  TrainResult,
  TrainerEvaluator,
  EvaluationFunction,
  EvaluationModel,
} from './trainer.js';
export { resolveTrainingArguments, DEFAULT_TRAINING_ARGUMENTS } from './arguments.js';
export type { TrainingArguments } from './arguments.js';
export { lrMultiplier, warmupStepsFor } from './scheduler.js';
export {
  defaultBatches,
  noDuplicateBatches,
  groupByLabelBatches,
  epochSchedule,
  BATCH_SAMPLERS,
  batchSamplerFor,
} from './samplers.js';
export type {
  ColumnarDataset,
  ScheduledBatch,
  BatchSamplerName,
  BatchSampler,
  BatchSamplerContext,
} from './samplers.js';
export type { TrainableEncoder, TrainingEngine } from './types.js';
export { acquireOutputLock, removeStaleTemporaries } from './output_lock.js';
export { EarlyStoppingCallback } from './callbacks.js';
export type { TrainerCallback, TrainerControl, TrainerState } from './callbacks.js';
export { saveCheckpoint, loadCheckpoint, listCheckpoints, rotateCheckpoints } from './checkpoint.js';
export type { TrainerCheckpointState } from './checkpoint.js';
export { NonFiniteLossError } from './errors.js';
export { createProgress } from './progress.js';
export type { Progress } from './progress.js';
export { writeModelCard } from './model_card.js';
export { writeTrainingPlot } from './plot.js';
export { savedPrompts } from './saved_prompts.js';
export type { SavedPrompts, PromptedDataset } from './saved_prompts.js';
