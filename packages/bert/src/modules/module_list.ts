import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { DenseModuleType } from './dense.js';
import type { HeadModuleType } from './module.js';
import { NormalizeModuleType } from './normalize.js';
import { PoolingModuleType } from './pooling.js';

/** One entry of `modules.json`. */
export interface ModuleEntry {
  idx: number;
  name: string;
  path: string;
  type: string;
}

export const TRANSFORMER_TYPE = 'sentence_transformers.models.Transformer';

/** `sentence_transformers.models.Dense.Dense` and `Dense` → `sentence_transformers.models.Dense`. */
function canonicalType(type: string): string {
  const t = type.replace(/^sentence_transformers\.models\.(\w+)\.\1$/, 'sentence_transformers.models.$1');
  return t.includes('.') ? t : `sentence_transformers.models.${t}`;
}

/** The head modules that ship with @contrastive/bert: a new one is its own file plus one line here. */
const BUILT_IN: HeadModuleType[] = [PoolingModuleType, DenseModuleType, NormalizeModuleType];

const registry = new Map<string, HeadModuleType>(BUILT_IN.map((t) => [canonicalType(t.type), t]));

/**
 * Adds a head module type (a plugin's, or ours): `modules.json` entries of that type load through it. One
 * registration line per module; replaces an earlier one of the same type.
 */
export function registerModule(moduleType: HeadModuleType): void {
  if (canonicalType(moduleType.type) === TRANSFORMER_TYPE)
    throw new Error('registerModule: the Transformer module is built in');
  registry.set(canonicalType(moduleType.type), moduleType);
}

/** Registered head module types (modules.json type names), sorted. */
export function listModuleTypes(): string[] {
  return [...registry.keys()].sort();
}

/** Whether an entry is the Transformer module. */
export function isTransformerEntry(entry: ModuleEntry): boolean {
  return canonicalType(entry.type) === TRANSFORMER_TYPE;
}

/** The registered type of a modules.json entry; an unknown type names the file and lists the known ones. */
export function moduleTypeOf(entry: ModuleEntry, file: string): HeadModuleType {
  const t =
    registry.get(canonicalType(entry.type)) ??
    registry.get(`sentence_transformers.models.${entry.type.split('.').pop()}`);
  if (!t) {
    const known = ['Transformer', ...listModuleTypes().map((k) => k.split('.').pop())].join(', ');
    throw new Error(
      `${file}: module ${entry.idx} has type "${entry.type}", which is not supported (${known})`,
    );
  }
  return t;
}

/** Reads `modules.json`; undefined when the folder is a plain Hugging Face model without one. */
export function readModules(dir: string): ModuleEntry[] | undefined {
  const file = join(dir, 'modules.json');
  if (!existsSync(file)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(json)) throw new Error(`${file}: expected a JSON array of modules`);
  return json.map((m, i) => {
    const e = m as Partial<ModuleEntry>;
    if (typeof e.type !== 'string') throw new Error(`${file}: module ${i} has no "type"`);
    const path = e.path ?? '';
    if (typeof path !== 'string') throw new Error(`${file}: module ${i} has a "path" that is not a string`);
    checkInsidePath(path, `${file}: module ${i} "path"`);
    return { idx: e.idx ?? i, name: e.name ?? String(i), path, type: e.type };
  });
}

/**
 * A path a model folder names (a module's folder, a weights shard) must stay inside that folder as written: a
 * model from the hub is untrusted input. Relative, no `..` segment, no drive or backslash tricks.
 */
export function checkInsidePath(path: string, where: string): void {
  if (
    isAbsolute(path) ||
    /^[a-zA-Z]:/.test(path) ||
    path.includes('\\') ||
    path.includes('\0') ||
    path.split('/').some((seg) => seg === '..')
  )
    throw new Error(
      `${where} is "${path}", which leaves the model folder (it must be a relative path inside it)`,
    );
}
