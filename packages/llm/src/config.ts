import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { OpenAIChatGenerator, type OpenAIChatOptions } from './openai_chat.js';

/**
 * A provider as a small JSON or YAML file (what a CLI `--generator <config>` flag takes). Keys are snake_case,
 * as in OpenAI's API; `cache_dir` is relative to the config file. The key is best left out of the file: it is
 * read from `api_key_env` (an environment variable name), else `CONTRASTIVE_LLM_API_KEY`, else `OPENAI_API_KEY`.
 *
 * ```yaml
 * provider: openai-chat        # the only one so far, and the default
 * base_url: http://127.0.0.1:8000/v1
 * model: llama-3.1-8b-instruct
 * temperature: 0.7
 * max_tokens: 256
 * requests_per_minute: 60
 * concurrency: 4
 * cache_dir: .llm-cache
 * ```
 */
export interface GeneratorConfig {
  provider?: 'openai-chat';
  base_url: string;
  model: string;
  api_key?: string;
  api_key_env?: string;
  temperature?: number;
  max_tokens?: number;
  system?: string;
  max_retries?: number;
  initial_backoff_ms?: number;
  max_backoff_ms?: number;
  max_retry_after_ms?: number;
  requests_per_minute?: number;
  concurrency?: number;
  timeout_ms?: number;
  cache_dir?: string;
  headers?: Record<string, string>;
}

const NUMBER_KEYS = {
  temperature: 'temperature',
  max_tokens: 'maxTokens',
  max_retries: 'maxRetries',
  initial_backoff_ms: 'initialBackoffMs',
  max_backoff_ms: 'maxBackoffMs',
  max_retry_after_ms: 'maxRetryAfterMs',
  requests_per_minute: 'requestsPerMinute',
  concurrency: 'concurrency',
  timeout_ms: 'timeoutMs',
} as const;
const STRING_KEYS = [
  'provider',
  'base_url',
  'model',
  'api_key',
  'api_key_env',
  'system',
  'cache_dir',
] as const;
const KNOWN = new Set<string>([...Object.keys(NUMBER_KEYS), ...STRING_KEYS, 'headers']);

export interface GeneratorFromConfigOptions {
  /** Folder that a relative `cache_dir` is resolved against (the config file's folder). */
  baseDir?: string;
  env?: Record<string, string | undefined>;
  /** Passed through to the provider (logging). */
  onRetry?: OpenAIChatOptions['onRetry'];
  /** Named in error messages (the config file). */
  source?: string;
}

/** Builds a provider from a parsed config object; every bad field is an error naming the source and the field. */
export function generatorFromConfig(
  config: unknown,
  options: GeneratorFromConfigOptions = {},
): OpenAIChatGenerator {
  const where = options.source ?? 'generator config';
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new Error(`${where}: expected an object with base_url and model`);
  const c = config as Record<string, unknown>;
  for (const key of Object.keys(c))
    if (!KNOWN.has(key))
      throw new Error(`${where}: unknown field "${key}" (known: ${[...KNOWN].sort().join(', ')})`);
  for (const key of STRING_KEYS)
    if (c[key] !== undefined && typeof c[key] !== 'string')
      throw new Error(`${where}: field "${key}" must be a string`);
  for (const key of Object.keys(NUMBER_KEYS))
    if (c[key] !== undefined && (typeof c[key] !== 'number' || !Number.isFinite(c[key])))
      throw new Error(`${where}: field "${key}" must be a number`);
  if (c.provider !== undefined && c.provider !== 'openai-chat')
    throw new Error(`${where}: field "provider" must be "openai-chat", got "${c.provider}"`);
  if (!c.base_url) throw new Error(`${where}: field "base_url" is required`);
  if (!c.model) throw new Error(`${where}: field "model" is required`);
  if (
    c.headers !== undefined &&
    (typeof c.headers !== 'object' ||
      c.headers === null ||
      Object.values(c.headers).some((v) => typeof v !== 'string'))
  )
    throw new Error(`${where}: field "headers" must map header names to strings`);
  const env = options.env ?? process.env;
  let apiKey = c.api_key as string | undefined;
  if (!apiKey && c.api_key_env) {
    apiKey = env[c.api_key_env as string];
    if (!apiKey)
      throw new Error(
        `${where}: field "api_key_env" names ${c.api_key_env}, which is not set in the environment`,
      );
  }
  const opts: OpenAIChatOptions = {
    baseUrl: c.base_url as string,
    model: c.model as string,
    apiKey,
    env,
    system: c.system as string | undefined,
    headers: c.headers as Record<string, string> | undefined,
    onRetry: options.onRetry,
  };
  for (const [key, name] of Object.entries(NUMBER_KEYS))
    if (c[key] !== undefined) (opts as unknown as Record<string, number>)[name] = c[key] as number;
  if (c.cache_dir) {
    const dir = c.cache_dir as string;
    opts.cacheDir = isAbsolute(dir) ? dir : resolve(options.baseDir ?? process.cwd(), dir);
  }
  try {
    return new OpenAIChatGenerator(opts);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
}

/** Reads a `.json`, `.yaml` or `.yml` provider config (see `GeneratorConfig`) and builds the provider. */
export function loadGenerator(
  path: string,
  options: Omit<GeneratorFromConfigOptions, 'baseDir' | 'source'> = {},
): OpenAIChatGenerator {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read generator config (${(e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = /\.json$/i.test(path) ? JSON.parse(raw) : parseYaml(raw);
  } catch (e) {
    throw new Error(
      `${path}: not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'} (${(e as Error).message})`,
    );
  }
  return generatorFromConfig(parsed, { ...options, baseDir: dirname(resolve(path)), source: path });
}
