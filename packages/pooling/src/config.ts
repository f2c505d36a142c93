import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PoolingMode } from './pooling.js';

/** `1_Pooling/config.json` exactly as sentence-transformers writes it. */
export interface PoolingConfigJson {
  word_embedding_dimension: number;
  pooling_mode_cls_token: boolean;
  pooling_mode_mean_tokens: boolean;
  pooling_mode_max_tokens: boolean;
  pooling_mode_mean_sqrt_len_tokens: boolean;
  pooling_mode_weightedmean_tokens: boolean;
  pooling_mode_lasttoken: boolean;
  include_prompt: boolean;
}

export interface PoolingConfig {
  dimension: number;
  /** One or more modes; several are concatenated in sentence-transformers' order. */
  modes: PoolingMode[];
  includePrompt: boolean;
}

const ORDER: Array<[PoolingMode, keyof PoolingConfigJson]> = [
  ['cls', 'pooling_mode_cls_token'],
  ['mean', 'pooling_mode_mean_tokens'],
  ['max', 'pooling_mode_max_tokens'],
  ['mean_sqrt_len', 'pooling_mode_mean_sqrt_len_tokens'],
  ['weightedmean', 'pooling_mode_weightedmean_tokens'],
  ['lasttoken', 'pooling_mode_lasttoken'],
];

export function parsePoolingConfig(
  json: Partial<PoolingConfigJson> & Record<string, unknown>,
  file = 'config.json',
): PoolingConfig {
  // sentence-transformers passes the file's keys to Pooling(**config): an unknown key is an error there too.
  const known = new Set<string>([
    ...ORDER.map(([, k]) => k),
    'word_embedding_dimension',
    'include_prompt',
    'pooling_mode',
  ]);
  const unknown = Object.keys(json).filter((k) => !known.has(k));
  if (unknown.length > 0)
    throw new Error(
      `${file}: unknown pooling setting${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`,
    );
  for (const [, key] of ORDER) {
    const v = json[key];
    if (v !== undefined && typeof v !== 'boolean')
      throw new Error(`${file}: "${key}" must be true or false, got ${JSON.stringify(v)}`);
  }
  const dim = json.word_embedding_dimension;
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim <= 0) {
    throw new Error(
      `${file}: "word_embedding_dimension" must be a positive integer, got ${JSON.stringify(dim)}`,
    );
  }
  // Old configs may carry `pooling_mode` as a string instead of the flags.
  let modes = ORDER.filter(([, key]) => json[key] === true).map(([m]) => m);
  if (modes.length === 0 && typeof json.pooling_mode === 'string')
    modes = [parsePoolingMode(json.pooling_mode, `${file}: pooling_mode`)];
  if (modes.length === 0) throw new Error(`${file}: no pooling mode is enabled`);
  return { dimension: dim, modes, includePrompt: json.include_prompt !== false };
}

export function parsePoolingMode(value: string, where = 'pooling'): PoolingMode {
  const v = value.toLowerCase().replace(/-/g, '_');
  const map: Record<string, PoolingMode> = {
    cls: 'cls',
    mean: 'mean',
    max: 'max',
    mean_sqrt_len: 'mean_sqrt_len',
    mean_sqrt_len_tokens: 'mean_sqrt_len',
    weightedmean: 'weightedmean',
    weighted_mean: 'weightedmean',
    lasttoken: 'lasttoken',
    last_token: 'lasttoken',
  };
  const m = map[v];
  if (!m)
    throw new Error(
      `${where}: unknown pooling mode "${value}" (cls, mean, max, mean_sqrt_len, weightedmean, lasttoken)`,
    );
  return m;
}

export function poolingConfigToJson(config: PoolingConfig): PoolingConfigJson {
  const json = {
    word_embedding_dimension: config.dimension,
    include_prompt: config.includePrompt,
  } as PoolingConfigJson;
  for (const [mode, key] of ORDER)
    (json as unknown as Record<string, unknown>)[key] = config.modes.includes(mode);
  // Keep sentence-transformers' key order.
  const { include_prompt, ...rest } = json;
  return { ...rest, include_prompt };
}

/** Reads `<dir>/config.json` of a Pooling module folder (e.g. `1_Pooling`). */
export function readPoolingConfig(dir: string): PoolingConfig {
  const file = join(dir, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file}: pooling config not found`);
  }
  return parsePoolingConfig(JSON.parse(text), file);
}

export function writePoolingConfig(dir: string, config: PoolingConfig): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(poolingConfigToJson(config), null, 2)}\n`);
}

/** Output width of a pooling layer: dimension × number of concatenated modes. */
export function pooledDimension(config: PoolingConfig): number {
  return config.dimension * config.modes.length;
}
