import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { assertNoTensorLeak, measureTensorGrowth } from './memory.js';
import { tf } from './tf.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('leak checks', () => {
  it('pass for tidy code and catch a leak', async () => {
    await assertNoTensorLeak(() => tf.tidy(() => tf.sum(tf.ones([3])).dataSync()));
    const kept: tf.Tensor[] = [];
    const r = await measureTensorGrowth(() => {
      kept.push(tf.ones([2]));
    }, 4);
    expect(r.growth).toBe(2);
    await expect(assertNoTensorLeak(() => kept.push(tf.ones([2])))).rejects.toThrow(
      /tensor leak: numTensors grew by 3/,
    );
    kept.forEach((t) => t.dispose());
  });
});
