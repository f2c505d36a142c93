import { appendFileSync, mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { OnnxTrainingEngine, type SentenceEncoder } from '@contrastive/bert';
import { mixSeed } from '@contrastive/core';
import {
  type EmbeddingModel,
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
import { writeTrainingPlot } from './plot.js';
import { createProgress } from './progress.js';
import {
  type ColumnarDataset,
  type ScheduledBatch,
  defaultBatches,
  epochSchedule,
  groupByLabelBatches,
  noDuplicateBatches,
} from './samplers.js';
import { lrMultiplier, warmupStepsFor } from './scheduler.js';

/** An evaluator as @contrastive/eval-mteb defines it (any `embed(texts)` model in, named scores out). */
export interface TrainerEvaluator {
  name?: string;
  evaluate(model: { embed(texts: string[]): Promise<ArrayLike<number>[]> }): Promise<{
    scores: Record<string, number>;
    mainScore?: number;
    mainScoreName?: string;
  }>;
}

/** Or simply a function returning named metrics. */
export type EvaluationFunction = (model: SentenceEncoder) => Promise<Record<string, number>>;

export interface TrainerOptions {
  model: SentenceEncoder;
  args: Partial<TrainingArguments> & { outputDir: string };
  /** One data set, or several by name (each with its own loss). */
  trainDataset: ColumnarDataset | Record<string, ColumnarDataset>;
  /** One loss for all data sets, or one per data set name. */
  loss: Loss | Record<string, Loss>;
  evaluator?: TrainerEvaluator | EvaluationFunction | Array<TrainerEvaluator | EvaluationFunction>;
  callbacks?: TrainerCallback[];
  /** Shown in the model card. */
  modelName?: string;
  baseModel?: string;
}

export interface TrainResult {
  outputDir: string;
  globalStep: number;
  /** Mean training loss over the whole run. */
  trainLoss: number;
  /** Scores of the last evaluation (after loading the best model, when asked). */
  eval: Record<string, number>;
  bestModelCheckpoint?: string;
}

const LABEL_COLUMNS = ['label', 'score', 'labels', 'scores'];

interface PreparedDataset {
  name: string;
  data: ColumnarDataset;
  loss: Loss;
  lossKey: string;
  textColumns: string[];
  labelColumn?: string;
  prompts: Record<string, string>;
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
 * evaluation, atomic checkpoints with exact resume, metrics JSONL, a plot and a model card.
 */
export class SentenceTransformerTrainer {
  readonly model: SentenceEncoder;
  readonly args: TrainingArguments;
  private readonly datasets: PreparedDataset[];
  private readonly evaluators: Array<TrainerEvaluator | EvaluationFunction>;
  private readonly callbacks: TrainerCallback[];
  private readonly options: TrainerOptions;
  private optimizer: AdamW | undefined;
  private lossVariables: NamedVariable[] = [];
  readonly state: TrainerState = { globalStep: 0, epoch: 0, maxSteps: 0, logHistory: [] };

  constructor(options: TrainerOptions) {
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
    const labelColumn = data.columnNames.find((c) => LABEL_COLUMNS.includes(c));
    const textColumns = data.columnNames.filter((c) => c !== labelColumn);
    for (const c of textColumns) {
      const v = data.column(c);
      const bad = v.findIndex((x) => typeof x !== 'string');
      if (bad >= 0) {
        throw new Error(
          `${where}: column "${c}" must hold texts, row ${bad + 1} has ${JSON.stringify(v[bad])} (label columns are named ${LABEL_COLUMNS.join('/')})`,
        );
      }
    }
    let kind: 'float' | 'class' | 'list' | undefined;
    if (labelColumn) {
      const v = data.column(labelColumn);
      if (v.some((x) => Array.isArray(x))) kind = 'list';
      else {
        const bad = v.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
        if (bad >= 0)
          throw new Error(
            `${where}: label column "${labelColumn}" row ${bad + 1} is ${JSON.stringify(v[bad])}, not a number`,
          );
        kind = v.every((x) => Number.isInteger(x)) ? 'class' : 'float';
      }
    }
    try {
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
      prompts: this.promptsFor(name, textColumns),
    };
  }

  private promptsFor(dataset: string, columns: string[]): Record<string, string> {
    const p = this.args.prompts;
    if (p === undefined) return {};
    if (typeof p === 'string') return Object.fromEntries(columns.map((c) => [c, p]));
    const nested = (p as Record<string, unknown>)[dataset];
    if (nested && typeof nested === 'object') return nested as Record<string, string>;
    if (Object.values(p).every((v) => typeof v === 'string')) return p as Record<string, string>;
    return {};
  }

  /** Batches of one epoch across all data sets, deterministic in (seed, epoch). */
  private epochBatches(epoch: number): ScheduledBatch[] {
    const perDataset = this.datasets.map((d, i) => {
      const o = {
        batchSize: this.args.perDeviceTrainBatchSize,
        dropLast: this.args.dataloaderDropLast,
        seed: mixSeed(this.args.seed, epoch, i),
      };
      if (this.args.batchSampler === 'no_duplicates') {
        const cols = d.textColumns.map((c) => d.data.column(c) as string[]);
        return noDuplicateBatches((r) => cols.map((c) => c[r]!), d.data.numRows, o);
      }
      if (this.args.batchSampler === 'group_by_label') {
        if (!d.labelColumn) throw new Error(`data set "${d.name}": group_by_label needs a label column`);
        return groupByLabelBatches(d.data.column(d.labelColumn), o);
      }
      return defaultBatches(d.data.numRows, o);
    });
    return epochSchedule(perDataset, this.args.multiDatasetBatchSampler, mixSeed(this.args.seed, epoch));
  }

  /**
   * Whether prompts go to the model (which leaves their tokens out of the pooling, as sentence-transformers'
   * prompt_length) instead of being prefixed to the texts: only when the Pooling excludes prompts.
   */
  private promptsViaModel(d: PreparedDataset): boolean {
    return !this.model.pooling.includePrompt && Object.values(d.prompts).some((p) => p);
  }

  private lossBatch(d: PreparedDataset, rows: number[]): LossBatch {
    const columns: Record<string, string[]> = {};
    const viaModel = this.promptsViaModel(d);
    for (const c of d.textColumns) {
      const col = d.data.column(c) as string[];
      const prompt = viaModel ? '' : (d.prompts[c] ?? '');
      columns[c] = rows.map((r) => prompt + col[r]!);
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
      d.loss.prepare?.(this.model as unknown as EmbeddingModel);
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

  /**
   * The onnxruntime training engine when `trainEngine` asks for it (`onnx`) or allows it (`auto`, where
   * onnxruntime-node loads); undefined means tfjs trains. The choice is reported once on stderr.
   */
  private async createTrainEngine(): Promise<OnnxTrainingEngine | undefined> {
    const a = this.args;
    // tfjs-node(-gpu) is a native backend (a GPU when tfjs-node-gpu is installed): `auto` keeps training there.
    if (a.trainEngine === 'tfjs' || (a.trainEngine === 'auto' && tf.getBackend() === 'tensorflow')) {
      if (a.progress) process.stderr.write(`contrastive: training engine: tfjs (${tf.getBackend()})\n`);
      return undefined;
    }
    const threads = a.engineThreads ?? Math.min(8, Math.max(1, availableParallelism()));
    try {
      const engine = await OnnxTrainingEngine.create(this.model, { threads });
      if (a.progress)
        process.stderr.write(`contrastive: training engine: onnxruntime-node (${threads} threads)\n`);
      return engine;
    } catch (e) {
      if (a.trainEngine === 'onnx') throw e;
      if (a.progress) {
        const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
        process.stderr.write(
          `contrastive: training engine: tfjs (${tf.getBackend()}); onnxruntime: ${why}\n`,
        );
      }
      return undefined;
    }
  }

  /**
   * tfjs keeps every activation of the batch until the backward pass ends, and wasm's heap stops at 4 GiB
   * (an overflow aborts the process). Warn before the first step when a full-batch loss is likely to overflow
   * and a cached (GradCache) loss would not.
   */
  private warnAboutWasmHeap(): void {
    if (tf.getBackend() !== 'wasm' || !this.args.progress) return;
    const c = this.model.bert.config;
    for (const d of this.datasets) {
      if (d.loss.computeGradients) continue;
      // Measured on the MiniLM shape: ~300 saved floats per token, layer and hidden unit; 32 tokens per text.
      const bytes =
        this.args.perDeviceTrainBatchSize *
        d.textColumns.length *
        32 *
        c.hidden_size *
        c.num_hidden_layers *
        300 *
        4;
      if (bytes > 3 * 2 ** 30) {
        process.stderr.write(
          `contrastive: warning: batch ${this.args.perDeviceTrainBatchSize} × ${d.textColumns.length} columns on this model may exceed the 4 GiB wasm heap ` +
            `(~${(bytes / 2 ** 30).toFixed(1)} GiB of activations); for MNRL use cached-mnrl (same loss and gradients, memory bounded by its mini-batch)\n`,
        );
      }
    }
  }

  /** Runs every evaluator; metrics are keyed `eval_<name>_<metric>` as sentence-transformers logs them. */
  async evaluate(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    // The model's own tfjs path unless an ONNX snapshot is taken below.
    let runner: { embed(texts: string[]): Promise<ArrayLike<number>[]> } = {
      embed: (texts) => this.model.embed(texts, { engine: 'tfjs' }),
    };
    let release = async () => {};
    const nativeTfjs = this.args.evalEngine === 'auto' && tf.getBackend() === 'tensorflow';
    if (
      this.args.evalEngine !== 'tfjs' &&
      !nativeTfjs &&
      this.evaluators.some((e) => typeof e !== 'function')
    ) {
      try {
        const onnx = await this.model.toOnnx();
        runner = onnx;
        release = () => onnx.release();
      } catch (e) {
        if (this.args.evalEngine === 'onnx') throw e;
      }
    }
    try {
      for (const [i, ev] of this.evaluators.entries()) {
        if (typeof ev === 'function') {
          for (const [k, v] of Object.entries(await ev(this.model)))
            out[k.startsWith('eval_') ? k : `eval_${k}`] = v;
        } else {
          const r = await ev.evaluate(runner);
          const name = ev.name ?? `evaluator${i}`;
          for (const [k, v] of Object.entries(r.scores)) out[`eval_${name}_${k}`] = v;
        }
      }
    } finally {
      await release();
    }
    return out;
  }

  private metricKey(metrics: Record<string, number>): string | undefined {
    if (this.args.metricForBestModel) return metric(metrics, this.args.metricForBestModel);
    const first = this.evaluators[0];
    if (first && typeof first !== 'function') {
      return (
        Object.keys(metrics).find(
          (k) =>
            k.startsWith(`eval_${first.name}_`) && /spearman_cosine|ndcg@?_?(at_)?10|accuracy|map/.test(k),
        ) ?? Object.keys(metrics)[0]
      );
    }
    return Object.keys(metrics)[0];
  }

  private greaterIsBetter(key: string): boolean {
    return this.args.greaterIsBetter ?? !/loss/.test(key);
  }

  async train(options: { resumeFromCheckpoint?: string | boolean } = {}): Promise<TrainResult> {
    await ensureBackend();
    const a = this.args;
    const out = resolve(a.outputDir);
    mkdirSync(out, { recursive: true });
    const optimizer = this.setupOptimizer();
    const engine = await this.createTrainEngine();
    if (!engine) this.warnAboutWasmHeap();
    const accum = a.gradientAccumulationSteps;
    const batchesPerEpoch = this.epochBatches(0).length;
    if (batchesPerEpoch === 0)
      throw new Error(
        'the data sets give no batch (fewer rows than the batch size with dataloaderDropLast?)',
      );
    const stepsPerEpoch = Math.ceil(batchesPerEpoch / accum);
    const totalSteps = a.maxSteps > 0 ? a.maxSteps : Math.ceil(stepsPerEpoch * a.numTrainEpochs);
    const warmup = warmupStepsFor(a, totalSteps);
    this.state.maxSteps = totalSteps;

    let st: TrainerCheckpointState = {
      globalStep: 0,
      epoch: 0,
      batchInEpoch: 0,
      logHistory: [],
      lossSum: 0,
      lossCount: 0,
    };
    let resumeDir =
      typeof options.resumeFromCheckpoint === 'string' ? options.resumeFromCheckpoint : undefined;
    if (options.resumeFromCheckpoint === true) {
      resumeDir = listCheckpoints(out).pop();
      if (!resumeDir) throw new Error(`${out}: no checkpoint to resume from`);
    }
    if (resumeDir)
      st = loadCheckpoint(resumeDir, { model: this.model, optimizer, lossVariables: this.lossVariables });
    Object.assign(this.state, {
      globalStep: st.globalStep,
      epoch: st.epoch,
      logHistory: st.logHistory,
      bestMetric: st.bestMetric,
      bestModelCheckpoint: st.bestModelCheckpoint,
    });
    let lastCheckpoint = resumeDir ?? listCheckpoints(out).pop();

    const metricsFile = join(out, 'metrics.jsonl');
    const logLine = (o: Record<string, number>) => appendFileSync(metricsFile, `${JSON.stringify(o)}\n`);
    const control: TrainerControl = { shouldStop: false };
    const progress = createProgress('train', totalSteps, { enabled: a.progress });
    let runLossSum = 0;
    let runLossCount = 0;
    let lastEval: Record<string, number> = {};
    let lastLr = 0;
    let lastGradNorm = 0;

    const doLog = async () => {
      if (st.lossCount === 0) return;
      const logs: Record<string, number> = {
        step: st.globalStep,
        epoch: Number((st.epoch + st.batchInEpoch / batchesPerEpoch).toFixed(4)),
        loss: st.lossSum / st.lossCount,
        learning_rate: lastLr,
        grad_norm: lastGradNorm,
      };
      st.lossSum = 0;
      st.lossCount = 0;
      st.logHistory.push(logs);
      logLine(logs);
      for (const cb of this.callbacks) await cb.onLog?.(this.state, logs, control);
    };
    const doEval = async () => {
      if (this.evaluators.length === 0) return;
      lastEval = await this.evaluate();
      const entry = {
        step: st.globalStep,
        epoch: Number((st.epoch + st.batchInEpoch / batchesPerEpoch).toFixed(4)),
        ...lastEval,
      };
      st.logHistory.push(entry);
      logLine(entry);
      for (const cb of this.callbacks) await cb.onEvaluate?.(this.state, lastEval, control);
    };
    const doSave = async () => {
      const key = this.metricKey(lastEval);
      let improved = false;
      if (key !== undefined && lastEval[key] !== undefined) {
        const v = lastEval[key]!;
        const better =
          st.bestMetric === undefined || (this.greaterIsBetter(key) ? v > st.bestMetric : v < st.bestMetric);
        if (better) {
          st.bestMetric = v;
          improved = true;
        }
      }
      const target = join(out, `checkpoint-${st.globalStep}`);
      if (improved) st.bestModelCheckpoint = target;
      const dir = await saveCheckpoint(out, {
        model: this.model,
        optimizer,
        lossVariables: this.lossVariables,
        state: st,
        args: a,
        scheduler: { lr: a.learningRate, warmupSteps: warmup, totalSteps },
      });
      lastCheckpoint = dir;
      rotateCheckpoints(out, a.saveTotalLimit, st.bestModelCheckpoint);
      for (const cb of this.callbacks) await cb.onSave?.(this.state, dir, control);
    };

    try {
      let schedule = this.epochBatches(st.epoch);
      const maxEpochs = a.maxSteps > 0 ? Number.POSITIVE_INFINITY : Math.ceil(a.numTrainEpochs);
      while (st.globalStep < totalSteps && !control.shouldStop) {
        if (st.batchInEpoch >= schedule.length) {
          st.epoch += 1;
          st.batchInEpoch = 0;
          if (st.epoch >= maxEpochs) break;
          schedule = this.epochBatches(st.epoch);
        }
        // Gather this optimizer step's micro-batches (fewer at the end of an epoch).
        const micro = schedule.slice(st.batchInEpoch, Math.min(schedule.length, st.batchInEpoch + accum));
        const sums = new Map<string, tf.Tensor>();
        let stepLoss = 0;
        for (const [m, sb] of micro.entries()) {
          const d = this.datasets[sb.dataset]!;
          const batch = this.lossBatch(d, sb.rows);
          const ctx: LossContext = {
            training: true,
            seed: mixSeed(a.seed, st.globalStep, m),
            dropoutRate: a.dropout,
          };
          if (this.promptsViaModel(d)) ctx.prompts = d.textColumns.map((c) => d.prompts[c] || undefined);
          const model = this.model as unknown as EmbeddingModel;
          let r: LossGradients;
          if (engine && d.loss.forward) {
            const step = engine.beginStep();
            try {
              r = await computeLossAndGradientsExternal(d.loss, model, step, batch, ctx);
            } finally {
              step.dispose();
            }
          } else r = computeLossAndGradients(d.loss, model, batch, ctx);
          if (!Number.isFinite(r.loss)) {
            for (const g of r.grads.values()) g.dispose();
            for (const g of sums.values()) g.dispose();
            progress.stop();
            throw new NonFiniteLossError(
              st.globalStep + 1,
              r.loss,
              batch.columns[batch.columnNames[0]!]!.slice(0, 3),
              lastCheckpoint,
            );
          }
          stepLoss += r.loss / micro.length;
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
        // Mean over micro-batches, global-norm clipping, then one AdamW step at the scheduled rate.
        const scale = 1 / micro.length;
        // Read in place (no temporaries on the wasm heap).
        const gradNorm = globalNorm(sums.values()) * scale;
        const clip = a.maxGradNorm > 0 && gradNorm > a.maxGradNorm ? a.maxGradNorm / (gradNorm + 1e-6) : 1;
        const final = new Map<string, tf.Tensor>();
        for (const [k, g] of sums) {
          if (scale * clip === 1) final.set(k, g);
          else {
            final.set(k, tf.mul(g, scale * clip));
            g.dispose();
          }
        }
        lastLr = a.learningRate * lrMultiplier(a.lrSchedulerType, st.globalStep, warmup, totalSteps);
        optimizer.lr = lastLr;
        optimizer.applyGradients(final);
        for (const g of final.values()) g.dispose();

        st.globalStep += 1;
        st.batchInEpoch += micro.length;
        st.lossSum += stepLoss;
        st.lossCount += 1;
        runLossSum += stepLoss;
        runLossCount += 1;
        lastGradNorm = gradNorm;
        this.state.globalStep = st.globalStep;
        this.state.epoch = st.epoch;
        progress.update(st.globalStep, { loss: stepLoss, lr: lastLr });

        const epochEnd = st.batchInEpoch >= schedule.length;
        const step = st.globalStep;
        const at = (strategy: string, every: number) =>
          (strategy === 'steps' && step % every === 0) || (strategy === 'epoch' && epochEnd);
        const isLast = step >= totalSteps || (epochEnd && st.epoch + 1 >= maxEpochs);
        if (
          (a.loggingStrategy !== 'no' &&
            (at(a.loggingStrategy, a.loggingSteps) || (a.loggingFirstStep && step === 1))) ||
          isLast
        )
          await doLog();
        if (a.evalStrategy !== 'no' && at(a.evalStrategy, a.evalSteps)) await doEval();
        if (a.saveStrategy !== 'no' && at(a.saveStrategy, a.saveSteps)) await doSave();
      }
    } finally {
      await engine?.release();
    }
    progress.stop();
    await doLog();

    if (a.loadBestModelAtEnd && st.bestModelCheckpoint) this.model.loadWeightsFrom(st.bestModelCheckpoint);
    const finalEval = this.evaluators.length > 0 ? await this.evaluate() : {};
    if (this.evaluators.length > 0) {
      const entry = { step: st.globalStep, final: 1, ...finalEval };
      logLine(entry);
      st.logHistory.push(entry);
    }
    for (const cb of this.callbacks) await cb.onTrainEnd?.(this.state, control);
    const result: TrainResult = {
      outputDir: out,
      globalStep: st.globalStep,
      trainLoss: runLossCount > 0 ? runLossSum / runLossCount : Number.NaN,
      eval: finalEval,
      bestModelCheckpoint: st.bestModelCheckpoint,
    };
    await this.saveFinalModel(out, result, st.logHistory);
    return result;
  }

  /**
   * The trained encoder in sentence-transformers layout at the output root (so `outputDir` loads as a model),
   * beside its checkpoints, metrics, plot and model card.
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

function exampleRows(d: PreparedDataset): Array<Record<string, unknown>> {
  return Array.from({ length: Math.min(3, d.data.numRows) }, (_, r) =>
    Object.fromEntries(d.data.columnNames.map((c) => [c, d.data.column(c)[r]])),
  );
}
