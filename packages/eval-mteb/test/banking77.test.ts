import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test-support/shared.js';
import { ClassificationEvaluator, getTask, loadClassificationData } from '../src/index.js';
import { HashingEmbedder } from './hashing_embedder.js';

describe('Banking77 (MTEB classification protocol)', () => {
  it('loads the CSV files with the "category" label column', () => {
    const train = loadClassificationData(sharedPath('data', 'banking77', 'train.csv'));
    const test = loadClassificationData(sharedPath('data', 'banking77', 'test.csv'));
    expect(train.texts.length).toBe(10003);
    expect(test.texts.length).toBe(3080);
    expect(new Set(train.labels).size).toBe(77);
    expect(new Set(test.labels).size).toBe(77);
    expect(train.texts[0]).toBe('I am still waiting on my card?');
    expect(train.labels[0]).toBe('card_arrival');
    // A quoted field with a comma inside stays one text.
    expect(train.texts[4]).toBe('How do I know if I will get my card, or if it is lost?');
  });

  it('runs the full protocol (10 × 8 per label, logistic regression) with a hashed bag-of-words model', async () => {
    const task = await getTask('Banking77Classification', { path: sharedPath('data', 'banking77') });
    expect(task).toBeInstanceOf(ClassificationEvaluator);
    const model = new HashingEmbedder(64);
    const result = await task.evaluate(model, { batchSize: 512 });
    expect(result.task).toBe('Banking77Classification');
    expect(result.mainScoreName).toBe('accuracy');
    expect(result.mainScore).toBe(result.scores.accuracy);
    // Each distinct text embedded once across the 10 experiments (some texts repeat in the files).
    const train = loadClassificationData(sharedPath('data', 'banking77', 'train.csv'));
    const test = loadClassificationData(sharedPath('data', 'banking77', 'test.csv'));
    expect(model.textsEmbedded).toBe(new Set([...train.texts, ...test.texts]).size);
    // Word overlap with 8 examples per intent is far above chance (1/77) but far from perfect.
    expect(result.scores.accuracy).toBeGreaterThan(0.2);
    expect(result.scores.accuracy).toBeLessThan(0.9);
    for (const key of ['f1', 'f1_weighted', 'accuracy_stderr', 'f1_stderr', 'f1_weighted_stderr']) {
      expect(Number.isFinite(result.scores[key])).toBe(true);
    }
    expect(result.scores.accuracy_stderr).toBeGreaterThan(0);
    // An independent numpy + scipy run of the same protocol on the same hashed vectors (numpy's
    // RandomState(42) undersampling, L-BFGS on scikit-learn's objective) gave mean accuracy 0.4201.
    expect(result.scores.accuracy).toBeCloseTo(0.4201, 2);
  });
});
