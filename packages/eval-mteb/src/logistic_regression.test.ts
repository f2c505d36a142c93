import { describe, expect, it } from 'vitest';
import { minimizeLbfgs } from './internal/lbfgs.js';
import {
  LogisticRegression,
  binaryObjective,
  multinomialObjective,
  sortedClasses,
} from './logistic_regression.js';

/** Small deterministic pseudo-random generator for test data. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function finiteDifferenceCheck(f: (p: Float64Array, g: Float64Array) => number, size: number) {
  const rand = lcg(3);
  const p = Float64Array.from({ length: size }, () => rand());
  const g = new Float64Array(size);
  f(p, g);
  const scratch = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const h = 1e-6;
    const plus = Float64Array.from(p);
    plus[i]! += h;
    const minus = Float64Array.from(p);
    minus[i]! -= h;
    const numeric = (f(plus, scratch) - f(minus, scratch)) / (2 * h);
    expect(g[i]).toBeCloseTo(numeric, 7);
  }
}

describe('objectives', () => {
  const rand = lcg(11);
  const n = 7;
  const dim = 3;
  const X = Float64Array.from({ length: n * dim }, () => rand() * 2);
  it('multinomial gradient matches finite differences', () => {
    const y = Int32Array.from([0, 1, 2, 2, 1, 0, 1]);
    finiteDifferenceCheck(multinomialObjective(X, y, dim, 3, 0.7), 3 * (dim + 1));
  });
  it('binary gradient matches finite differences', () => {
    const y = Int32Array.from([0, 1, 1, 0, 1, 0, 0]);
    finiteDifferenceCheck(binaryObjective(X, y, dim, 1.3), dim + 1);
  });
  it('leaves the intercept unpenalised', () => {
    // With all weights 0 and a single class present, only the intercept moves the loss; the penalty is 0.
    const obj = multinomialObjective(new Float64Array([1, 1]), Int32Array.from([0, 0]), 1, 2, 1);
    const g = new Float64Array(4);
    // Parameters [w0, b0, w1, b1] = [0, 5, 0, 0]: loss = log(1 + e^-5), no penalty term from b.
    expect(obj(Float64Array.from([0, 5, 0, 0]), g)).toBeCloseTo(Math.log1p(Math.exp(-5)), 14);
  });
});

describe('minimizeLbfgs', () => {
  it('finds the minimum of an ill-conditioned quadratic', () => {
    const scales = [1, 10, 100, 1000];
    const r = minimizeLbfgs((x, g) => {
      let f = 0;
      scales.forEach((s, i) => {
        const d = x[i]! - (i + 1);
        f += 0.5 * s * d * d;
        g[i] = s * d;
      });
      return f;
    }, new Float64Array(4));
    expect(r.converged).toBe(true);
    [1, 2, 3, 4].forEach((v, i) => expect(r.x[i]).toBeCloseTo(v, 8));
  });
});

describe('LogisticRegression', () => {
  it('solves the 1-D binary case (hand-derived optimum)', () => {
    // X = [1], [-1], y = 1, 0, C = 1. By symmetry b = 0 and the objective is
    // log(1 + e^-w) + w²/4, so the optimum solves w/2 = 1/(1 + e^w); solve by bisection.
    let lo = 0;
    let hi = 5;
    for (let i = 0; i < 200; i++) {
      const mid = (lo + hi) / 2;
      if (mid / 2 - 1 / (1 + Math.exp(mid)) > 0) hi = mid;
      else lo = mid;
    }
    const clf = LogisticRegression.fit([[1], [-1]], [1, 0]);
    expect(clf.parameters.length).toBe(2); // one weight vector + intercept, as scikit-learn fits binary
    expect(clf.parameters[0]).toBeCloseTo(lo, 6);
    expect(clf.parameters[1]).toBeCloseTo(0, 6);
    expect(clf.predict([[0.3], [-0.2]])).toEqual([1, 0]);
  });

  it('separates well-separated classes and reaches a stationary point', () => {
    const rand = lcg(5);
    const centers = [
      [3, 0],
      [-3, 3],
      [-3, -3],
    ];
    const X: number[][] = [];
    const y: string[] = [];
    for (let i = 0; i < 60; i++) {
      const c = i % 3;
      X.push([centers[c]![0]! + rand(), centers[c]![1]! + rand()]);
      y.push(['cat', 'ant', 'bee'][c]!);
    }
    const clf = LogisticRegression.fit(X, y);
    expect(clf.converged).toBe(true);
    expect(clf.classes).toEqual(['ant', 'bee', 'cat']);
    expect(clf.predict(X)).toEqual(y);
    // Optimality: the objective's gradient vanishes and no nearby point is lower.
    const flat = Float64Array.from(X.flat());
    const obj = multinomialObjective(
      flat,
      Int32Array.from(y, (l) => clf.classes.indexOf(l)),
      2,
      3,
      1,
    );
    const g = new Float64Array(clf.parameters.length);
    const best = obj(clf.parameters, g);
    expect(Math.max(...g.map(Math.abs))).toBeLessThan(1e-6);
    const rand2 = lcg(9);
    for (let t = 0; t < 20; t++) {
      const p = clf.parameters.map((v) => v + 1e-3 * rand2());
      expect(obj(p, new Float64Array(p.length))).toBeGreaterThan(best);
    }
  });

  it('orders classes like numpy.unique and checks its input', () => {
    expect(sortedClasses([10, 2, 33, 2])).toEqual([2, 10, 33]);
    expect(sortedClasses(['b', 'B', 'a'])).toEqual(['B', 'a', 'b']);
    expect(() => LogisticRegression.fit([[1]], ['a'])).toThrow(/at least 2 classes/);
    expect(() => LogisticRegression.fit([[1], [1, 2]], ['a', 'b'])).toThrow(/row 1 has 2 features/);
    expect(() => LogisticRegression.fit([[1]], ['a', 'b'])).toThrow(/1 feature rows but 2 labels/);
  });
});
