import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ChatServer, startChatServer } from '../../../test-support/chat_server.js';
import { LlmError, OpenAIChatGenerator, loadGenerator } from '../src/index.js';
import { backoffDelay, parseRetryAfter } from '../src/internal/retry.js';

let server: ChatServer;
let tmp: string;

beforeEach(async () => {
  server = await startChatServer();
  tmp = mkdtempSync(join(tmpdir(), 'contrastive-llm-'));
});
afterEach(async () => {
  await server.close();
  rmSync(tmp, { recursive: true, force: true });
});

const make = (options: Partial<ConstructorParameters<typeof OpenAIChatGenerator>[0]> = {}) =>
  new OpenAIChatGenerator({
    baseUrl: server.baseUrl,
    model: 'test-model',
    env: {},
    initialBackoffMs: 10,
    maxBackoffMs: 40,
    ...options,
  });

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => d.name);
}

describe('OpenAIChatGenerator against a local chat-completions server', () => {
  it('sends the chat-completions request and returns the first choice', async () => {
    const gen = make({ apiKey: 'sk-test', temperature: 0.3, maxTokens: 64, system: 'be brief' });
    const text = await gen.generate('hello there', { seed: 7, stop: ['\n\n'] });
    expect(text).toBe('echo: hello there');
    expect(server.requests).toHaveLength(1);
    const r = server.requests[0]!;
    expect(r.path).toBe('/v1/chat/completions');
    expect(r.authorization).toBe('Bearer sk-test');
    expect(r.body).toEqual({
      model: 'test-model',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello there' },
      ],
      temperature: 0.3,
      max_tokens: 64,
      seed: 7,
      stop: ['\n\n'],
    });
    // A call's own options win over the defaults.
    await gen.generate('x', { temperature: 1, maxTokens: 5 });
    expect(server.requests[1]!.body.temperature).toBe(1);
    expect(server.requests[1]!.body.max_tokens).toBe(5);
  });

  it('takes the key from CONTRASTIVE_LLM_API_KEY before OPENAI_API_KEY, and sends none without one', async () => {
    await make({ env: { OPENAI_API_KEY: 'sk-openai', CONTRASTIVE_LLM_API_KEY: 'sk-ours' } }).generate('a');
    await make({ env: { OPENAI_API_KEY: 'sk-openai' } }).generate('b');
    await make({ env: {} }).generate('c');
    expect(server.requests.map((r) => r.authorization)).toEqual([
      'Bearer sk-ours',
      'Bearer sk-openai',
      undefined,
    ]);
  });

  it('honours Retry-After on 429 and then succeeds', async () => {
    server.script.push({
      status: 429,
      headers: { 'retry-after': '1' },
      body: '{"error":{"message":"slow down"}}',
    });
    const retries: Array<{ delayMs: number; reason: string }> = [];
    const gen = make({ onRetry: (i) => retries.push(i) });
    const t0 = Date.now();
    expect(await gen.generate('q')).toBe('echo: q');
    const gap = server.requests[1]!.startedAt - server.requests[0]!.startedAt;
    expect(gap).toBeGreaterThanOrEqual(950); // 1 s asked, not the 10-40 ms backoff
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(retries).toEqual([{ attempt: 1, delayMs: 1000, reason: 'HTTP 429: slow down' }]);
    expect(gen.requestCount).toBe(2);
  });

  it('retries a 500 and a dropped connection with backoff, then succeeds', async () => {
    server.script.push({ status: 500, body: 'upstream exploded' }, { destroy: true });
    const reasons: string[] = [];
    const gen = make({ onRetry: (i) => reasons.push(i.reason) });
    expect(await gen.generate('p')).toBe('echo: p');
    expect(server.requests).toHaveLength(3);
    expect(reasons[0]).toBe('HTTP 500: upstream exploded');
    expect(reasons[1]).toMatch(/^network error/);
  });

  it('gives up after maxRetries with an LlmError carrying the status', async () => {
    server.script.push(...Array.from({ length: 5 }, () => ({ status: 503 })));
    const gen = make({ maxRetries: 2 });
    const err = await gen.generate('p').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).status).toBe(503);
    expect((err as LlmError).attempts).toBe(3);
    expect((err as Error).message).toContain('HTTP 503');
    expect((err as Error).message).toContain('gave up after 3 requests');
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a 400 and reports the server message', async () => {
    server.script.push({ status: 400, body: '{"error":{"message":"model not found"}}' });
    const err = await make()
      .generate('p')
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe(`${server.baseUrl}/chat/completions: HTTP 400: model not found`);
    expect(server.requests).toHaveLength(1);
  });

  it('fails clearly on malformed JSON and on a response without content', async () => {
    server.script.push({ body: '{"choices": [ {"message": ' });
    await expect(make().generate('p')).rejects.toThrow(
      /response is not valid JSON \(HTTP 200\): \{"choices"/,
    );
    server.script.push({ body: '{"choices": []}' });
    await expect(make().generate('p')).rejects.toThrow(/no choices\[0\]\.message\.content/);
    expect(server.requests).toHaveLength(2);
  });

  it('times out a slow response and retries it', async () => {
    server.script.push({ delayMs: 400 });
    const reasons: string[] = [];
    const gen = make({ timeoutMs: 100, onRetry: (i) => reasons.push(i.reason) });
    expect(await gen.generate('slow')).toBe('echo: slow');
    expect(reasons).toEqual(['no complete response within 100 ms']);
    server.script.push({ delayMs: 400 });
    await expect(make({ timeoutMs: 100, maxRetries: 0 }).generate('slow')).rejects.toThrow(
      /no complete response within 100 ms \(gave up after 1 requests\)/,
    );
  });

  it('caches by (endpoint, model, params, prompt) on disk, atomically', async () => {
    const cacheDir = join(tmp, 'cache');
    const gen = make({ cacheDir, temperature: 0.7 });
    expect(await gen.generate('same')).toBe('echo: same');
    expect(await gen.generate('same')).toBe('echo: same');
    expect(server.requests).toHaveLength(1);
    await gen.generate('same', { seed: 1 });
    await gen.generate('same', { temperature: 0 });
    await gen.generate('other');
    expect(server.requests).toHaveLength(4);
    // Another model on the same endpoint is another key.
    await make({ cacheDir, temperature: 0.7, model: 'other-model' }).generate('same');
    expect(server.requests).toHaveLength(5);
    // A fresh client with the same cache sends nothing.
    server.script.push({ content: 'should not be asked' });
    const again = make({ cacheDir, temperature: 0.7 });
    expect(await again.generate('same')).toBe('echo: same');
    expect(await again.generate('same', { seed: 1 })).toBe('echo: same');
    expect(again.requestCount).toBe(0);
    expect(again.cacheHits).toBe(2);
    server.script.length = 0;
    const files = listFiles(cacheDir);
    expect(files).toHaveLength(5);
    expect(files.every((f) => /^[0-9a-f]{64}\.json$/.test(f))).toBe(true);
    // A failed call caches nothing.
    server.script.push({ status: 400 });
    await expect(make({ cacheDir }).generate('fails')).rejects.toThrow(/HTTP 400/);
    expect(listFiles(cacheDir)).toHaveLength(5);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    server.script.push(...Array.from({ length: 6 }, () => ({ delayMs: 80 })));
    const gen = make({ concurrency: 2 });
    const out = await Promise.all(Array.from({ length: 6 }, (_, i) => gen.generate(`p${i}`)));
    expect(out).toEqual(Array.from({ length: 6 }, (_, i) => `echo: p${i}`));
    expect(server.maxInFlight).toBe(2);
  });

  it('spaces request starts at 60 s / requests_per_minute', async () => {
    const gen = make({ requestsPerMinute: 600, concurrency: 10 }); // 100 ms apart
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 5 }, (_, i) => gen.generate(`r${i}`)));
    // The fifth start is 400 ms after the first; arrival times at the server jitter with connection setup.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(398);
    const starts = server.requests.map((r) => r.startedAt).sort((a, b) => a - b);
    expect(starts[4]! - starts[0]!).toBeGreaterThanOrEqual(300);
    const unlimited = make({ concurrency: 10 });
    const t1 = Date.now();
    await Promise.all(Array.from({ length: 5 }, (_, i) => unlimited.generate(`u${i}`)));
    expect(Date.now() - t1).toBeLessThan(300);
  });
});

describe('retry helpers', () => {
  it('parses Retry-After seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('backs off exponentially with equal jitter, capped', () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffDelay(0, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffDelay(3, 1000, 60_000, () => 0.5)).toBe(6000); // 8000 * (0.5 + 0.25)
    expect(backoffDelay(10, 1000, 60_000, () => 1)).toBe(60_000);
  });
});

describe('generator config files', () => {
  it('builds a provider from YAML and JSON, resolving cache_dir against the file', async () => {
    const yamlPath = join(tmp, 'gen.yaml');
    writeFileSync(
      yamlPath,
      `base_url: ${server.baseUrl}\nmodel: cfg-model\ntemperature: 0.2\nmax_tokens: 32\napi_key_env: MY_KEY\ncache_dir: cache\n`,
    );
    const gen = loadGenerator(yamlPath, { env: { MY_KEY: 'sk-from-env' } });
    expect(gen.endpoint).toBe(`${server.baseUrl}/chat/completions`);
    expect(await gen.generate('hi')).toBe('echo: hi');
    expect(server.requests[0]!.authorization).toBe('Bearer sk-from-env');
    expect(server.requests[0]!.body).toMatchObject({ model: 'cfg-model', temperature: 0.2, max_tokens: 32 });
    expect(listFiles(join(tmp, 'cache'))).toHaveLength(1);

    const jsonPath = join(tmp, 'gen.json');
    writeFileSync(
      jsonPath,
      JSON.stringify({ provider: 'openai-chat', base_url: server.baseUrl, model: 'm' }),
    );
    expect(await loadGenerator(jsonPath, { env: {} }).generate('j')).toBe('echo: j');
  });

  it('names the file and the field on bad configs', () => {
    const bad = (name: string, text: string, env: Record<string, string> = {}) => {
      const p = join(tmp, name);
      writeFileSync(p, text);
      return () => loadGenerator(p, { env });
    };
    expect(bad('a.yaml', 'base_url: http://x/v1\nmodel: m\ntemprature: 1\n')).toThrow(
      /a\.yaml: unknown field "temprature"/,
    );
    expect(bad('b.yaml', 'model: m\n')).toThrow(/b\.yaml: field "base_url" is required/);
    expect(bad('c.yaml', 'base_url: http://x/v1\nmodel: m\ntemperature: hot\n')).toThrow(
      /c\.yaml: field "temperature" must be a number/,
    );
    expect(bad('d.yaml', 'base_url: http://x/v1\nmodel: m\napi_key_env: NOPE\n')).toThrow(
      /d\.yaml: field "api_key_env" names NOPE, which is not set/,
    );
    expect(bad('e.json', '{"base_url": ')).toThrow(/e\.json: not valid JSON/);
    expect(bad('f.yaml', 'base_url: [unclosed\n')).toThrow(/f\.yaml: not valid YAML/);
    expect(bad('g.yaml', 'base_url: not a url\nmodel: m\n')).toThrow(/g\.yaml: .*baseUrl is not a URL/);
    expect(bad('h.yaml', 'base_url: http://x/v1\nmodel: m\nrequests_per_minute: 0\n')).toThrow(
      /h\.yaml: .*requestsPerMinute must be a positive number/,
    );
    expect(() => loadGenerator(join(tmp, 'missing.yaml'))).toThrow(
      /missing\.yaml: cannot read generator config/,
    );
  });
});
