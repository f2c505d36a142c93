import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Augmenter } from '@contrastive/augment';
import { type HeadModuleType, registerModule } from '@contrastive/bert';
import type { Evaluator } from '@contrastive/eval-mteb';
import { type LossDefinition, type LossFactory, registerLoss } from '@contrastive/losses';

/** What `contrastive eval --task <plugin task>` hands a plugin's evaluator factory. */
export interface PluginEvaluatorOptions {
  /** `--data`, as given. */
  data?: string;
  split: string;
  limit?: number;
  labelColumn?: string;
  queryPrompt?: string;
  documentPrompt?: string;
}
export type PluginEvaluatorFactory = (options: PluginEvaluatorOptions) => Evaluator | Promise<Evaluator>;

/** What `contrastive augment --method <plugin method>` hands a plugin's augmenter factory. */
export interface PluginAugmenterOptions {
  /** `--ratio`, when given. */
  ratio?: number;
  /** `--n`: new texts per input. */
  n: number;
}
export type PluginAugmenterFactory = (options: PluginAugmenterOptions) => Augmenter;

/**
 * What a plugin's `register(api)` receives. Registering through it (rather than importing `registerLoss` from
 * one's own copy of @contrastive/losses) reaches the registries the CLI reads, whatever the plugin resolves.
 */
export interface PluginApi {
  registerLoss(definition: LossDefinition): void;
  registerLoss(name: string, factory: LossFactory): void;
  registerModule(moduleType: HeadModuleType): void;
  registerEvaluator(task: string, factory: PluginEvaluatorFactory): void;
  registerAugmenter(method: string, factory: PluginAugmenterFactory): void;
}

/**
 * A plugin module: a `register(api)` function, named exports, or both (named exports are registered first).
 * `losses`: loss definitions (`defineLoss`) or `{ name: factory }`; `modules`: head module types;
 * `evaluators`: `{ task: factory }`; `augmenters`: `{ method: factory }`.
 */
export interface PluginModule {
  register?(api: PluginApi): void | Promise<void>;
  losses?: LossDefinition[] | Record<string, LossFactory>;
  modules?: HeadModuleType[];
  evaluators?: Record<string, PluginEvaluatorFactory>;
  augmenters?: Record<string, PluginAugmenterFactory>;
}

const evaluators = new Map<string, PluginEvaluatorFactory>();
const augmenters = new Map<string, PluginAugmenterFactory>();
const loaded = new Map<string, Promise<void>>();

const NAME = /^[a-z0-9]+([-_.][a-z0-9]+)*$/;

function checkName(what: string, name: string): string {
  if (!NAME.test(name)) throw new Error(`${what}: name must be lower-case (e.g. "my-task"), got "${name}"`);
  return name;
}

export const pluginApi: PluginApi = {
  registerLoss: registerLoss as PluginApi['registerLoss'],
  registerModule,
  registerEvaluator(task, factory) {
    if (typeof factory !== 'function')
      throw new Error(`registerEvaluator: factory for "${task}" must be a function`);
    evaluators.set(checkName('registerEvaluator', task), factory);
  },
  registerAugmenter(method, factory) {
    if (typeof factory !== 'function')
      throw new Error(`registerAugmenter: factory for "${method}" must be a function`);
    augmenters.set(checkName('registerAugmenter', method), factory);
  },
};

/** A plugin's evaluator for `--task`, if one registered it. */
export function pluginEvaluator(task: string): PluginEvaluatorFactory | undefined {
  return evaluators.get(task);
}

/** A plugin's augmenter for `--method`, if one registered it. */
export function pluginAugmenter(method: string): PluginAugmenterFactory | undefined {
  return augmenters.get(method);
}

export function pluginEvaluatorNames(): string[] {
  return [...evaluators.keys()].sort();
}

export function pluginAugmenterNames(): string[] {
  return [...augmenters.keys()].sort();
}

function isPath(specifier: string): boolean {
  return specifier.startsWith('.') || isAbsolute(specifier) || /^file:/.test(specifier);
}

/** Imports a plugin: a path (against `baseDir`) or a package name (from the CLI's location, then `baseDir`). */
async function importPlugin(specifier: string, baseDir: string): Promise<PluginModule> {
  if (isPath(specifier)) {
    const url = specifier.startsWith('file:') ? specifier : pathToFileURL(resolve(baseDir, specifier)).href;
    return (await import(url)) as PluginModule;
  }
  try {
    return (await import(specifier)) as PluginModule;
  } catch (first) {
    const code = (first as { code?: string }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw first;
    // Not beside the CLI (a global install, a linked checkout): resolve from the user's project.
    let resolved: string;
    try {
      resolved = createRequire(join(baseDir, 'package.json')).resolve(specifier);
    } catch {
      throw new Error(`cannot find module "${specifier}" (from ${baseDir}); install it in this project`);
    }
    return (await import(pathToFileURL(resolved).href)) as PluginModule;
  }
}

async function registerExports(mod: PluginModule, source: string): Promise<void> {
  let registered = 0;
  if (mod.losses !== undefined) {
    if (Array.isArray(mod.losses)) for (const d of mod.losses) pluginApi.registerLoss(d);
    else for (const [name, factory] of Object.entries(mod.losses)) pluginApi.registerLoss(name, factory);
    registered++;
  }
  for (const m of mod.modules ?? []) pluginApi.registerModule(m);
  for (const [task, f] of Object.entries(mod.evaluators ?? {})) pluginApi.registerEvaluator(task, f);
  for (const [method, f] of Object.entries(mod.augmenters ?? {})) pluginApi.registerAugmenter(method, f);
  if (mod.modules || mod.evaluators || mod.augmenters) registered++;
  if (typeof mod.register === 'function') {
    await mod.register(pluginApi);
    registered++;
  }
  if (registered === 0)
    throw new Error(
      `${source}: not a contrastive plugin (it exports no register(api), losses, modules, evaluators or augmenters)`,
    );
}

/**
 * Loads plugin modules once each (`--plugin`, a config's `plugins`); errors name the plugin. Relative paths are
 * resolved against `baseDir` (the working directory for flags, the config file's folder for a config).
 */
export async function loadPlugins(specifiers: readonly string[], baseDir = process.cwd()): Promise<void> {
  for (const specifier of specifiers) {
    const key = isPath(specifier) ? resolve(baseDir, specifier) : specifier;
    let done = loaded.get(key);
    if (!done) {
      done = (async () => {
        let mod: PluginModule;
        try {
          mod = await importPlugin(specifier, baseDir);
        } catch (e) {
          throw new Error(`plugin ${specifier}: ${(e as Error).message.split('\n')[0]}`, { cause: e });
        }
        // CommonJS plugins arrive as { default: module.exports }.
        const candidate = mod as PluginModule & { default?: PluginModule };
        const exportsOf =
          candidate.register ||
          candidate.losses ||
          candidate.modules ||
          candidate.evaluators ||
          candidate.augmenters
            ? candidate
            : (candidate.default ?? candidate);
        try {
          await registerExports(exportsOf, `plugin ${specifier}`);
        } catch (e) {
          const message = (e as Error).message;
          throw new Error(message.startsWith('plugin ') ? message : `plugin ${specifier}: ${message}`, {
            cause: e,
          });
        }
      })();
      loaded.set(key, done);
      done.catch(() => loaded.delete(key));
    }
    await done;
  }
}

/** `--plugin` values in raw argv (`--plugin x`, `--plugin=x`), read before the commands are built. */
export function pluginArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '--plugin' && i + 1 < argv.length) out.push(argv[++i]!);
    else if (a.startsWith('--plugin=')) out.push(a.slice('--plugin='.length));
  }
  return out;
}
