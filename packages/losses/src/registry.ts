import { type LossDefinition, definitionFactory, describeOptions } from './loss_definition.js';
import {
  batchAllTripletDefinition,
  batchHardTripletDefinition,
  batchSemiHardTripletDefinition,
} from './losses/batch_triplet.js';
import { cachedMnrlDefinition } from './losses/cached_mnrl.js';
import { contrastiveTensionDefinition } from './losses/contrastive_tension.js';
import { angleDefinition, cosentDefinition } from './losses/cosent.js';
import {
  bceDefinition,
  ceDefinition,
  ceMnrlDefinition,
  crossEncoderMseDefinition,
} from './losses/cross_encoder.js';
import { tsdaeDefinition } from './losses/denoising_auto_encoder.js';
import { distillKlDefinition, embeddingMseDefinition, marginMseDefinition } from './losses/distillation.js';
import { gistDefinition } from './losses/gist.js';
import { listNetDefinition } from './losses/list_net.js';
import { matryoshkaDefinition } from './losses/matryoshka.js';
import { megaBatchMarginDefinition } from './losses/mega_batch_margin.js';
import { infoNceDefinition, mnrlDefinition, mnrlSymmetricDefinition } from './losses/mnrl.js';
import {
  contrastiveDefinition,
  cosineSimilarityDefinition,
  onlineContrastiveDefinition,
  tripletDefinition,
} from './losses/pair_losses.js';
import { simcseDefinition } from './losses/simcse.js';
import { softmaxDefinition } from './losses/softmax.js';
import type { Loss, LossFactory, LossOptions } from './types.js';

interface Entry {
  factory: LossFactory;
  definition?: LossDefinition;
}

const entries = new Map<string, Entry>();
/** sentence-transformers class names → registry names, so `--loss MultipleNegativesRankingLoss` works too. */
const aliases = new Map<string, string>();

function key(name: string): string {
  return name.trim().toLowerCase();
}

/**
 * Adds a loss under a kebab-case name; replaces an existing one of the same name. A definition (`defineLoss`)
 * also brings its sentence-transformers class name as an alias, its options and its line in `describeLosses`;
 * a bare factory (plugins) gets its options as given.
 */
export function registerLoss(definition: LossDefinition): void;
export function registerLoss(name: string, factory: LossFactory): void;
export function registerLoss(nameOrDefinition: string | LossDefinition, factory?: LossFactory): void {
  const definition = typeof nameOrDefinition === 'string' ? undefined : nameOrDefinition;
  const name = definition ? definition.name : (nameOrDefinition as string);
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name))
    throw new Error(`registerLoss: name must be kebab-case (e.g. "my-loss"), got "${name}"`);
  const make = definition ? definitionFactory(definition, createLoss) : factory;
  if (typeof make !== 'function') throw new Error(`registerLoss: factory for "${name}" must be a function`);
  entries.set(name, definition ? { factory: make, definition } : { factory: make });
  if (definition) aliases.set(key(definition.className), name);
}

/** Registered names, sorted. */
export function listLosses(): string[] {
  return [...entries.keys()].sort();
}

/**
 * One line per registered loss for help: name, sentence-transformers class, what it does, and its options with
 * their defaults (`mnrl (MultipleNegativesRankingLoss): … Options: scale=20, similarity=cosine, …`).
 */
export function describeLosses(): string[] {
  return listLosses().map((name) => {
    const d = entries.get(name)!.definition;
    if (!d) return `${name}: (plugin)`;
    const options = describeOptions(d);
    return `${name} (${d.className}): ${d.description}${options ? `. Options: ${options}` : ''}`;
  });
}

/**
 * Builds a registered loss from a plain options object (values may be strings, as from
 * `--loss-arg key=value`; keys in camelCase or sentence-transformers' snake_case). Unknown names and unknown
 * options are errors that list what is known.
 */
export function createLoss(name: string, options: LossOptions = {}): Loss {
  const k = key(name);
  const entry = entries.get(k) ?? entries.get(aliases.get(k) ?? '');
  if (!entry) throw new Error(`unknown loss "${name}"; known losses: ${listLosses().join(', ')}`);
  return entry.factory(options);
}

// The built-in losses: one line each; a loss's name, defaults and description live in its own file.
for (const definition of [
  softmaxDefinition,
  cosineSimilarityDefinition,
  mnrlDefinition,
  mnrlSymmetricDefinition,
  infoNceDefinition,
  cachedMnrlDefinition,
  tripletDefinition,
  contrastiveDefinition,
  onlineContrastiveDefinition,
  cosentDefinition,
  angleDefinition,
  matryoshkaDefinition,
  gistDefinition,
  marginMseDefinition,
  embeddingMseDefinition,
  distillKlDefinition,
  simcseDefinition,
  contrastiveTensionDefinition,
  batchHardTripletDefinition,
  batchAllTripletDefinition,
  batchSemiHardTripletDefinition,
  megaBatchMarginDefinition,
  tsdaeDefinition,
  bceDefinition,
  ceDefinition,
  crossEncoderMseDefinition,
  ceMnrlDefinition,
  listNetDefinition,
]) {
  registerLoss(definition);
}
