import { initBackend } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { TableModel, batchOf, evalCtx } from '../../test/table_model.js';
import { computeLoss, computeLossAndGradients } from '../compute.js';
import { createLoss } from '../registry.js';
import { DistillKLDivLoss, EmbeddingMSELoss, MarginMSELoss } from './distillation.js';

let model: TableModel;
beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  model = new TableModel({
    q1: [1, 2],
    p1: [3, 0],
    n1: [0, 1],
    m1: [1, 1],
    q2: [1, 0],
    p2: [1, 1],
    n2: [2, 0],
    m2: [0, 5],
  });
});

describe('MarginMSELoss (hand-computed, dot product)', () => {
  it('one negative: MSE of (q·p − q·n) against the teacher margin', () => {
    // Row 1: q1·p1 = 3, q1·n1 = 2 → margin 1, label 0.5 → 0.25. Row 2: q2·p2 = 1, q2·n2 = 2 → −1, label 0 → 1.
    const batch = batchOf({ q: ['q1', 'q2'], p: ['p1', 'p2'], n: ['n1', 'n2'] }, [0.5, 0]);
    expect(computeLoss(new MarginMSELoss(), model, batch, evalCtx)).toBeCloseTo((0.25 + 1) / 2, 6);
  });
  it('several negatives: a list of margins per row', () => {
    // Second negatives: q1·m1 = 3 → margin 0; q2·m2 = 0 → margin 1. Labels [[0.5, 1], [0, 0]].
    // Squared errors: (1 − 0.5)², (0 − 1)², (−1 − 0)², (1 − 0)² → mean over 4.
    const batch = batchOf({ q: ['q1', 'q2'], p: ['p1', 'p2'], n: ['n1', 'n2'], m: ['m1', 'm2'] }, [
      [0.5, 1],
      [0, 0],
    ]);
    expect(computeLoss(new MarginMSELoss(), model, batch, evalCtx)).toBeCloseTo((0.25 + 1 + 1 + 1) / 4, 6);
    const bad = batchOf({ q: ['q1', 'q2'], p: ['p1', 'p2'], n: ['n1', 'n2'], m: ['m1', 'm2'] }, [
      [0.5],
      [0, 0],
    ]);
    expect(() => computeLoss(new MarginMSELoss(), model, bad, evalCtx)).toThrow(
      /label of row 0 must be a list of 2 numbers/,
    );
  });
});

describe('DistillKLDivLoss (hand-computed)', () => {
  const logSoftmax = (xs: number[]) => {
    const l = Math.log(xs.reduce((s, x) => s + Math.exp(x), 0));
    return xs.map((x) => x - l);
  };
  const kl = (teacher: number[], student: number[]) => {
    const t = logSoftmax(teacher);
    const s = logSoftmax(student);
    return t.reduce((sum, tk, k) => sum + Math.exp(tk) * (tk - s[k]!), 0);
  };
  // Student dot scores: row 1 [q1·p1, q1·n1] = [3, 2]; row 2 [q2·p2, q2·n2] = [1, 2].
  const batch = () =>
    batchOf({ q: ['q1', 'q2'], p: ['p1', 'p2'], n: ['n1', 'n2'] }, [
      [1, 0],
      [0, 0],
    ]);
  it('KL(teacher ‖ student) of the softmaxes, batch mean', () => {
    const expected = (kl([1, 0], [3, 2]) + kl([0, 0], [1, 2])) / 2;
    expect(computeLoss(new DistillKLDivLoss(), model, batch(), evalCtx)).toBeCloseTo(expected, 6);
  });
  it('temperature divides both score sets and scales the loss by T²', () => {
    const expected = ((kl([0.5, 0], [1.5, 1]) + kl([0, 0], [0.5, 1])) / 2) * 4;
    expect(computeLoss(new DistillKLDivLoss({ temperature: 2 }), model, batch(), evalCtx)).toBeCloseTo(
      expected,
      6,
    );
  });
  it('needs one teacher score per candidate', () => {
    const b = batchOf({ q: ['q1', 'q2'], p: ['p1', 'p2'], n: ['n1', 'n2'] }, [
      [1, 0, 2],
      [0, 0, 1],
    ]);
    expect(() => computeLoss(new DistillKLDivLoss(), model, b, evalCtx)).toThrow(
      /DistillKLDivLoss: label of row 0 must be a list of 2 numbers \(teacher scores/,
    );
  });
});

describe('EmbeddingMSELoss (sentence-transformers bi-encoder MSELoss, hand-computed)', () => {
  // Two columns (an English text and its "translation") against the teacher's embedding of the English text.
  const batch = () =>
    batchOf({ en: ['q1', 'q2'], xx: ['p1', 'm2'] }, [
      [1, 1],
      [0, 1],
    ]);
  it('mean squared error over every value of every column against the label embedding', () => {
    // en: q1 [1, 2] − [1, 1] → (0, 1); q2 [1, 0] − [0, 1] → (1, −1): Σ² 3 over 4 values.
    // xx: p1 [3, 0] − [1, 1] → (2, −1); m2 [0, 5] − [0, 1] → (0, 4): Σ² 21 over 4 values.
    expect(computeLoss(new EmbeddingMSELoss(), model, batch(), evalCtx)).toBeCloseTo((3 / 4 + 21 / 4) / 2, 6);
  });
  it('gradient 2 (e − t) / (rows × width × columns) on each embedding', () => {
    const { loss, grads } = computeLossAndGradients(new EmbeddingMSELoss(), model, batch(), evalCtx);
    expect(loss).toBeCloseTo(3, 6);
    const rows = TableModel.rows(grads.get('table')!, model, ['q1', 'q2', 'p1', 'm2']);
    const g = (e: number) => (2 * e) / (2 * 2 * 2);
    expect(rows).toEqual(
      [
        [0, 1],
        [1, -1],
        [2, -1],
        [0, 4],
      ].map((r) => r.map((e) => expect.closeTo(g(e), 6))),
    );
    for (const t of grads.values()) t.dispose();
  });
  it('names a label of the wrong width; the registry builds it by name', () => {
    const bad = batchOf({ en: ['q1', 'q2'] }, [[1, 1], [0]]);
    expect(() => computeLoss(new EmbeddingMSELoss(), model, bad, evalCtx)).toThrow(
      /EmbeddingMSELoss: label of row 1 must be a list of 2 numbers \(the teacher's embedding/,
    );
    expect(createLoss('embedding-mse')).toBeInstanceOf(EmbeddingMSELoss);
    expect(createLoss('EmbeddingMSELoss')).toBeInstanceOf(EmbeddingMSELoss);
  });
});
