/**
 * numpy's legacy `np.random.RandomState(seed)` (MT19937) and its `shuffle`, bit for bit, so that MTEB's
 * classification protocol (seed 42, shuffle the train indices, keep the first n of each label) picks the
 * very same training examples here as in Python.
 */
export class NumpyRandomState {
  private readonly state = new Uint32Array(624);
  private position = 624;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new Error(`seed must be an integer in [0, 2^32 - 1], got ${seed}`);
    }
    // numpy's mt19937_seed (= Matsumoto & Nishimura's init_genrand) for a scalar integer seed.
    this.state[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.state[i - 1]!;
      this.state[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
  }

  /** genrand_int32: the next 32-bit output of MT19937. */
  nextUint32(): number {
    if (this.position >= 624) this.twist();
    let y = this.state[this.position++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** numpy's random_interval: uniform integer in [0, max] by masking and rejection (max < 2^32). */
  randomInterval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do {
      value = (this.nextUint32() & mask) >>> 0;
    } while (value > max);
    return value;
  }

  /** In-place `RandomState.shuffle` of a 1-D array (Fisher-Yates from the end). */
  shuffle<T>(items: T[]): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.randomInterval(i);
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
  }

  private twist(): void {
    const mt = this.state;
    for (let i = 0; i < 624; i++) {
      const y = (mt[i]! & 0x80000000) | (mt[(i + 1) % 624]! & 0x7fffffff);
      let v = mt[(i + 397) % 624]! ^ (y >>> 1);
      if (y & 1) v ^= 0x9908b0df;
      mt[i] = v >>> 0;
    }
    this.position = 0;
  }
}
