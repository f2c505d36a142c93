import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LABEL_COLUMNS, columnPrompts, findLabelColumn, labelKind, mixSeed } from '@contrastive/core';
import {
  type Loss,
  type LossBatch,
  type LossContext,
  type LossGradients,
  computeLossAndGradients,
  computeLossAndGradientsExternal,
  validateColumns,
} from '@contrastive/losses';
import {
  AdamW,
  type NamedVariable,
  ensureBackend,
  globalNorm,
  paramGroups,
  tf,
} from '@contrastive/tensor-gpu';
import { type TrainingArguments, resolveTrainingArguments } from './arguments.js';
import { type TrainerCallback, type TrainerControl, type TrainerState, metric } from './callbacks.js';
import {
  type TrainerCheckpointState,
  listCheckpoints,
  loadCheckpoint,
  rotateCheckpoints,
  saveCheckpoint,
} from './checkpoint.js';
import { NonFiniteLossError } from './errors.js';
import { writeModelCard } from './model_card.js';
import { acquireOutputLock, removeStaleTemporaries } from './output_lock.js';
import { writeTrainingPlot } from './plot.js';
import { type Progress, createProgress } from './progress.js';
import { type ColumnarDataset, type ScheduledBatch, batchSamplerFor, epochSchedule } from './samplers.js';
import { savedPrompts } from './saved_prompts.js';
import { lrMultiplier, warmupStepsFor } from './scheduler.js';
import type { TrainableEncoder, TrainingEngine } from './types.js';

/**
 * The model being trained as an evaluator sees it, on the evaluation engine: `embed` for @contrastive/eval-mteb's
 * evaluators, `predict` (pair scores) for its cross-encoder evaluators. Either throws where the model has none.
 */
export interface EvaluationModel {
  /** The engine the evaluation runs on (the trainer's `evalEngine`). */
  readonly engine: TrainingArguments['evalEngine'];
  embed(texts: string[]): Promise<ArrayLike<number>[]>;
  predict(pairs: Array<[string, string]>): Promise<ArrayLike<number>[] | number[]>;
}

/**
 * An evaluator as @contrastive/eval-mteb defines it (an embedding model, or a cross-encoder's `predict`, in;
 * named scores out). eval-mteb's evaluators and cross-encoder evaluators are such objects as they are.
 */
export interface TrainerEvaluator {
  name?: string;
  /** The score that names this evaluator's quality (best-model selection uses it). */
  mainScoreName?: string;
  evaluate(model: EvaluationModel): Promise<{
    scores: Record<string, number>;
    mainScore?: number;
    mainScoreName?: string;
  }>;
}

/** Or simply a function returning named metrics (it declares no main score: see `metricForBestModel`). */
export type EvaluationFunction<M extends TrainableEncoder = TrainableEncoder> = (
  model: M,
) => Promise<Record<string, number>>;

export interface TrainerOptions<M extends TrainableEncoder = TrainableEncoder> {
  model: M;
  args: Partial<TrainingArguments> & { outputDir: string };
  /** One data set, or several by name (each with its own loss). */
  trainDataset: ColumnarDataset | Record<string, ColumnarDataset>;
  /** One loss for all data sets, or one per data set name. */
  loss: Loss | Record<string, Loss>;
  evaluator?: TrainerEvaluator | EvaluationFunction<M> | Array<TrainerEvaluator | EvaluationFunction<M>>;
  callbacks?: TrainerCallback[];
  /** Shown in the model card. */
  modelName?: string;
  baseModel?: string;
}

export interface TrainResult {
  outputDir: string;
  globalStep: number;
  /** Mean training loss over the whole run (resumed runs included). */
  trainLoss: number;
  /** Scores of the last evaluation (after loading the best model, when asked). */
  eval: Record<string, number>;
  /**
   * The metric the best model was picked by: `metricForBestModel` as found among the metrics (`spearman_cosine`
   * finds `eval_sts-dev_spearman_cosine`), else the first evaluator's main score (as its result names it), else
   * the first metric. Undefined when nothing was evaluated during training.
   */
  bestMetricKey?: string;
  bestModelCheckpoint?: string;
}

interface PreparedDataset {
  name: string;
  data: ColumnarDataset;
  loss: Loss;
  lossKey: string;
  textColumns: string[];
  labelColumn?: string;
  /** A per-row instruction (FlagEmbedding's record `prompt`), prepended to the first text column (the query). */
  promptColumn?: string;
  prompts: Record<string, string>;
}

/** The reserved per-row prompt column (FlagEmbedding records' `prompt`, kept through `data convert`). */
const ROW_PROMPT_COLUMN = 'prompt';

/** What one optimizer step produced before the update. */
interface StepResult {
  loss: number;
  grads: Map<string, tf.Tensor>;
  microBatches: number;
}

/** The state of one `train()` call: what the hooks and the loop share. */
interface Run {
  out: string;
  st: TrainerCheckpointState;
  totalSteps: number;
  warmup: number;
  batchesPerEpoch: number;
  maxEpochs: number;
  engine: TrainingEngine | undefined;
  optimizer: AdamW;
  control: TrainerControl;
  progress: Progress;
  lastCheckpoint: string | undefined;
  lastEval: Record<string, number>;
  /** `metricForBestModel` matched no metric and the run said so (once). */
  warnedBestMetric: boolean;
  lastLr: number;
  lastGradNorm: number;
}

function isDataset(x: unknown): x is ColumnarDataset {
  return (
    !!x &&
    typeof (x as ColumnarDataset).column === 'function' &&
    Array.isArray((x as ColumnarDataset).columnNames)
  );
}

function isLoss(x: unknown): x is Loss {
  return !!x && typeof (x as Loss).name === 'string' && typeof (x as Loss).columns === 'object';
}

/**
 * sentence-transformers' SentenceTransformerTrainer on tfjs: data sets (each with its loss), batch samplers,
 * AdamW with the usual weight-decay exclusions, warmup + schedule, gradient accumulation and clipping,
 * evaluation, atomic checkpoints with exact resume, metrics JSONL, a plot and a model card. The model is any
 * `TrainableEncoder`; the trainer imports no model package.
 */
export class SentenceTransformerTrainer<M extends TrainableEncoder = TrainableEncoder> {
  readonly model: M;
  readonly args: TrainingArguments;
  private readonly datasets: PreparedDataset[];
  private readonly evaluators: Array<TrainerEvaluator | EvaluationFunction<M>>;
  private readonly callbacks: TrainerCallback[];
  private readonly options: TrainerOptions<M>;
  private optimizer: AdamW | undefined;
  private lossVariables: NamedVariable[] = [];
  /** `eval_<evaluator>_<main score>` of each evaluator that declared one, in order. */
  private mainScoreKeys: string[] = [];
  readonly state: TrainerState = { globalStep: 0, epoch: 0, maxSteps: 0, logHistory: [] };

  constructor(options: TrainerOptions<M>) {
    this.options = options;
    this.model = options.model;
    this.args = resolveTrainingArguments(options.args);
    const dsMap: Record<string, ColumnarDataset> = isDataset(options.trainDataset)
      ? { train: options.trainDataset }
      : options.trainDataset;
    const names = Object.keys(dsMap);
    if (names.length === 0) throw new Error('trainDataset: no data set given');
    const lossFor = (name: string): Loss => {
      if (isLoss(options.loss)) return options.loss;
      const l = (options.loss as Record<string, Loss>)[name];
      if (!l)
        throw new Error(
          `loss: no loss for data set "${name}" (losses given for: ${Object.keys(options.loss).join(', ')})`,
        );
      return l;
    };
    this.datasets = names.map((name) =>
      this.prepareDataset(name, dsMap[name]!, lossFor(name), isLoss(options.loss) ? 'loss' : `loss.${name}`),
    );
    const ev = options.evaluator;
    this.evaluators = ev === undefined ? [] : Array.isArray(ev) ? ev : [ev];
    this.callbacks = options.callbacks ?? [];
  }

  /** Checks columns against the loss before any step: a wrong data set fails here, naming what is missing. */
  private prepareDataset(name: string, data: ColumnarDataset, loss: Loss, lossKey: string): PreparedDataset {
    const where = `data set "${name}"`;
    if (data.numRows === 0) throw new Error(`${where} is empty`);
    const labelColumn = findLabelColumn(data.columnNames);
    const promptColumn = data.columnNames.includes(ROW_PROMPT_COLUMN) ? ROW_PROMPT_COLUMN : undefined;
    const textColumns = data.columnNames.filter((c) => c !== labelColumn && c !== promptColumn);
    if (promptColumn) {
      const v = data.column(promptColumn);
      const bad = v.findIndex((x) => x !== null && x !== undefined && typeof x !== 'string');
      if (bad >= 0)
        throw new Error(
          `${where}: column "${promptColumn}" (a per-row prompt) row ${bad + 1} has ${JSON.stringify(v[bad])}, not a text`,
        );
    }
    for (const c of textColumns) {
      const v = data.column(c);
      const bad = v.findIndex((x) => typeof x !== 'string');
      if (bad >= 0) {
        throw new Error(
          `${where}: column "${c}" must hold texts, row ${bad + 1} has ${JSON.stringify(v[bad])} (label columns are named ${LABEL_COLUMNS.join('/')})`,
        );
      }
    }
    try {
      const kind = labelColumn ? labelKind(data.column(labelColumn), labelColumn) : undefined;
      validateColumns(loss, textColumns, { present: !!labelColumn, kind });
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
    return {
      name,
      data,
      loss,
      lossKey,
      textColumns,
      labelColumn,
      promptColumn,
      prompts: this.promptsFor(name, textColumns),
    };
  }

  /** sentence-transformers' `prompts` argument in all its forms (one resolver, in @contrastive/core). */
  private promptsFor(dataset: string, columns: string[]): Record<string, string> {
    try {
      return columnPrompts(this.args.prompts, columns, dataset);
    } catch (e) {
      throw new Error(`training argument prompts: ${(e as Error).message}`);
    }
  }

  /**
   * Batches of one epoch across all data sets, deterministic in (seed, epoch). Data sets that re-draw per epoch
   * (FlagEmbedding group sampling) are told the epoch first.
   */
  private epochBatches(epoch: number): ScheduledBatch[] {
    const sampler = batchSamplerFor(this.args.batchSampler);
    const perDataset = this.datasets.map((d, i) => {
      d.data.setEpoch?.(epoch);
      return sampler(d.data, {
        batchSize: this.args.perDeviceTrainBatchSize,
        dropLast: this.args.dataloaderDropLast,
        seed: mixSeed(this.args.seed, epoch, i),
        textColumns: d.textColumns,
        labelColumn: d.labelColumn,
        datasetName: d.name,
      });
    });
    return epochSchedule(perDataset, this.args.multiDatasetBatchSampler, mixSeed(this.args.seed, epoch));
  }

  /**
   * Whether prompts go to the model (which leaves their tokens out of the pooling, as sentence-transformers'
   * prompt_length) instead of being prefixed to the texts: only when the model pools without them.
   */
  private promptsViaModel(d: PreparedDataset): boolean {
    return !!this.model.excludesPromptFromPooling && Object.values(d.prompts).some((p) => p);
  }

  private lossBatch(d: PreparedDataset, rows: number[]): LossBatch {
    const columns: Record<string, string[]> = {};
    const viaModel = this.promptsViaModel(d);
    for (const c of d.textColumns) {
      const col = d.data.column(c) as string[];
      const prompt = viaModel ? '' : (d.prompts[c] ?? '');
      columns[c] = rows.map((r) => prompt + col[r]!);
    }
    if (d.promptColumn) {
      // FlagEmbedding's per-record instruction goes before the query (the first text column).
      const rowPrompts = d.data.column(d.promptColumn);
      const first = d.textColumns[0]!;
      columns[first] = columns[first]!.map(
        (t, i) => ((rowPrompts[rows[i]!] as string | undefined) ?? '') + t,
      );
    }
    const batch: LossBatch = { columnNames: d.textColumns, columns, size: rows.length };
    if (d.labelColumn) {
      const col = d.data.column(d.labelColumn);
      batch.labels = rows.map((r) => col[r]) as number[] | number[][];
    }
    return batch;
  }

  private setupOptimizer(): AdamW {
    if (this.optimizer) return this.optimizer;
    const modelVars = this.model.namedVariables();
    this.lossVariables = [];
    const seenLoss = new Set<Loss>();
    for (const d of this.datasets) {
      if (seenLoss.has(d.loss)) continue;
      seenLoss.add(d.loss);
      d.loss.prepare?.(this.model);
      for (const v of d.loss.namedVariables?.() ?? [])
        this.lossVariables.push({ name: `${d.lossKey}.${v.name}`, variable: v.variable });
    }
    this.optimizer = new AdamW(paramGroups([...modelVars, ...this.lossVariables], this.args.weightDecay), {
      lr: this.args.learningRate,
      betas: [this.args.adamBeta1, this.args.adamBeta2],
      eps: this.args.adamEpsilon,
    });
    return this.optimizer;
  }

  private report(line: string): void {
    if (this.args.progress) process.stderr.write(`${line}\n`);
  }

  /**
   * tfjs keeps every activation of the batch until the backward pass ends, and wasm's heap stops at 4 GiB
   * (an overflow aborts the process). Warn before the first step when a full-batch loss is likely to overflow
   * and a cached (GradCache) loss would not.
   */
  private warnAboutWasmHeap(): void {
    if (tf.getBackend() !== 'wasm' || !this.model.trainingActivationBytes) return;
    for (const d of this.datasets) {
      if (d.loss.computeGradients) continue;
      const texts = this.args.perDeviceTrainBatchSize * d.textColumns.length;
      const bytes = this.model.trainingActivationBytes(texts);
      if (bytes > 3 * 2 ** 30) {
        this.report(
          `contrastive: warning: batch ${this.args.perDeviceTrainBatchSize} × ${d.textColumns.length} columns on this model may exceed the 4 GiB wasm heap ` +
            `(~${(bytes / 2 ** 30).toFixed(1)} GiB of activations); for MNRL use cached-mnrl (same loss and gradients, memory bounded by its mini-batch)`,
        );
      }
    }
  }

  /** Runs every evaluator; metrics are keyed `eval_<name>_<metric>` as sentence-transformers logs them. */
  async evaluate(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const engine = this.args.evalEngine;
    // The model embeds on the engine asked for (an onnxruntime snapshot of the current weights under auto/onnx).
    // A cross-encoder evaluator scores pairs: handing it `predict` lets it be an evaluator object with a
    // declared main score (picking the best model) rather than a bare function that declares none.
    const runner: EvaluationModel = {
      engine,
      embed: (texts) => this.model.embed(texts, { engine }),
      predict: (pairs) => {
        if (!this.model.predict)
          throw new Error('this evaluator scores sentence pairs (predict): it needs a cross-encoder model');
        return this.model.predict(pairs, { engine });
      },
    };
    this.mainScoreKeys = [];
    try {
      for (const [i, ev] of this.evaluators.entries()) {
        if (typeof ev === 'function') {
          for (const [k, v] of Object.entries(await ev(this.model)))
            out[k.startsWith('eval_') ? k : `eval_${k}`] = v;
        } else {
          const r = await ev.evaluate(runner);
          const name = ev.name ?? `evaluator${i}`;
          for (const [k, v] of Object.entries(r.scores)) out[`eval_${name}_${k}`] = v;
          const main = r.mainScoreName ?? ev.mainScoreName;
          if (main !== undefined) {
            const key = `eval_${name}_${main}`;
            if (out[key] === undefined && r.mainScore !== undefined) out[key] = r.mainScore;
            if (out[key] !== undefined) this.mainScoreKeys.push(key);
          }
        }
      }
    } finally {
      await this.model.release?.();
    }
    return out;
  }

  /**
   * The one rule for the metric that picks the best model: `metricForBestModel` when given (found by `metric`:
   * full key, `eval_`-prefixed, or suffix), else the first evaluator's main score, else the first metric.
   * Resolved against each evaluation's metrics; the run records the key (state, checkpoints, result).
   */
  private resolveBestMetricKey(metrics: Record<string, number>): string | undefined {
    if (this.args.metricForBestModel) return metric(metrics, this.args.metricForBestModel);
    return this.mainScoreKeys.find((k) => k in metrics) ?? Object.keys(metrics)[0];
  }

  private greaterIsBetter(key: string): boolean {
    return this.args.greaterIsBetter ?? !/loss/.test(key);
  }

  async train(options: { resumeFromCheckpoint?: string | boolean } = {}): Promise<TrainResult> {
    const out = resolve(this.args.outputDir);
    mkdirSync(out, { recursive: true });
    const unlock = acquireOutputLock(out);
    try {
      return await this.trainLocked(out, options);
    } finally {
      unlock();
    }
  }

  private async trainLocked(
    out: string,
    options: { resumeFromCheckpoint?: string | boolean },
  ): Promise<TrainResult> {
    await ensureBackend();
    const run = await this.startRun(out, options);
    try {
      let schedule = this.epochBatches(run.st.epoch);
      const { st, control } = run;
      while (st.globalStep < run.totalSteps && !control.shouldStop) {
        if (st.batchInEpoch >= schedule.length) {
          st.epoch += 1;
          st.batchInEpoch = 0;
          if (st.epoch >= run.maxEpochs) break;
          schedule = this.epochBatches(st.epoch);
        }
        // This optimizer step's micro-batches (fewer at the end of an epoch).
        const accum = this.args.gradientAccumulationSteps;
        const micro = schedule.slice(st.batchInEpoch, Math.min(schedule.length, st.batchInEpoch + accum));
        const step = await this.trainingStep(run, micro);
        this.applyGradients(run, step);
        st.batchInEpoch += micro.length;
        await this.afterStep(run, st.batchInEpoch >= schedule.length);
      }
    } finally {
      await run.engine?.release();
      run.progress.stop();
    }
    await this.log(run);
    return this.finish(run);
  }

  /** Output folder, optimizer, engine, schedule and (on resume) the checkpoint's state. */
  private async startRun(out: string, options: { resumeFromCheckpoint?: string | boolean }): Promise<Run> {
    const a = this.args;
    for (const p of removeStaleTemporaries(out))
      this.report(`contrastive: removed ${p} (left by an interrupted save)`);
    const optimizer = this.setupOptimizer();
    // The prompts trained with are saved with the model (checkpoints too), named as `savedPrompts` documents.
    const saved = savedPrompts(a.prompts, this.datasets);
    if (saved) this.model.addPrompts?.(saved.prompts, saved.defaultPromptName ?? undefined);
    const engine = await this.model.createTrainingEngine?.({
      engine: a.trainEngine,
      threads: a.engineThreads,
      device: a.engineDevice,
      report: (line) => this.report(line),
    });
    if (!engine) {
      if (!this.model.createTrainingEngine)
        this.report(`contrastive: training engine: tfjs (${tf.getBackend()})`);
      this.warnAboutWasmHeap();
    }
    const batchesPerEpoch = this.epochBatches(0).length;
    if (batchesPerEpoch === 0)
      throw new Error(
        'the data sets give no batch (fewer rows than the batch size with dataloaderDropLast?)',
      );
    const stepsPerEpoch = Math.ceil(batchesPerEpoch / a.gradientAccumulationSteps);
    const totalSteps = a.maxSteps > 0 ? a.maxSteps : Math.ceil(stepsPerEpoch * a.numTrainEpochs);
    this.state.maxSteps = totalSteps;

    let st: TrainerCheckpointState = {
      globalStep: 0,
      epoch: 0,
      batchInEpoch: 0,
      logHistory: [],
      lossSum: 0,
      lossCount: 0,
      runLossSum: 0,
      runLossCount: 0,
    };
    let resumeDir =
      typeof options.resumeFromCheckpoint === 'string' ? options.resumeFromCheckpoint : undefined;
    if (options.resumeFromCheckpoint === true) {
      resumeDir = listCheckpoints(out).pop();
      if (!resumeDir) throw new Error(`${out}: no checkpoint to resume from`);
    }
    if (resumeDir) {
      st = loadCheckpoint(resumeDir, { model: this.model, optimizer, lossVariables: this.lossVariables });
      st.runLossSum ??= 0;
      st.runLossCount ??= 0;
      truncateMetrics(join(out, 'metrics.jsonl'), st.globalStep);
    }
    Object.assign(this.state, {
      globalStep: st.globalStep,
      epoch: st.epoch,
      logHistory: st.logHistory,
      bestMetric: st.bestMetric,
      bestMetricKey: st.bestMetricKey,
      bestModelCheckpoint: st.bestModelCheckpoint,
    });
    return {
      out,
      st,
      totalSteps,
      warmup: warmupStepsFor(a, totalSteps),
      batchesPerEpoch,
      maxEpochs: a.maxSteps > 0 ? Number.POSITIVE_INFINITY : Math.ceil(a.numTrainEpochs),
      engine,
      optimizer,
      control: { shouldStop: false },
      progress: createProgress('train', totalSteps, { enabled: a.progress }),
      lastCheckpoint: resumeDir ?? listCheckpoints(out).pop(),
      lastEval: {},
      warnedBestMetric: false,
      lastLr: 0,
      lastGradNorm: 0,
    };
  }

  /** Loss and summed gradients of one optimizer step over its micro-batches (nothing applied yet). */
  private async trainingStep(run: Run, micro: ScheduledBatch[]): Promise<StepResult> {
    const sums = new Map<string, tf.Tensor>();
    let loss = 0;
    for (const [m, sb] of micro.entries()) {
      const d = this.datasets[sb.dataset]!;
      const batch = this.lossBatch(d, sb.rows);
      const ctx: LossContext = {
        training: true,
        seed: mixSeed(this.args.seed, run.st.globalStep, m),
        dropoutRate: this.args.dropout,
      };
      if (this.promptsViaModel(d)) ctx.prompts = d.textColumns.map((c) => d.prompts[c] || undefined);
      let r: LossGradients;
      if (run.engine && d.loss.forward) {
        const step = run.engine.beginStep();
        try {
          r = await computeLossAndGradientsExternal(d.loss, this.model, step, batch, ctx);
        } finally {
          step.dispose();
        }
      } else r = computeLossAndGradients(d.loss, this.model, batch, ctx);
      if (!Number.isFinite(r.loss)) {
        for (const g of r.grads.values()) g.dispose();
        for (const g of sums.values()) g.dispose();
        run.progress.stop();
        throw new NonFiniteLossError(
          run.st.globalStep + 1,
          r.loss,
          batch.columns[batch.columnNames[0]!]!.slice(0, 3),
          run.lastCheckpoint,
        );
      }
      loss += r.loss / micro.length;
      const ownNames = new Set((d.loss.namedVariables?.() ?? []).map((v) => v.name));
      for (const [name, g] of r.grads) {
        const key = ownNames.has(name) ? `${d.lossKey}.${name}` : name;
        const prev = sums.get(key);
        if (prev) {
          sums.set(key, tf.add(prev, g));
          prev.dispose();
          g.dispose();
        } else sums.set(key, g);
      }
    }
    return { loss, grads: sums, microBatches: micro.length };
  }

  /** Mean over micro-batches, global-norm clipping, then one AdamW step at the scheduled rate. */
  private applyGradients(run: Run, step: StepResult): void {
    const a = this.args;
    const st = run.st;
    const scale = 1 / step.microBatches;
    // Read in place (no temporaries on the wasm heap).
    const gradNorm = globalNorm(step.grads.values()) * scale;
    const clip = a.maxGradNorm > 0 && gradNorm > a.maxGradNorm ? a.maxGradNorm / (gradNorm + 1e-6) : 1;
    run.lastLr = a.learningRate * lrMultiplier(a.lrSchedulerType, st.globalStep, run.warmup, run.totalSteps);
    run.optimizer.lr = run.lastLr;
    // The mean and the clipping scale the gradients inside the update (no scaled copies); each gradient is
    // released once its parameter is updated.
    run.optimizer.applyGradients(step.grads, { gradScale: scale * clip, disposeGradients: true });

    st.globalStep += 1;
    st.lossSum += step.loss;
    st.lossCount += 1;
    st.runLossSum = (st.runLossSum ?? 0) + step.loss;
    st.runLossCount = (st.runLossCount ?? 0) + 1;
    run.lastGradNorm = gradNorm;
    this.state.globalStep = st.globalStep;
    this.state.epoch = st.epoch;
    // The mean since the last log line: one step's loss can be 0 (an in-batch loss on a 1-row last batch).
    run.progress.update(st.globalStep, { loss: st.lossSum / st.lossCount, lr: run.lastLr });
  }

  /** The hooks after a step: log, evaluate, save, as the strategies say. */
  private async afterStep(run: Run, epochEnd: boolean): Promise<void> {
    const a = this.args;
    const step = run.st.globalStep;
    const at = (strategy: string, every: number) =>
      (strategy === 'steps' && step % every === 0) || (strategy === 'epoch' && epochEnd);
    const isLast = step >= run.totalSteps || (epochEnd && run.st.epoch + 1 >= run.maxEpochs);
    if (
      (a.loggingStrategy !== 'no' &&
        (at(a.loggingStrategy, a.loggingSteps) || (a.loggingFirstStep && step === 1))) ||
      isLast
    )
      await this.log(run);
    if (a.evalStrategy !== 'no' && at(a.evalStrategy, a.evalSteps)) await this.evaluateDuringTraining(run);
    if (a.saveStrategy !== 'no' && at(a.saveStrategy, a.saveSteps)) await this.save(run);
  }

  private epochProgress(run: Run): number {
    return Number((run.st.epoch + run.st.batchInEpoch / run.batchesPerEpoch).toFixed(4));
  }

  private appendMetrics(run: Run, entry: Record<string, number>): void {
    const file = join(run.out, 'metrics.jsonl');
    try {
      appendFileSync(file, `${JSON.stringify(entry)}\n`);
    } catch (e) {
      throw new Error(`${file}: cannot write metrics at step ${run.st.globalStep} (${(e as Error).message})`);
    }
  }

  private async log(run: Run): Promise<void> {
    const st = run.st;
    if (st.lossCount === 0) return;
    const logs: Record<string, number> = {
      step: st.globalStep,
      epoch: this.epochProgress(run),
      loss: st.lossSum / st.lossCount,
      learning_rate: run.lastLr,
      grad_norm: run.lastGradNorm,
    };
    st.lossSum = 0;
    st.lossCount = 0;
    st.logHistory.push(logs);
    this.appendMetrics(run, logs);
    for (const cb of this.callbacks) await cb.onLog?.(this.state, logs, run.control);
  }

  private async evaluateDuringTraining(run: Run): Promise<void> {
    if (this.evaluators.length === 0) return;
    run.lastEval = await this.evaluate();
    const key = this.resolveBestMetricKey(run.lastEval);
    if (key !== undefined) {
      run.st.bestMetricKey = key;
      this.state.bestMetricKey = key;
    } else if (this.args.metricForBestModel && !run.warnedBestMetric) {
      run.warnedBestMetric = true;
      this.report(
        `contrastive: warning: metricForBestModel "${this.args.metricForBestModel}" names none of the evaluation's metrics (${Object.keys(run.lastEval).join(', ')}); no best model is picked`,
      );
    }
    const entry = { step: run.st.globalStep, epoch: this.epochProgress(run), ...run.lastEval };
    run.st.logHistory.push(entry);
    this.appendMetrics(run, entry);
    for (const cb of this.callbacks) await cb.onEvaluate?.(this.state, run.lastEval, run.control);
  }

  private async save(run: Run): Promise<void> {
    const st = run.st;
    // The key the last evaluation resolved (evaluateDuringTraining), which the run reports.
    const key = st.bestMetricKey;
    let improved = false;
    if (key !== undefined && run.lastEval[key] !== undefined) {
      const v = run.lastEval[key]!;
      const better =
        st.bestMetric === undefined || (this.greaterIsBetter(key) ? v > st.bestMetric : v < st.bestMetric);
      if (better) {
        st.bestMetric = v;
        improved = true;
      }
    }
    const target = join(run.out, `checkpoint-${st.globalStep}`);
    if (improved) st.bestModelCheckpoint = target;
    let dir: string;
    try {
      dir = await saveCheckpoint(run.out, {
        model: this.model,
        optimizer: run.optimizer,
        lossVariables: this.lossVariables,
        state: st,
        args: this.args,
        scheduler: { lr: this.args.learningRate, warmupSteps: run.warmup, totalSteps: run.totalSteps },
      });
    } catch (e) {
      throw new Error(
        `saving the checkpoint of step ${st.globalStep} to ${target} failed: ${(e as Error).message}` +
          (run.lastCheckpoint ? ` (the last good checkpoint is ${run.lastCheckpoint})` : ''),
        { cause: e },
      );
    }
    run.lastCheckpoint = dir;
    this.state.bestMetric = st.bestMetric;
    this.state.bestModelCheckpoint = st.bestModelCheckpoint;
    rotateCheckpoints(run.out, this.args.saveTotalLimit, st.bestModelCheckpoint);
    for (const cb of this.callbacks) await cb.onSave?.(this.state, dir, run.control);
  }

  /** Best model, final evaluation, callbacks, and the final model with its card and plot. */
  private async finish(run: Run): Promise<TrainResult> {
    const st = run.st;
    if (this.args.loadBestModelAtEnd && st.bestModelCheckpoint)
      this.model.loadWeightsFrom(st.bestModelCheckpoint);
    const finalEval = this.evaluators.length > 0 ? await this.evaluate() : {};
    if (this.evaluators.length > 0) {
      const entry = { step: st.globalStep, final: 1, ...finalEval };
      this.appendMetrics(run, entry);
      st.logHistory.push(entry);
    }
    for (const cb of this.callbacks) await cb.onTrainEnd?.(this.state, run.control);
    const count = st.runLossCount ?? 0;
    const result: TrainResult = {
      outputDir: run.out,
      globalStep: st.globalStep,
      trainLoss: count > 0 ? (st.runLossSum ?? 0) / count : Number.NaN,
      eval: finalEval,
      bestMetricKey: st.bestMetricKey,
      bestModelCheckpoint: st.bestModelCheckpoint,
    };
    try {
      await this.saveFinalModel(run.out, result, st.logHistory);
    } catch (e) {
      throw new Error(
        `saving the final model (step ${st.globalStep}) to ${run.out} failed: ${(e as Error).message}` +
          (run.lastCheckpoint ? ` (the last good checkpoint is ${run.lastCheckpoint})` : ''),
        { cause: e },
      );
    }
    return result;
  }

  /**
   * The trained encoder in its own layout at the output root (so `outputDir` loads as a model), beside its
   * checkpoints, metrics, plot and model card.
   */
  private async saveFinalModel(
    out: string,
    result: TrainResult,
    history: Array<Record<string, number>>,
  ): Promise<void> {
    const card = writeModelCard({
      model: this.model,
      modelName: this.options.modelName,
      baseModel: this.options.baseModel,
      args: this.args,
      datasets: this.datasets.map((d) => ({
        name: d.name,
        rows: d.data.numRows,
        columns: d.data.columnNames,
        loss: d.loss,
        examples: exampleRows(d),
      })),
      history,
      result,
    });
    await this.model.save(out, { modelCard: card });
    await writeTrainingPlot(out, history);
  }
}

/**
 * On resume, metrics.jsonl keeps only what the run logged up to the checkpoint's step (no repeated steps, no
 * final evaluation of a finished run); written atomically.
 */
function truncateMetrics(file: string, step: number): void {
  if (!existsSync(file)) return;
  const kept = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => {
      if (!line.trim()) return false;
      try {
        const o = JSON.parse(line) as { step?: number; final?: number };
        return typeof o.step === 'number' && o.step <= step && !o.final;
      } catch {
        return false; // a line cut by a crash
      }
    });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, kept.map((l) => `${l}\n`).join(''));
  renameSync(tmp, file);
}

function exampleRows(d: PreparedDataset): Array<Record<string, unknown>> {
  return Array.from({ length: Math.min(3, d.data.numRows) }, (_, r) =>
    Object.fromEntries(d.data.columnNames.map((c) => [c, d.data.column(c)[r]])),
  );
}
