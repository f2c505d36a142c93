import type { SimilarityFunction } from '@contrastive/pooling';
import { OptionReader } from './options.js';
import type { Loss, LossFactory, LossOptions } from './types.js';

/** How one option of a registered loss is read from a plain options object, and how help shows its default. */
export interface LossOption<T> {
  /** Reads the option called `name` (camelCase; snake_case and kebab-case spellings match too). */
  read(reader: OptionReader, name: string): T;
  /** The default as help shows it (`20`, `cosine`, `required`); absent when the option has none. */
  shown?: string;
}

/** The values a loss's options read to. */
export type LossOptionValues<S> = { [K in keyof S]: S[K] extends LossOption<infer T> ? T : never };

/**
 * Everything the registry and the CLI know about a loss, kept in the loss's own file: a new loss is that file
 * plus one line in the registry's list (or one `registerLoss(definition)` call in a plugin).
 */
export interface LossDefinition<
  S extends Record<string, LossOption<unknown>> = Record<string, LossOption<unknown>>,
> {
  /** Registry name, kebab-case (`mnrl`). */
  name: string;
  /** sentence-transformers' class name, accepted as an alias (`MultipleNegativesRankingLoss`). */
  className: string;
  /** One line for help: what the loss does and the columns it takes. */
  description: string;
  /** Options in the order they are read (the order an unknown-option error lists them). */
  options: S;
  /** Builds the loss from its read options; `createLoss` builds a wrapped loss by name (MatryoshkaLoss's inner). */
  create(values: LossOptionValues<S>, createLoss: (name: string, options?: LossOptions) => Loss): Loss;
}

/** Identity, for type inference of `create`'s values from `options`. */
export function defineLoss<S extends Record<string, LossOption<unknown>>>(
  definition: LossDefinition<S>,
): LossDefinition<S> {
  return definition;
}

/**
 * The factory of a definition: reads every option, rejects unknown ones (`OptionReader.done()`), then builds
 * the loss, so a mistyped option fails before any parameter is allocated.
 */
export function definitionFactory(
  definition: LossDefinition,
  createLoss: (name: string, options?: LossOptions) => Loss,
): LossFactory {
  return (options) => {
    const reader = new OptionReader(definition.name, options);
    const values: Record<string, unknown> = {};
    for (const [name, option] of Object.entries(definition.options)) values[name] = option.read(reader, name);
    reader.done();
    return definition.create(values as LossOptionValues<Record<string, LossOption<unknown>>>, createLoss);
  };
}

type Check = (v: number) => string | undefined;

/** Option readers for loss definitions; each carries its default so help is generated from the same place. */
export const lossOption = {
  number(fallback: number, check?: Check): LossOption<number> {
    return { read: (r, name) => r.number(name, fallback, check), shown: String(fallback) };
  },
  /** A number without a default; `aliases` are other names for it (at most one of them may be given). */
  optionalNumber(check?: Check, ...aliases: string[]): LossOption<number | undefined> {
    return { read: (r, name) => oneOf(r, [name, ...aliases], (n) => r.number(n, undefined, check)) };
  },
  /** A number that must be given; `what` says what it is in the error. */
  requiredNumber(what: string, check?: Check): LossOption<number> {
    return {
      read: (r, name) => {
        const v = r.number(name, undefined, check);
        if (v === undefined) throw new Error(`${r.loss}: option ${name} (${what}) is required`);
        return v;
      },
      shown: 'required',
    };
  },
  boolean(fallback: boolean): LossOption<boolean> {
    return { read: (r, name) => r.boolean(name, fallback), shown: String(fallback) };
  },
  choice<T extends string>(fallback: T, allowed: readonly T[]): LossOption<T> {
    return { read: (r, name) => r.string(name, fallback, allowed), shown: fallback };
  },
  similarity(fallback: SimilarityFunction): LossOption<SimilarityFunction> {
    return { read: (r, name) => r.similarity(name, fallback), shown: fallback };
  },
  /** A list of numbers (`"768,512"`); `aliases` are other names for it (at most one of them may be given). */
  numbers(...aliases: string[]): LossOption<number[] | undefined> {
    return { read: (r, name) => oneOf(r, [name, ...aliases], (n) => r.numbers(n)) };
  },
  /** Anything else (a model object, a nested loss): `read` gets the reader for raw and prefixed values. */
  custom<T>(read: (reader: OptionReader, name: string) => T, shown?: string): LossOption<T> {
    return shown === undefined ? { read } : { read, shown };
  },
};

/** The value of whichever of `names` is given; every name is read, so each counts as known. */
function oneOf<T>(r: OptionReader, names: string[], read: (name: string) => T | undefined): T | undefined {
  const given = names.map((n) => [n, read(n)] as const).filter(([, v]) => v !== undefined);
  if (given.length > 1)
    throw new Error(
      `${r.loss}: options ${given.map(([n]) => n).join(' and ')} are the same option; give one`,
    );
  return given[0]?.[1];
}

/** `name=default` for each option with a default, for help. */
export function describeOptions(definition: LossDefinition): string {
  return Object.entries(definition.options)
    .map(([name, option]) => (option.shown === undefined ? name : `${name}=${option.shown}`))
    .join(', ');
}
