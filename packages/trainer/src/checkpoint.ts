import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type AdamW,
  type NamedVariable,
  readSafetensors,
  tf,
  writeSafetensors,
} from '@contrastive/tensor-gpu';
import type { TrainingArguments } from './arguments.js';
import type { TrainableEncoder } from './types.js';

/** Everything besides weights that a resumed run needs to continue exactly. */
export interface TrainerCheckpointState {
  globalStep: number;
  epoch: number;
  /** Micro-batches of `epoch` already consumed: the sampler's position. */
  batchInEpoch: number;
  logHistory: Array<Record<string, number>>;
  bestMetric?: number;
  /** The metric `bestMetric` is a value of (see `TrainerState.bestMetricKey`). */
  bestMetricKey?: string;
  bestModelCheckpoint?: string;
  /** Training-loss accumulator since the last log, so the next logged mean is the same. */
  lossSum: number;
  lossCount: number;
  /** Training-loss sum and count over the whole run so far, so a resumed run reports the whole run's mean. */
  runLossSum?: number;
  runLossCount?: number;
}

export const CHECKPOINT_PREFIX = 'checkpoint-';

/** A test hook: set CONTRASTIVE_TEST_KILL_DURING_SAVE=<step> and the process dies mid-save of that step. */
function maybeDieMidSave(step: number): void {
  if (process.env.CONTRASTIVE_TEST_KILL_DURING_SAVE === String(step)) process.kill(process.pid, 'SIGKILL');
}

/**
 * Writes `<outputDir>/checkpoint-<step>/`: the model in sentence-transformers layout, optimizer moments,
 * loss-owned parameters, scheduler, trainer state and arguments. Built in a temp folder and renamed into place,
 * so a crash mid-save leaves the previous checkpoints intact and no half-written `checkpoint-<step>`.
 */
export async function saveCheckpoint(
  outputDir: string,
  parts: {
    model: TrainableEncoder;
    optimizer: AdamW;
    lossVariables: NamedVariable[];
    state: TrainerCheckpointState;
    args: TrainingArguments;
    scheduler: { lr: number; warmupSteps: number; totalSteps: number };
  },
): Promise<string> {
  const target = resolve(outputDir, `${CHECKPOINT_PREFIX}${parts.state.globalStep}`);
  const tmp = resolve(outputDir, `.${CHECKPOINT_PREFIX}${parts.state.globalStep}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(outputDir, { recursive: true });
  try {
    await parts.model.save(tmp);
    const opt = await parts.optimizer.exportState();
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [name, m] of Object.entries(opt.m))
      tensors[`exp_avg.${name}`] = { shape: [m.length], data: m };
    for (const [name, v] of Object.entries(opt.v))
      tensors[`exp_avg_sq.${name}`] = { shape: [v.length], data: v };
    writeSafetensors(join(tmp, 'optimizer.safetensors'), tensors, { format: 'pt' });
    maybeDieMidSave(parts.state.globalStep);
    writeJson(join(tmp, 'optimizer.json'), {
      step: opt.step,
      lr: parts.optimizer.lr,
      betas: parts.optimizer.betas,
      eps: parts.optimizer.eps,
    });
    if (parts.lossVariables.length > 0) {
      const lt: Record<string, { shape: number[]; data: Float32Array }> = {};
      for (const { name, variable } of parts.lossVariables)
        lt[name] = { shape: variable.shape, data: (await variable.data()) as Float32Array };
      writeSafetensors(join(tmp, 'loss.safetensors'), lt);
    }
    writeJson(join(tmp, 'scheduler.json'), parts.scheduler);
    writeJson(join(tmp, 'trainer_state.json'), parts.state);
    writeJson(join(tmp, 'training_args.json'), parts.args);
    if (existsSync(target)) {
      const old = `${target}.old-${process.pid}`;
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
    return target;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Restores weights, optimizer and loss parameters from a checkpoint folder; returns the trainer state. */
export function loadCheckpoint(
  dir: string,
  parts: { model: TrainableEncoder; optimizer: AdamW; lossVariables: NamedVariable[] },
): TrainerCheckpointState {
  const stateFile = join(dir, 'trainer_state.json');
  if (!existsSync(stateFile)) throw new Error(`${dir}: not a checkpoint (no trainer_state.json)`);
  const state = readJson<TrainerCheckpointState>(stateFile);
  parts.model.loadWeightsFrom(dir);
  const optJson = readJson<{ step: number }>(join(dir, 'optimizer.json'));
  const optTensors = readSafetensors(join(dir, 'optimizer.safetensors')).tensors;
  const m: Record<string, Float32Array> = {};
  const v: Record<string, Float32Array> = {};
  for (const [k, t] of optTensors) {
    if (k.startsWith('exp_avg_sq.')) v[k.slice('exp_avg_sq.'.length)] = t.data as Float32Array;
    else if (k.startsWith('exp_avg.')) m[k.slice('exp_avg.'.length)] = t.data as Float32Array;
  }
  parts.optimizer.loadState({ step: optJson.step, m, v });
  if (parts.lossVariables.length > 0) {
    const file = join(dir, 'loss.safetensors');
    if (!existsSync(file)) throw new Error(`${file}: the loss has parameters but the checkpoint has none`);
    const lt = readSafetensors(file).tensors;
    for (const { name, variable } of parts.lossVariables) {
      const t = lt.get(name);
      if (!t) throw new Error(`${file}: missing loss parameter "${name}"`);
      variable.assign(tf.tensor(t.data as Float32Array, variable.shape));
    }
  }
  return state;
}

/** Complete checkpoints in `outputDir`, oldest first (temp folders of interrupted saves are ignored). */
export function listCheckpoints(outputDir: string): string[] {
  if (!existsSync(outputDir)) return [];
  return readdirSync(outputDir)
    .filter(
      (n) =>
        new RegExp(`^${CHECKPOINT_PREFIX}\\d+$`).test(n) &&
        existsSync(join(outputDir, n, 'trainer_state.json')),
    )
    .sort((a, b) => Number(a.slice(CHECKPOINT_PREFIX.length)) - Number(b.slice(CHECKPOINT_PREFIX.length)))
    .map((n) => join(outputDir, n));
}

/** Deletes the oldest checkpoints beyond `limit`, never the best one. */
export function rotateCheckpoints(outputDir: string, limit: number | undefined, keep?: string): void {
  if (!limit) return;
  const all = listCheckpoints(outputDir);
  let excess = all.length - limit;
  for (const dir of all) {
    if (excess <= 0) break;
    if (keep && resolve(dir) === resolve(keep)) continue;
    rmSync(dir, { recursive: true, force: true });
    excess--;
  }
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}
