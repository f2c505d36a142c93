import type { TrainingArguments } from './arguments.js';

/**
 * Learning-rate multiplier at optimizer step `step` (0-based), as transformers' schedules:
 * linear / cosine decay after a linear warmup, constant with warmup, or constant.
 */
export function lrMultiplier(
  type: TrainingArguments['lrSchedulerType'],
  step: number,
  warmup: number,
  total: number,
): number {
  if (type === 'constant') return 1;
  if (step < warmup) return step / Math.max(1, warmup);
  if (type === 'constant_with_warmup') return 1;
  const progress = (step - warmup) / Math.max(1, total - warmup);
  if (type === 'linear') return Math.max(0, (total - step) / Math.max(1, total - warmup));
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** warmupSteps if set, else ceil(warmupRatio × total), as transformers' `get_warmup_steps`. */
export function warmupStepsFor(
  args: Pick<TrainingArguments, 'warmupSteps' | 'warmupRatio'>,
  total: number,
): number {
  return args.warmupSteps > 0 ? args.warmupSteps : Math.ceil(args.warmupRatio * total);
}
