import { describe, expect, it } from 'vitest';
import { NumpyRandomState } from './numpy_random.js';

// Expected values printed by numpy 2.x: np.random.RandomState(seed)._bit_generator.random_raw(3) and
// successive RandomState.shuffle calls on np.arange(n).
describe('NumpyRandomState', () => {
  it('produces numpy MT19937 raw outputs for seed 42', () => {
    const rng = new NumpyRandomState(42);
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([
      1608637542, 3421126067, 4083286876,
    ]);
  });

  it('shuffles exactly as RandomState.shuffle, including repeated shuffles of the same array', () => {
    const rng = new NumpyRandomState(42);
    const a = Array.from({ length: 10 }, (_, i) => i);
    rng.shuffle(a);
    expect(a).toEqual([8, 1, 5, 0, 7, 2, 9, 4, 3, 6]);
    rng.shuffle(a);
    expect(a).toEqual([8, 1, 3, 2, 0, 7, 4, 6, 9, 5]);
  });

  it('matches numpy on a longer array (rejection sampling path) with another seed', () => {
    const rng = new NumpyRandomState(7);
    const a = Array.from({ length: 1000 }, (_, i) => i);
    rng.shuffle(a);
    expect(a.slice(0, 8)).toEqual([778, 334, 271, 802, 216, 408, 812, 94]);
    expect(a.slice(-3)).toEqual([537, 196, 175]);
  });

  it('rejects seeds numpy rejects', () => {
    expect(() => new NumpyRandomState(-1)).toThrow(/seed/);
    expect(() => new NumpyRandomState(1.5)).toThrow(/seed/);
  });
});
