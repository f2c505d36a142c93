import { OptionReader, nonNegative, positive, positiveInteger } from './internal/options.js';
import { CachedMultipleNegativesRankingLoss } from './losses/cached_mnrl.js';
import { AnglELoss, CoSENTLoss } from './losses/cosent.js';
import {
  BinaryCrossEntropyLoss,
  CrossEncoderMSELoss,
  CrossEncoderMultipleNegativesRankingLoss,
  CrossEntropyLoss,
} from './losses/cross_encoder.js';
import { DistillKLDivLoss, MarginMSELoss } from './losses/distillation.js';
import { GISTEmbedLoss } from './losses/gist.js';
import { MatryoshkaLoss } from './losses/matryoshka.js';
import {
  InfoNCELoss,
  MultipleNegativesRankingLoss,
  MultipleNegativesSymmetricRankingLoss,
} from './losses/mnrl.js';
import {
  ContrastiveLoss,
  CosineSimilarityLoss,
  OnlineContrastiveLoss,
  TripletLoss,
} from './losses/pair_losses.js';
import { SoftmaxLoss } from './losses/softmax.js';
import type { EmbeddingModel, Loss, LossFactory, LossOptions } from './types.js';

const DISTANCES = ['euclidean', 'cosine', 'manhattan'] as const;
const factories = new Map<string, LossFactory>();
/** sentence-transformers class names → registry names, so `--loss MultipleNegativesRankingLoss` works too. */
const aliases = new Map<string, string>();

function key(name: string): string {
  return name.trim().toLowerCase();
}

/** Adds a loss under a kebab-case name (plugins); replaces an existing one of the same name. */
export function registerLoss(name: string, factory: LossFactory): void {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name))
    throw new Error(`registerLoss: name must be kebab-case (e.g. "my-loss"), got "${name}"`);
  if (typeof factory !== 'function')
    throw new Error(`registerLoss: factory for "${name}" must be a function`);
  factories.set(name, factory);
}

/** Registered names, sorted. */
export function listLosses(): string[] {
  return [...factories.keys()].sort();
}

/**
 * Builds a registered loss from a plain options object (values may be strings, as from
 * `--loss-arg key=value`; keys in camelCase or sentence-transformers' snake_case). Unknown names and unknown
 * options are errors that list what is known.
 */
export function createLoss(name: string, options: LossOptions = {}): Loss {
  const k = key(name);
  const factory = factories.get(k) ?? factories.get(aliases.get(k) ?? '');
  if (!factory) throw new Error(`unknown loss "${name}"; known losses: ${listLosses().join(', ')}`);
  return factory(options);
}

function build<T>(lossName: string, options: LossOptions, read: (r: OptionReader) => T): T {
  const r = new OptionReader(lossName, options);
  const out = read(r);
  r.done();
  return out;
}

function mnrlOptions(r: OptionReader) {
  return {
    similarity: r.similarity('similarity', 'cosine'),
    useAnchorsAsNegatives: r.boolean('useAnchorsAsNegatives', false),
    maskFalseNegatives: r.boolean('maskFalseNegatives', false),
  };
}

function register(name: string, className: string, factory: LossFactory): void {
  registerLoss(name, factory);
  aliases.set(key(className), name);
}

register('softmax', 'SoftmaxLoss', (o) =>
  build('softmax', o, (r) => {
    const numLabels = r.number('numLabels', undefined, positiveInteger);
    if (numLabels === undefined)
      throw new Error('softmax: option numLabels (the number of classes) is required');
    return new SoftmaxLoss({
      numLabels,
      embeddingDimension:
        r.number('embeddingDimension', undefined, positiveInteger) ??
        r.number('sentenceEmbeddingDimension', undefined, positiveInteger),
      concatenationSentRep: r.boolean('concatenationSentRep', true),
      concatenationSentDifference: r.boolean('concatenationSentDifference', true),
      concatenationSentMultiplication: r.boolean('concatenationSentMultiplication', false),
      seed: r.number('seed', 42),
    });
  }),
);
register('cosine', 'CosineSimilarityLoss', (o) => build('cosine', o, () => new CosineSimilarityLoss()));
register('mnrl', 'MultipleNegativesRankingLoss', (o) =>
  build(
    'mnrl',
    o,
    (r) => new MultipleNegativesRankingLoss({ scale: r.number('scale', 20, positive), ...mnrlOptions(r) }),
  ),
);
register('mnrl-symmetric', 'MultipleNegativesSymmetricRankingLoss', (o) =>
  build(
    'mnrl-symmetric',
    o,
    (r) =>
      new MultipleNegativesSymmetricRankingLoss({
        scale: r.number('scale', 20, positive),
        similarity: r.similarity('similarity', 'cosine'),
      }),
  ),
);
register('infonce', 'InfoNCELoss', (o) =>
  build(
    'infonce',
    o,
    (r) => new InfoNCELoss({ temperature: r.number('temperature', 0.05, positive), ...mnrlOptions(r) }),
  ),
);
register('cached-mnrl', 'CachedMultipleNegativesRankingLoss', (o) =>
  build(
    'cached-mnrl',
    o,
    (r) =>
      new CachedMultipleNegativesRankingLoss({
        scale: r.number('scale', 20, positive),
        miniBatchSize: r.number('miniBatchSize', 32, positiveInteger),
        ...mnrlOptions(r),
      }),
  ),
);
register('triplet', 'TripletLoss', (o) =>
  build(
    'triplet',
    o,
    (r) =>
      new TripletLoss({
        distance: r.string('distance', 'euclidean', DISTANCES),
        margin: r.number('margin', 5, nonNegative),
      }),
  ),
);
register('contrastive', 'ContrastiveLoss', (o) =>
  build(
    'contrastive',
    o,
    (r) =>
      new ContrastiveLoss({
        distance: r.string('distance', 'cosine', DISTANCES),
        margin: r.number('margin', 0.5, nonNegative),
        sizeAverage: r.boolean('sizeAverage', true),
      }),
  ),
);
register('online-contrastive', 'OnlineContrastiveLoss', (o) =>
  build(
    'online-contrastive',
    o,
    (r) =>
      new OnlineContrastiveLoss({
        distance: r.string('distance', 'cosine', DISTANCES),
        margin: r.number('margin', 0.5, nonNegative),
      }),
  ),
);
register('cosent', 'CoSENTLoss', (o) =>
  build('cosent', o, (r) => new CoSENTLoss({ scale: r.number('scale', 20, positive) })),
);
register('angle', 'AnglELoss', (o) =>
  build('angle', o, (r) => new AnglELoss({ scale: r.number('scale', 20, positive) })),
);
register('matryoshka', 'MatryoshkaLoss', (o) =>
  build('matryoshka', o, (r) => {
    const innerSpec = r.raw('inner') ?? r.raw('loss');
    const innerOptions = {
      ...((r.raw('innerOptions') as LossOptions | undefined) ?? {}),
      ...r.prefixed('inner'),
    };
    let inner: Loss;
    if (typeof innerSpec === 'string') inner = createLoss(innerSpec, innerOptions);
    else if (innerSpec && typeof innerSpec === 'object' && 'columns' in innerSpec) inner = innerSpec as Loss;
    else
      throw new Error(
        'matryoshka: option inner is required: a registered loss name (e.g. inner=mnrl) or a Loss',
      );
    return new MatryoshkaLoss(inner, {
      dims: r.numbers('dims') ?? r.numbers('matryoshkaDims'),
      weights: r.numbers('weights') ?? r.numbers('matryoshkaWeights'),
      nDimsPerStep: r.number('nDimsPerStep', 0),
    });
  }),
);
register('gist', 'GISTEmbedLoss', (o) =>
  build('gist', o, (r) => {
    const guide = r.raw('guide');
    if (!guide || typeof (guide as EmbeddingModel).embedTensor !== 'function') {
      throw new Error('gist: option guide is required and must be a loaded embedding model');
    }
    return new GISTEmbedLoss({
      guide: guide as EmbeddingModel,
      temperature: r.number('temperature', 0.01, positive),
      marginStrategy: r.string('marginStrategy', 'absolute', ['absolute', 'relative'] as const),
      margin: r.number('margin', 0),
      contrastAnchors: r.boolean('contrastAnchors', true),
      contrastPositives: r.boolean('contrastPositives', true),
    });
  }),
);
register('margin-mse', 'MarginMSELoss', (o) =>
  build('margin-mse', o, (r) => new MarginMSELoss({ similarity: r.similarity('similarity', 'dot') })),
);
register('distill-kl', 'DistillKLDivLoss', (o) =>
  build(
    'distill-kl',
    o,
    (r) =>
      new DistillKLDivLoss({
        similarity: r.similarity('similarity', 'dot'),
        temperature: r.number('temperature', 1, positive),
      }),
  ),
);

// Cross-encoder losses (the model scores pairs: a CrossEncoder).
const LOGIT_ACTIVATIONS = ['identity', 'sigmoid', 'tanh'] as const;
register('bce', 'BinaryCrossEntropyLoss', (o) =>
  build(
    'bce',
    o,
    (r) =>
      new BinaryCrossEntropyLoss({
        posWeight: r.number('posWeight', undefined, positive),
        activation: r.string('activation', 'identity', LOGIT_ACTIVATIONS),
      }),
  ),
);
register('ce', 'CrossEntropyLoss', (o) =>
  build(
    'ce',
    o,
    (r) => new CrossEntropyLoss({ activation: r.string('activation', 'identity', LOGIT_ACTIVATIONS) }),
  ),
);
register('mse', 'MSELoss', (o) =>
  build(
    'mse',
    o,
    (r) => new CrossEncoderMSELoss({ activation: r.string('activation', 'identity', LOGIT_ACTIVATIONS) }),
  ),
);
register('ce-mnrl', 'CrossEncoderMultipleNegativesRankingLoss', (o) =>
  build(
    'ce-mnrl',
    o,
    (r) =>
      new CrossEncoderMultipleNegativesRankingLoss({
        numNegatives: r.number('numNegatives', 4, nonNegative),
        scale: r.number('scale', 10, positive),
        activation: r.string('activation', 'sigmoid', LOGIT_ACTIVATIONS),
      }),
  ),
);
