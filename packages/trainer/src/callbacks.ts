/** What callbacks see. */
export interface TrainerState {
  globalStep: number;
  epoch: number;
  maxSteps: number;
  logHistory: Array<Record<string, number>>;
  /** The best value so far of `bestMetricKey`. */
  bestMetric?: number;
  /**
   * The metric the trainer picks the best model by, as it resolved it at the last evaluation during training
   * (`metricForBestModel`, else the first evaluator's main score, else the first metric); set from the first
   * evaluation on.
   */
  bestMetricKey?: string;
  bestModelCheckpoint?: string;
}

/** Callbacks can stop training (early stopping) by setting `shouldStop`. */
export interface TrainerControl {
  shouldStop: boolean;
}

export interface TrainerCallback {
  onLog?(state: TrainerState, logs: Record<string, number>, control: TrainerControl): void | Promise<void>;
  onEvaluate?(
    state: TrainerState,
    metrics: Record<string, number>,
    control: TrainerControl,
  ): void | Promise<void>;
  onSave?(state: TrainerState, checkpointDir: string, control: TrainerControl): void | Promise<void>;
  onTrainEnd?(state: TrainerState, control: TrainerControl): void | Promise<void>;
}

/**
 * Stops when `metric` has not improved by more than `threshold` for `patience` evaluations
 * (transformers' EarlyStoppingCallback).
 */
export class EarlyStoppingCallback implements TrainerCallback {
  private best: number | undefined;
  private bad = 0;

  constructor(
    readonly metric: string,
    readonly options: { patience?: number; threshold?: number; greaterIsBetter?: boolean } = {},
  ) {}

  onEvaluate(_state: TrainerState, metrics: Record<string, number>, control: TrainerControl): void {
    const key = metric(metrics, this.metric);
    if (key === undefined) return;
    const v = metrics[key]!;
    const greater = this.options.greaterIsBetter ?? !/loss/.test(this.metric);
    const threshold = this.options.threshold ?? 0;
    const improved =
      this.best === undefined || (greater ? v > this.best + threshold : v < this.best - threshold);
    if (improved) {
      this.best = v;
      this.bad = 0;
    } else if (++this.bad >= (this.options.patience ?? 1)) {
      control.shouldStop = true;
    }
  }
}

/** Finds a metric by full key or by suffix (`spearman_cosine` matches `eval_sts-dev_spearman_cosine`). */
export function metric(metrics: Record<string, number>, name: string): string | undefined {
  if (name in metrics) return name;
  const withEval = name.startsWith('eval_') ? name : `eval_${name}`;
  if (withEval in metrics) return withEval;
  return Object.keys(metrics).find((k) => k.endsWith(`_${name}`) || k.endsWith(name));
}
