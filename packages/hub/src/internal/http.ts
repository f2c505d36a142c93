import { HubError } from '../errors.js';
import type { ResolvedOptions } from './resolved_options.js';
import { type RequestTarget, describeTarget } from './target.js';

const USER_AGENT = `contrastive-hub/0.1.0; node/${process.versions.node}`;
const MAX_REDIRECTS = 10;

export function baseHeaders(options: ResolvedOptions): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, 'accept-encoding': 'identity' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return headers;
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/**
 * fetch with redirects followed by hand, because the bearer token must not reach another host
 * (LFS files redirect to a CDN) and fetch would forward it. With `onlyRelative`, absolute redirects
 * are not followed and their response is returned (huggingface_hub's HEAD: a renamed repository
 * redirects relatively, an LFS file absolutely, with its metadata on the redirect itself).
 */
export async function fetchFollowingRedirects(
  options: ResolvedOptions,
  url: string,
  init: {
    method: 'GET' | 'HEAD';
    headers: Record<string, string>;
    signal?: AbortSignal;
    onlyRelative?: boolean;
  },
): Promise<{ response: Response; url: string }> {
  let current = url;
  let headers = { ...init.headers };
  const origin = new URL(url).origin;
  for (let hop = 0; ; hop++) {
    const request = {
      method: init.method,
      headers,
      redirect: 'manual' as const,
      ...(init.signal ? { signal: init.signal } : {}),
    };
    const response = await options.fetch(current, request).catch((error: unknown) => {
      // A kept-alive connection the server closed just as it was reused: one fresh try.
      if (!isStaleConnection(error)) throw error;
      return options.fetch(current, request);
    });
    const location = response.headers.get('location');
    if (!isRedirect(response.status) || location === null) return { response, url: current };
    const relativeLocation = !/^[a-z][a-z0-9+.-]*:|^\/\//i.test(location);
    if (init.onlyRelative && !relativeLocation) return { response, url: current };
    if (hop >= MAX_REDIRECTS) throw new HubError(`Too many redirects from ${url}`, { url });
    await response.body?.cancel();
    current = new URL(location, current).toString();
    if (new URL(current).origin !== origin) {
      headers = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'authorization'));
    }
  }
}

function isStaleConnection(error: unknown): boolean {
  const code = ((error as Error | undefined)?.cause as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET';
}

/** huggingface_hub's _normalize_etag: drop the weak marker and the quotes. */
export function normalizeEtag(etag: string | null): string | undefined {
  if (etag === null) return undefined;
  const normalized = etag.replace(/^W\//, '').replace(/^"|"$/g, '');
  return normalized || undefined;
}

/** Turns a failed response into a HubError whose message says what to do. */
export function httpError(response: Response, url: string, target: RequestTarget, token?: string): HubError {
  const status = response.status;
  const code = response.headers.get('x-error-code');
  const serverMessage = response.headers.get('x-error-message');
  const suffix = serverMessage ? ` Server said: ${serverMessage}` : '';
  let message: string;
  if (code === 'GatedRepo' || ((status === 401 || status === 403) && code !== 'RepoNotFound')) {
    message =
      `Access denied (HTTP ${status}) to ${describeTarget(target)} at ${url}. ` +
      (token
        ? 'The token in use (HF_TOKEN) was refused: check it has read access, and for a gated repository accept its conditions on the hub.'
        : 'The repository is gated or private: set HF_TOKEN to a token with read access (and accept the conditions of a gated repository on the hub).');
  } else if (code === 'RepoNotFound') {
    message =
      `Repository not found (HTTP ${status}): ${target.repoType} "${target.repoId}" at ${url}. ` +
      `Check the id${target.repoType === 'dataset' ? '' : " and the repo type (a data set needs repoType: 'dataset')"}; ` +
      (token
        ? 'if it is private, check that the token has access to it.'
        : 'if it is private, set HF_TOKEN.');
  } else if (code === 'RevisionNotFound') {
    message = `Revision "${target.revision}" not found in ${target.repoType} "${target.repoId}" (HTTP ${status}) at ${url}.`;
  } else if (code === 'EntryNotFound' || (status === 404 && target.filename !== undefined)) {
    message = `File "${target.filename}" not found in ${target.repoType} "${target.repoId}" at revision "${target.revision}" (HTTP ${status}), or the repository does not exist: ${url}`;
  } else if (status === 404) {
    message = `Not found (HTTP 404): ${target.repoType} "${target.repoId}" at revision "${target.revision}" does not exist: ${url}`;
  } else {
    message = `HTTP ${status} ${response.statusText} while fetching ${describeTarget(target)} from ${url}`;
  }
  const error = new HubError(message + suffix, { status, url });
  if (code === 'EntryNotFound' || code === 'RevisionNotFound' || (status === 404 && code === null)) {
    definitiveErrors.add(error);
  }
  return error;
}

/** Errors after which the hub has said the file or revision does not exist. */
const definitiveErrors = new WeakSet<HubError>();

/**
 * Whether huggingface_hub would fall back to the cache after this error: yes for network failures
 * and most HTTP errors (hub down, token problems), no when the hub says the file or revision does
 * not exist (a cached copy would be stale).
 */
export function mayUseCacheAfter(error: unknown): boolean {
  return !(error instanceof HubError && definitiveErrors.has(error));
}
