import { type LbfgsOptions, minimizeLbfgs } from './internal/lbfgs.js';

export type Label = string | number;

export interface LogisticRegressionOptions extends LbfgsOptions {
  /** Inverse L2 strength, scikit-learn's C (default 1). */
  C?: number;
}

/**
 * scikit-learn's `LogisticRegression()` (lbfgs, L2, C=1, intercept not penalised): multinomial softmax for
 * three or more classes, a single logistic for two (as scikit-learn fits binary problems). The objective,
 * scaled as scikit-learn scales it, is mean cross-entropy + ||W||² / (2·C·n).
 */
export class LogisticRegression {
  private constructor(
    /** Sorted distinct labels (numpy.unique order); the columns of the model. */
    readonly classes: Label[],
    /** Row-major: one row of `dim` weights followed by the intercept per class (one row for binary). */
    readonly parameters: Float64Array,
    readonly dim: number,
    readonly iterations: number,
    readonly converged: boolean,
  ) {}

  static fit(
    features: ArrayLike<number>[],
    labels: Label[],
    options: LogisticRegressionOptions = {},
  ): LogisticRegression {
    if (features.length !== labels.length) {
      throw new Error(`LogisticRegression.fit: ${features.length} feature rows but ${labels.length} labels`);
    }
    if (features.length === 0) throw new Error('LogisticRegression.fit: no training examples');
    const classes = sortedClasses(labels);
    if (classes.length < 2)
      throw new Error(`LogisticRegression.fit: needs at least 2 classes, got ${classes.length}`);
    const dim = features[0]!.length;
    const X = flatten(features, dim);
    const classIndex = new Map<Label, number>(classes.map((c, i) => [c, i]));
    const y = Int32Array.from(labels, (l) => classIndex.get(l)!);
    const objective =
      classes.length === 2
        ? binaryObjective(X, y, dim, options.C ?? 1)
        : multinomialObjective(X, y, dim, classes.length, options.C ?? 1);
    const rows = classes.length === 2 ? 1 : classes.length;
    const result = minimizeLbfgs(objective, new Float64Array(rows * (dim + 1)), {
      gradientTolerance: options.gradientTolerance ?? 1e-8,
      maxIterations: options.maxIterations ?? 1000,
      ...options,
    });
    return new LogisticRegression(classes, result.x, dim, result.iterations, result.converged);
  }

  /** Raw scores: one per class (multinomial) or one per row (binary: > 0 means classes[1]). */
  decisionFunction(features: ArrayLike<number>[]): Float64Array[] {
    const rows = this.classes.length === 2 ? 1 : this.classes.length;
    const d = this.dim;
    return features.map((x, r) => {
      if (x.length !== d)
        throw new Error(`LogisticRegression: row ${r} has ${x.length} features, the model ${d}`);
      const out = new Float64Array(rows);
      for (let k = 0; k < rows; k++) {
        const off = k * (d + 1);
        let z = this.parameters[off + d]!;
        for (let j = 0; j < d; j++) z += this.parameters[off + j]! * x[j]!;
        out[k] = z;
      }
      return out;
    });
  }

  /** Most probable class; ties go to the first class, as numpy's argmax does. */
  predict(features: ArrayLike<number>[]): Label[] {
    return this.decisionFunction(features).map((z) => {
      if (this.classes.length === 2) return this.classes[z[0]! > 0 ? 1 : 0]!;
      let best = 0;
      for (let k = 1; k < z.length; k++) if (z[k]! > z[best]!) best = k;
      return this.classes[best]!;
    });
  }
}

/** numpy.unique order: numbers ascending if every label is a number, else strings by code unit. */
export function sortedClasses(labels: Label[]): Label[] {
  const distinct = [...new Set(labels)];
  if (distinct.every((l) => typeof l === 'number')) return (distinct as number[]).sort((a, b) => a - b);
  return distinct
    .map(String)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((s) => {
      // Keep the caller's label values (a numeric label stays a number only if all were numbers).
      return distinct.find((l) => String(l) === s)!;
    });
}

function flatten(rows: ArrayLike<number>[], dim: number): Float64Array {
  const X = new Float64Array(rows.length * dim);
  rows.forEach((r, i) => {
    if (r.length !== dim)
      throw new Error(`LogisticRegression.fit: row ${i} has ${r.length} features, row 0 has ${dim}`);
    for (let j = 0; j < dim; j++) X[i * dim + j] = r[j]!;
  });
  return X;
}

/** Mean softmax cross-entropy + ||W||²/(2Cn); parameters are K rows of [w (dim), b]. */
export function multinomialObjective(
  X: Float64Array,
  y: Int32Array,
  dim: number,
  numClasses: number,
  C: number,
) {
  const n = y.length;
  const z = new Float64Array(numClasses);
  const l2 = 1 / (C * n);
  return (params: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    const stride = dim + 1;
    for (let i = 0; i < n; i++) {
      const xOff = i * dim;
      let zMax = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < numClasses; k++) {
        const off = k * stride;
        let s = params[off + dim]!;
        for (let j = 0; j < dim; j++) s += params[off + j]! * X[xOff + j]!;
        z[k] = s;
        if (s > zMax) zMax = s;
      }
      let sumExp = 0;
      for (let k = 0; k < numClasses; k++) {
        const e = Math.exp(z[k]! - zMax);
        z[k] = e;
        sumExp += e;
      }
      const yi = y[i]!;
      loss += -Math.log(z[yi]! / sumExp);
      for (let k = 0; k < numClasses; k++) {
        const residual = (z[k]! / sumExp - (k === yi ? 1 : 0)) / n;
        const off = k * stride;
        for (let j = 0; j < dim; j++) grad[off + j]! += residual * X[xOff + j]!;
        grad[off + dim]! += residual;
      }
    }
    let penalty = 0;
    for (let k = 0; k < numClasses; k++) {
      const off = k * stride;
      for (let j = 0; j < dim; j++) {
        const w = params[off + j]!;
        penalty += w * w;
        grad[off + j]! += l2 * w;
      }
    }
    return loss / n + 0.5 * l2 * penalty;
  };
}

/** Mean logistic loss (y ∈ {0, 1}) + ||w||²/(2Cn); parameters are [w (dim), b]. */
export function binaryObjective(X: Float64Array, y: Int32Array, dim: number, C: number) {
  const n = y.length;
  const l2 = 1 / (C * n);
  return (params: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const xOff = i * dim;
      let z = params[dim]!;
      for (let j = 0; j < dim; j++) z += params[j]! * X[xOff + j]!;
      // log(1 + e^z) - y z, computed without overflow.
      const softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
      loss += softplus - y[i]! * z;
      const p = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
      const residual = (p - y[i]!) / n;
      for (let j = 0; j < dim; j++) grad[j]! += residual * X[xOff + j]!;
      grad[dim]! += residual;
    }
    let penalty = 0;
    for (let j = 0; j < dim; j++) {
      penalty += params[j]! * params[j]!;
      grad[j]! += l2 * params[j]!;
    }
    return loss / n + 0.5 * l2 * penalty;
  };
}
