/** HTTP statuses worth another try: rate limited, request timeout, and server-side failures. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 408 || (status >= 500 && status <= 599);
}

/** Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3); returns milliseconds or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Exponential backoff with "equal jitter": half the capped exponential delay is fixed and half is random, so
 * retries always wait but clients that failed together do not retry together.
 */
export function backoffDelay(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const capped = Math.min(maxMs, initialMs * 2 ** attempt);
  return capped / 2 + random() * (capped / 2);
}
