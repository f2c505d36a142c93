import { initBackend, tf } from '@contrastive/tensor-gpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { TableModel, batchOf, evalCtx } from '../test/table_model.js';
import { computeLoss } from './compute.js';
import { defineLoss, lossOption } from './loss_definition.js';
import type { CachedMultipleNegativesRankingLoss } from './losses/cached_mnrl.js';
import { GISTEmbedLoss } from './losses/gist.js';
import type { MatryoshkaLoss } from './losses/matryoshka.js';
import { type InfoNCELoss, MultipleNegativesRankingLoss } from './losses/mnrl.js';
import { type ContrastiveLoss, TripletLoss } from './losses/pair_losses.js';
import type { SoftmaxLoss } from './losses/softmax.js';
import { positive } from './options.js';
import { createLoss, describeLosses, listLosses, registerLoss } from './registry.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('loss registry', () => {
  it('lists every built-in loss under its kebab-case name', () => {
    for (const name of [
      'softmax',
      'cosine',
      'mnrl',
      'mnrl-symmetric',
      'infonce',
      'cached-mnrl',
      'triplet',
      'contrastive',
      'online-contrastive',
      'cosent',
      'angle',
      'matryoshka',
      'gist',
      'margin-mse',
      'distill-kl',
    ]) {
      expect(listLosses()).toContain(name);
    }
  });

  it('parses string options from --loss-arg (camelCase or snake_case)', () => {
    const mnrl = createLoss('mnrl', {
      scale: '10',
      similarity: 'dot_score',
      use_anchors_as_negatives: 'true',
    }) as MultipleNegativesRankingLoss;
    expect(mnrl).toBeInstanceOf(MultipleNegativesRankingLoss);
    expect([mnrl.scale, mnrl.similarity, mnrl.useAnchorsAsNegatives]).toEqual([10, 'dot', true]);
    const cached = createLoss('cached-mnrl', { mini_batch_size: '4' }) as CachedMultipleNegativesRankingLoss;
    expect(cached.miniBatchSize).toBe(4);
    expect((createLoss('infonce', { temperature: '0.1' }) as InfoNCELoss).scale).toBeCloseTo(10, 10);
    const triplet = createLoss('triplet', { distance: 'Manhattan', margin: 1 }) as TripletLoss;
    expect([triplet.distance, triplet.margin]).toEqual(['manhattan', 1]);
    expect((createLoss('contrastive', { sizeAverage: 'false' }) as ContrastiveLoss).sizeAverage).toBe(false);
    const softmax = createLoss('softmax', { num_labels: '3', embeddingDimension: '2' }) as SoftmaxLoss;
    expect(softmax.namedVariables()[0]!.variable.shape).toEqual([3, 6]);
    softmax.dispose();
    // sentence-transformers class names work too.
    expect(createLoss('MultipleNegativesRankingLoss')).toBeInstanceOf(MultipleNegativesRankingLoss);
  });

  it('matryoshka takes an inner loss by name with its options', () => {
    const loss = createLoss('matryoshka', {
      inner: 'mnrl',
      'inner.scale': '5',
      dims: '2,1',
      weights: '1,0.5',
    }) as MatryoshkaLoss;
    expect(loss.inner).toBeInstanceOf(MultipleNegativesRankingLoss);
    expect((loss.inner as MultipleNegativesRankingLoss).scale).toBe(5);
    expect(loss.matryoshkaDims).toEqual([2, 1]);
    const model = new TableModel({ a1: [1, 0], a2: [0, 1], p1: [1, 1], p2: [0, 2] });
    // dims 2: cos = [[r, 0], [r, 1]]·5; dims 1: a2 → (0) has zero norm → cos 0 (clamped norms).
    const r = Math.SQRT1_2;
    const lse = (...xs: number[]) => Math.log(xs.reduce((s, x) => s + Math.exp(x), 0));
    const dim2 = (lse(5 * r, 0) - 5 * r + lse(5 * r, 5) - 5) / 2;
    const dim1 = (lse(5, 0) - 5 + lse(0, 0) - 0) / 2; // a1·p1 = 1·1 → cos 1, a1·p2 = 0; a2 ≡ 0 → all 0
    const value = computeLoss(loss, model, batchOf({ a: ['a1', 'a2'], p: ['p1', 'p2'] }), evalCtx);
    expect(value).toBeCloseTo(dim2 + 0.5 * dim1, 5);
    model.dispose();
    expect(() => createLoss('matryoshka', { dims: '2' })).toThrow(/option inner is required/);
  });

  it('gist needs a guide model object', () => {
    const guide = new TableModel({ a: [1, 0] });
    expect(createLoss('gist', { guide, temperature: '0.05' })).toBeInstanceOf(GISTEmbedLoss);
    expect(() => createLoss('gist')).toThrow(/gist: option guide is required/);
    guide.dispose();
  });

  it('unknown names and options are errors that list what is known', () => {
    expect(() => createLoss('nope')).toThrow(
      /unknown loss "nope"; known losses: angle, batch-all-triplet, batch-hard-triplet, batch-semi-hard-triplet, bce, cached-mnrl, ce, ce-mnrl,/,
    );
    expect(() => createLoss('mnrl', { scael: 3 })).toThrow(
      /mnrl: unknown option scael \(known: scale, similarity, useAnchorsAsNegatives, maskFalseNegatives\)/,
    );
    expect(() => createLoss('mnrl', { scale: 'big' })).toThrow(
      'mnrl: option scale must be a number, got "big"',
    );
    expect(() => createLoss('mnrl', { scale: '-1' })).toThrow('mnrl: option scale must be positive, got -1');
    expect(() => createLoss('triplet', { distance: 'hamming' })).toThrow(
      /distance must be one of euclidean, cosine, manhattan/,
    );
    expect(() => createLoss('softmax')).toThrow(
      /softmax: option numLabels \(the number of classes\) is required/,
    );
    expect(() => createLoss('mnrl', { similarity: 'jaccard' })).toThrow(
      /mnrl: option similarity: unknown similarity function "jaccard"/,
    );
  });

  it('registerLoss adds a plugin loss', () => {
    registerLoss('my-triplet', (o) => new TripletLoss({ margin: Number(o.margin ?? 1) }));
    expect(listLosses()).toContain('my-triplet');
    expect((createLoss('my-triplet', { margin: 2 }) as TripletLoss).margin).toBe(2);
    expect(() => registerLoss('My Loss', () => new TripletLoss())).toThrow(/name must be kebab-case/);
  });

  it('a definition registers name, class alias, options and its help line in one call', () => {
    registerLoss(
      defineLoss({
        name: 'toy-triplet',
        className: 'ToyTripletLoss',
        description: 'a triplet loss with another default margin (anchor, positive, negative)',
        options: { margin: lossOption.number(2, positive), swap: lossOption.boolean(false) },
        create: (o) => new TripletLoss({ margin: o.swap ? -o.margin : o.margin }),
      }),
    );
    expect((createLoss('toy-triplet') as TripletLoss).margin).toBe(2);
    expect((createLoss('ToyTripletLoss', { margin: '3' }) as TripletLoss).margin).toBe(3);
    expect(() => createLoss('toy-triplet', { margn: 1 })).toThrow(
      'toy-triplet: unknown option margn (known: margin, swap)',
    );
    expect(describeLosses()).toContain(
      'toy-triplet (ToyTripletLoss): a triplet loss with another default margin (anchor, positive, negative). Options: margin=2, swap=false',
    );
  });

  it('describeLosses is generated from the definitions, defaults included', () => {
    const lines = describeLosses();
    expect(lines.map((l) => l.split(/[ :]/)[0])).toEqual(listLosses());
    expect(lines).toContain(
      'mnrl (MultipleNegativesRankingLoss): in-batch negatives: each anchor ranks its positive above every other candidate (anchor, positive[, negative...]). Options: scale=20, similarity=cosine, useAnchorsAsNegatives=false, maskFalseNegatives=false',
    );
    expect(lines.find((l) => l.startsWith('softmax '))).toMatch(
      /Options: numLabels=required, embeddingDimension, concatenationSentRep=true, concatenationSentDifference=true, concatenationSentMultiplication=false, seed=42$/,
    );
    expect(lines.find((l) => l.startsWith('cosine '))).not.toMatch(/Options/);
    expect(lines.find((l) => l.startsWith('my-triplet'))).toBe('my-triplet: (plugin)');
  });

  it('an unknown option fails before the loss allocates parameters', () => {
    const before = tf.memory().numTensors;
    expect(() => createLoss('softmax', { numLabels: 3, embeddingDimension: 2, bogus: 1 })).toThrow(
      'softmax: unknown option bogus (known: numLabels, embeddingDimension, sentenceEmbeddingDimension,',
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(() =>
      createLoss('softmax', { numLabels: 3, embeddingDimension: 2, sentence_embedding_dimension: 2 }),
    ).toThrow(
      'softmax: options embeddingDimension and sentenceEmbeddingDimension are the same option; give one',
    );
    expect(() => createLoss('matryoshka', { inner: 'mnrl', dims: '2', matryoshka_dims: '2' })).toThrow(
      'matryoshka: options dims and matryoshkaDims are the same option; give one',
    );
  });
});
