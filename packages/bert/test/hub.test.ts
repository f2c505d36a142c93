import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@contrastive/tensor-gpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeHub, startFakeHub } from '../../../test-support/fake_hub.js';
import { sharedPath } from '../../../test-support/shared.js';
import { SentenceEncoder } from '../src/index.js';

const fixture = sharedPath('fixtures', 'tiny-bert');
const ref = JSON.parse(readFileSync(join(fixture, 'reference.json'), 'utf8')) as {
  texts: string[];
  embeddings: number[][];
};
let hub: FakeHub;

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
  hub = await startFakeHub(fixture);
});
afterAll(() => hub.close());

describe('loading a model by hub id', () => {
  it('downloads into the hub cache, then works offline from it, with reference embeddings', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'hf-cache-'));
    const enc = await SentenceEncoder.load('test-org/tiny-bert', { endpoint: hub.endpoint, cacheDir });
    const out = await enc.encode(ref.texts.slice(0, 3));
    out.forEach((v, i) =>
      v.forEach((x, j) => expect(Math.abs(x - ref.embeddings[i]![j]!)).toBeLessThan(1e-4)),
    );
    expect(enc.sourceDir).toContain(join(cacheDir, 'models--test-org--tiny-bert', 'snapshots'));
    const n = hub.requests.length;
    const offline = await SentenceEncoder.load('test-org/tiny-bert', {
      endpoint: hub.endpoint,
      cacheDir,
      offline: true,
    });
    expect(hub.requests.length).toBe(n);
    expect(offline.dimension).toBe(32);
  });

  it('refuses a repository that has only pickled weights, before downloading anything', async () => {
    const calls: string[] = [];
    const fakeFetch = (async (url: string | URL) => {
      calls.push(String(url));
      return new Response(
        JSON.stringify({
          sha: 'a'.repeat(40),
          siblings: [{ rfilename: 'config.json' }, { rfilename: 'pytorch_model.bin' }],
        }),
        {
          status: 200,
          headers: { 'content-type': 'application/json' },
        },
      );
    }) as typeof fetch;
    await expect(
      SentenceEncoder.load('old-org/pickled-bert', {
        endpoint: 'http://127.0.0.1:9',
        fetch: fakeFetch,
        cacheDir: mkdtempSync(join(tmpdir(), 'hf-')),
      }),
    ).rejects.toThrow(
      /old-org\/pickled-bert: the repository has only pickled pytorch_model\.bin weights, which are refused/,
    );
    expect(calls).toHaveLength(1);
  });
});
