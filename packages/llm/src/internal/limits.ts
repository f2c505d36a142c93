/** At most `limit` holders at once; waiters are served in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiters.push(resolve));
    else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      // The slot passes straight to the next waiter, so `active` stays counted.
      if (next) next();
      else this.active--;
    };
  }
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (ms <= 0) return resolve();
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Spaces request starts evenly at `requestsPerMinute` (an interval of 60 s / rpm), which keeps a client under a
 * provider's per-minute quota without bursts. `pauseUntil` holds every later start back (a 429's Retry-After
 * applies to the whole client, not just the request that got it).
 */
export class RateLimiter {
  private nextStart = 0;
  private readonly intervalMs: number;

  constructor(requestsPerMinute: number | undefined) {
    this.intervalMs = requestsPerMinute ? 60_000 / requestsPerMinute : 0;
  }

  /** Resolves when this caller may start a request; reserves its slot synchronously, so callers queue fairly. */
  async wait(signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    const start = Math.max(now, this.nextStart);
    this.nextStart = start + this.intervalMs;
    await sleep(start - now, signal);
  }

  pauseUntil(time: number): void {
    this.nextStart = Math.max(this.nextStart, time);
  }
}
