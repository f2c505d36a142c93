import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One entry of `modules.json`. */
export interface ModuleEntry {
  idx: number;
  name: string;
  path: string;
  type: string;
}

export type ModuleKind = 'Transformer' | 'Pooling' | 'Dense' | 'Normalize';

const KIND_BY_TYPE: Record<string, ModuleKind> = {
  'sentence_transformers.models.Transformer': 'Transformer',
  'sentence_transformers.models.Pooling': 'Pooling',
  'sentence_transformers.models.Dense': 'Dense',
  'sentence_transformers.models.Normalize': 'Normalize',
};

export function moduleKind(entry: ModuleEntry, file: string): ModuleKind {
  const t = entry.type.replace(
    /^sentence_transformers\.models\.(\w+)\.\1$/,
    'sentence_transformers.models.$1',
  );
  const kind = KIND_BY_TYPE[t] ?? KIND_BY_TYPE[`sentence_transformers.models.${t.split('.').pop()}`];
  if (!kind) {
    throw new Error(
      `${file}: module ${entry.idx} has type "${entry.type}", which is not supported (Transformer, Pooling, Dense, Normalize)`,
    );
  }
  return kind;
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
    return { idx: e.idx ?? i, name: e.name ?? String(i), path: e.path ?? '', type: e.type };
  });
}

/** sentence-transformers' `activation_function` names for Dense layers. */
export type DenseActivation = 'tanh' | 'identity' | 'relu' | 'gelu' | 'sigmoid';

export function parseActivation(name: string | undefined, file: string): DenseActivation {
  const n = (name ?? 'torch.nn.modules.activation.Tanh').split('.').pop()!.toLowerCase();
  if (n === 'tanh' || n === 'identity' || n === 'relu' || n === 'gelu' || n === 'sigmoid') return n;
  throw new Error(`${file}: activation_function "${name}" is not supported`);
}

export function activationTypeName(a: DenseActivation): string {
  const names: Record<DenseActivation, string> = {
    tanh: 'torch.nn.modules.activation.Tanh',
    identity: 'torch.nn.modules.linear.Identity',
    relu: 'torch.nn.modules.activation.ReLU',
    gelu: 'torch.nn.modules.activation.GELU',
    sigmoid: 'torch.nn.modules.activation.Sigmoid',
  };
  return names[a];
}
