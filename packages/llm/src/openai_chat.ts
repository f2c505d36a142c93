import { LlmError } from './errors.js';
import type { GenerateOptions, TextGenerator } from './generator.js';
import { DiskCache, cacheKey } from './internal/cache.js';
import { RateLimiter, Semaphore, sleep } from './internal/limits.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter } from './internal/retry.js';

export interface OpenAIChatOptions {
  /** Base URL of an OpenAI-compatible API, e.g. `https://api.openai.com/v1`; `/chat/completions` is appended. */
  baseUrl: string;
  model: string;
  /** Bearer token; default `CONTRASTIVE_LLM_API_KEY`, then `OPENAI_API_KEY`. None is fine for a local server. */
  apiKey?: string;
  /** Defaults for every call; a call's own options win. */
  temperature?: number;
  maxTokens?: number;
  system?: string;
  /** Retries after the first request on 429, 408, 5xx, network errors and timeouts (default 5). */
  maxRetries?: number;
  /** First backoff, doubled per retry up to `maxBackoffMs` (defaults 1000 and 60000). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Longest Retry-After honoured; a server asking for more fails the call instead (default 10 minutes). */
  maxRetryAfterMs?: number;
  /** Client-side rate limit: request starts are spaced 60 s / rpm apart (default: no limit). */
  requestsPerMinute?: number;
  /** Requests in flight at once (default 4). */
  concurrency?: number;
  /** Per request, including reading the body (default 60000). */
  timeoutMs?: number;
  /** Folder of the on-disk cache keyed by (endpoint, model, params, prompt); no cache when unset. */
  cacheDir?: string;
  /** Extra request headers (e.g. an organization id). */
  headers?: Record<string, string>;
  /** Environment the key is read from (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Called before each retry (for logging). */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
  /** Jitter source (default Math.random). */
  random?: () => number;
}

/** What a call sends besides the prompt: the params part of the cache key. */
interface RequestParams {
  temperature?: number;
  max_tokens?: number;
  seed?: number;
  stop?: string[];
  system?: string;
}

class RetryableError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The API key from the options, else `CONTRASTIVE_LLM_API_KEY`, else `OPENAI_API_KEY`. */
export function resolveApiKey(
  apiKey: string | undefined,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  return apiKey || env.CONTRASTIVE_LLM_API_KEY || env.OPENAI_API_KEY || undefined;
}

/**
 * A `TextGenerator` over an OpenAI-compatible `/chat/completions` endpoint (OpenAI, vLLM, llama.cpp's server,
 * Ollama, LiteLLM…) using Node's global fetch: one user message (plus an optional system message) per call,
 * retries with exponential backoff and jitter, Retry-After honoured, a client-side rate limit, a concurrency
 * limit, per-request timeouts and an on-disk cache.
 */
export class OpenAIChatGenerator implements TextGenerator {
  readonly endpoint: string;
  readonly model: string;
  private readonly apiKey: string | undefined;
  private readonly semaphore: Semaphore;
  private readonly limiter: RateLimiter;
  private readonly cache: DiskCache | undefined;
  private readonly random: () => number;
  /** Requests sent (cache hits excluded); for tests and summaries. */
  requestCount = 0;
  /** Calls answered from the cache. */
  cacheHits = 0;

  constructor(private readonly options: OpenAIChatOptions) {
    if (!options.baseUrl) throw new Error('OpenAIChatGenerator: baseUrl is required');
    if (!options.model) throw new Error('OpenAIChatGenerator: model is required');
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new Error(`OpenAIChatGenerator: baseUrl is not a URL: "${options.baseUrl}"`);
    }
    this.endpoint = `${base.href.replace(/\/+$/, '')}/chat/completions`;
    this.model = options.model;
    this.apiKey = resolveApiKey(options.apiKey, options.env);
    const positive = (name: string, v: number | undefined) => {
      if (v !== undefined && !(Number.isFinite(v) && v > 0))
        throw new Error(`OpenAIChatGenerator: ${name} must be a positive number, got ${v}`);
    };
    positive('requestsPerMinute', options.requestsPerMinute);
    positive('concurrency', options.concurrency);
    positive('timeoutMs', options.timeoutMs);
    this.semaphore = new Semaphore(options.concurrency ?? 4);
    this.limiter = new RateLimiter(options.requestsPerMinute);
    this.cache = options.cacheDir ? new DiskCache(options.cacheDir) : undefined;
    this.random = options.random ?? Math.random;
  }

  async generate(prompt: string, options: GenerateOptions = {}): Promise<string> {
    const params: RequestParams = {
      temperature: options.temperature ?? this.options.temperature,
      max_tokens: options.maxTokens ?? this.options.maxTokens,
      seed: options.seed,
      stop: options.stop,
      system: options.system ?? this.options.system,
    };
    const key = cacheKey({ endpoint: this.endpoint, model: this.model, params, prompt });
    const cached = this.cache?.get(key);
    if (cached !== undefined) {
      this.cacheHits++;
      return cached;
    }
    const release = await this.semaphore.acquire();
    let text: string;
    try {
      text = await this.withRetries(prompt, params, options.signal);
    } finally {
      release();
    }
    this.cache?.set(key, text);
    return text;
  }

  private async withRetries(prompt: string, params: RequestParams, signal?: AbortSignal): Promise<string> {
    const maxRetries = this.options.maxRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      await this.limiter.wait(signal);
      try {
        return await this.request(prompt, params, signal);
      } catch (e) {
        if (!(e instanceof RetryableError) || signal?.aborted) throw e;
        if (attempt >= maxRetries)
          throw new LlmError(
            `${this.endpoint}: ${e.message} (gave up after ${attempt + 1} requests)`,
            this.endpoint,
            e.status,
            attempt + 1,
          );
        const maxRetryAfter = this.options.maxRetryAfterMs ?? 600_000;
        if (e.retryAfterMs !== undefined && e.retryAfterMs > maxRetryAfter)
          throw new LlmError(
            `${this.endpoint}: ${e.message}; the server asks to retry after ${Math.round(e.retryAfterMs / 1000)} s, more than maxRetryAfterMs`,
            this.endpoint,
            e.status,
            attempt + 1,
          );
        const backoff = backoffDelay(
          attempt,
          this.options.initialBackoffMs ?? 1000,
          this.options.maxBackoffMs ?? 60_000,
          this.random,
        );
        // A Retry-After replaces our backoff for this request and holds back every other request of this client.
        const delayMs = e.retryAfterMs ?? backoff;
        if (e.retryAfterMs !== undefined) this.limiter.pauseUntil(Date.now() + e.retryAfterMs);
        this.options.onRetry?.({ attempt: attempt + 1, delayMs, reason: e.message });
        await sleep(delayMs, signal);
      }
    }
  }

  private async request(prompt: string, params: RequestParams, signal?: AbortSignal): Promise<string> {
    const messages: Array<{ role: string; content: string }> = [];
    if (params.system) messages.push({ role: 'system', content: params.system });
    messages.push({ role: 'user', content: prompt });
    const body: Record<string, unknown> = { model: this.model, messages };
    if (params.temperature !== undefined) body.temperature = params.temperature;
    if (params.max_tokens !== undefined) body.max_tokens = params.max_tokens;
    if (params.seed !== undefined) body.seed = params.seed;
    if (params.stop !== undefined) body.stop = params.stop;
    const headers: Record<string, string> = { 'content-type': 'application/json', ...this.options.headers };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    const timeoutMs = this.options.timeoutMs ?? 60_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;

    this.requestCount++;
    let response: Response;
    let raw: string;
    try {
      response = await fetch(this.endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: combined,
      });
      raw = await response.text();
    } catch (e) {
      if (signal?.aborted) throw e;
      if (timeout.aborted) throw new RetryableError(`no complete response within ${timeoutMs} ms`);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new RetryableError(`network error (${cause?.code ?? cause?.message ?? (e as Error).message})`);
    }
    if (!response.ok) {
      const detail = errorDetail(raw);
      const message = `HTTP ${response.status}${detail ? `: ${detail}` : ''}`;
      if (isRetryableStatus(response.status))
        throw new RetryableError(
          message,
          response.status,
          parseRetryAfter(response.headers.get('retry-after')),
        );
      throw new LlmError(`${this.endpoint}: ${message}`, this.endpoint, response.status, 1);
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new LlmError(
        `${this.endpoint}: response is not valid JSON (HTTP ${response.status}): ${snippet(raw)}`,
        this.endpoint,
        response.status,
      );
    }
    const content = (json as { choices?: Array<{ message?: { content?: unknown } }> })?.choices?.[0]?.message
      ?.content;
    if (typeof content !== 'string')
      throw new LlmError(
        `${this.endpoint}: response has no choices[0].message.content string: ${snippet(raw)}`,
        this.endpoint,
        response.status,
      );
    return content;
  }
}

function snippet(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat || '(empty body)';
}

/** OpenAI errors are `{"error": {"message": ...}}`; anything else is shown as a snippet. */
function errorDetail(raw: string): string {
  try {
    const message = (JSON.parse(raw) as { error?: { message?: unknown } })?.error?.message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: fall through to the raw snippet
  }
  return raw.trim() === '' ? '' : snippet(raw);
}
