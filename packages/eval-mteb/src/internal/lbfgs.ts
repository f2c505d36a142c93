/** Limited-memory BFGS for smooth unconstrained minimisation (two-loop recursion, Armijo backtracking). */

export interface LbfgsOptions {
  /** Stop when max |gradient component| ≤ this (default 1e-8). */
  gradientTolerance?: number;
  /** Stop when the relative decrease of the objective in one step is ≤ this (default 1e-15). */
  relativeDecreaseTolerance?: number;
  maxIterations?: number;
  /** Correction pairs kept (scipy's maxcor, default 10). */
  historySize?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  gradient: Float64Array;
  iterations: number;
  converged: boolean;
}

/** Objective: writes the gradient at `x` into `gradient` and returns the value. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

function dotProduct(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

export function minimizeLbfgs(
  objective: Objective,
  x0: Float64Array,
  options: LbfgsOptions = {},
): LbfgsResult {
  const gtol = options.gradientTolerance ?? 1e-8;
  const ftol = options.relativeDecreaseTolerance ?? 1e-15;
  const maxIterations = options.maxIterations ?? 1000;
  const m = options.historySize ?? 10;
  const n = x0.length;

  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let f = objective(x, g);
  const sHistory: Float64Array[] = [];
  const yHistory: Float64Array[] = [];
  const rhoHistory: number[] = [];
  const alpha = new Float64Array(m);
  const direction = new Float64Array(n);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);

  let iterations = 0;
  let converged = maxAbs(g) <= gtol;
  while (!converged && iterations < maxIterations) {
    // Two-loop recursion: direction = -H g.
    for (let i = 0; i < n; i++) direction[i] = -g[i]!;
    const k = sHistory.length;
    for (let j = k - 1; j >= 0; j--) {
      const a = rhoHistory[j]! * dotProduct(sHistory[j]!, direction);
      alpha[j] = a;
      const yj = yHistory[j]!;
      for (let i = 0; i < n; i++) direction[i]! -= a * yj[i]!;
    }
    if (k > 0) {
      const yLast = yHistory[k - 1]!;
      const gamma = dotProduct(sHistory[k - 1]!, yLast) / dotProduct(yLast, yLast);
      for (let i = 0; i < n; i++) direction[i]! *= gamma;
    } else {
      // First step: a unit-length move along -g, as scipy's L-BFGS-B takes.
      const gn = Math.sqrt(dotProduct(g, g));
      for (let i = 0; i < n; i++) direction[i]! /= gn;
    }
    for (let j = 0; j < k; j++) {
      const b = rhoHistory[j]! * dotProduct(yHistory[j]!, direction);
      const sj = sHistory[j]!;
      const coeff = alpha[j]! - b;
      for (let i = 0; i < n; i++) direction[i]! += coeff * sj[i]!;
    }
    let slope = dotProduct(g, direction);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      sHistory.length = yHistory.length = rhoHistory.length = 0;
      for (let i = 0; i < n; i++) direction[i] = -g[i]!;
      slope = dotProduct(g, direction);
    }

    // Backtracking line search with the Armijo condition.
    let step = 1;
    let fNew = Number.NaN;
    let accepted = false;
    for (let trial = 0; trial < 60; trial++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * direction[i]!;
      fNew = objective(xNew, gNew);
      if (Number.isFinite(fNew) && fNew <= f + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    iterations++;
    if (!accepted) {
      // No decrease representable in floating point: we are at the optimum to machine precision.
      converged = true;
      break;
    }

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dotProduct(s, y);
    if (sy > 1e-12 * dotProduct(y, y)) {
      if (sHistory.length === m) {
        sHistory.shift();
        yHistory.shift();
        rhoHistory.shift();
      }
      sHistory.push(s);
      yHistory.push(y);
      rhoHistory.push(1 / sy);
    }
    const decrease = f - fNew;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = fNew;
    if (maxAbs(g) <= gtol || decrease <= ftol * Math.max(Math.abs(f), Math.abs(f + decrease), 1))
      converged = true;
  }
  return { x, value: f, gradient: g, iterations, converged };
}
