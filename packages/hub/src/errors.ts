/**
 * Every failure of this package: HTTP errors (with the status and the URL, which never holds the
 * token), offline misses, integrity failures. Messages say what to do next.
 */
export class HubError extends Error {
  status?: number;
  url?: string;

  constructor(message: string, details: { status?: number; url?: string; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'HubError';
    if (details.status !== undefined) this.status = details.status;
    if (details.url !== undefined) this.url = details.url;
  }
}
