/** A provider call that failed for good: after its retries, or at once for errors a retry cannot fix. */
export class LlmError extends Error {
  override readonly name = 'LlmError';

  constructor(
    message: string,
    /** The endpoint called (never the key). */
    readonly url: string,
    /** HTTP status of the last response, when there was one. */
    readonly status?: number,
    /** How many requests were sent. */
    readonly attempts?: number,
  ) {
    super(message);
  }
}
