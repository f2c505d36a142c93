import { afterEach, describe, expect, it } from 'vitest';
import { ensureBackend, initBackend } from './backend.js';
import { tf } from './tf.js';

describe('initBackend', () => {
  afterEach(() => {
    Reflect.deleteProperty(process.env, 'CONTRASTIVE_BACKEND');
  });

  it('falls back past the missing tfjs-node builds to wasm and says why', async () => {
    const r = await initBackend();
    // tfjs-node(-gpu) cannot be installed on this machine; wasm is the default.
    expect(r.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(r.attempts.map((a) => a.backend)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm']);
    expect(r.summary).toContain('"wasm"');
    expect(r.summary).toMatch(/tensorflow-gpu: not installed/);
  });

  it('obeys CONTRASTIVE_BACKEND and the option', async () => {
    process.env.CONTRASTIVE_BACKEND = 'cpu';
    const r = await initBackend();
    expect(r.backend).toBe('cpu');
    expect(r.summary).toContain('CONTRASTIVE_BACKEND');
    const w = await initBackend({ backend: 'wasm' });
    expect(w.backend).toBe('wasm');
    expect(w.summary).toContain('forced by option');
  });

  it('ensureBackend keeps whatever was initialized (libraries never re-initialize)', async () => {
    await initBackend({ backend: 'cpu' });
    expect(await ensureBackend()).toBe('cpu');
    await initBackend({ backend: 'wasm' });
    expect(await ensureBackend()).toBe('wasm');
  });

  it('rejects an unknown backend name', () => {
    process.env.CONTRASTIVE_BACKEND = 'metal';
    expect(() => initBackend()).toThrow(/CONTRASTIVE_BACKEND: unknown backend "metal"/);
  });

  it('reports a forced backend that is not installed', async () => {
    await expect(initBackend({ backend: 'tensorflow' })).rejects.toThrow(/tensorflow: not installed/);
    await initBackend({ backend: 'wasm' });
  });
});
