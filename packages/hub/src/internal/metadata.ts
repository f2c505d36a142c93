import { HubError } from '../errors.js';
import { baseHeaders, fetchFollowingRedirects, httpError, normalizeEtag } from './http.js';
import type { ResolvedOptions } from './resolved_options.js';
import type { RequestTarget } from './target.js';

export interface FileMetadata {
  commit: string;
  etag: string;
  size: number | undefined;
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function repoUrlPrefix(options: ResolvedOptions, repoId: string, repoType: 'model' | 'dataset'): string {
  return `${options.endpoint}/${repoType === 'dataset' ? 'datasets/' : ''}${encodePath(repoId)}`;
}

/** `{endpoint}/[datasets/]{repo}/resolve/{revision}/{filename}`, revision encoded whole. */
export function resolveUrl(
  options: ResolvedOptions,
  target: RequestTarget & { filename: string },
  revision = target.revision,
): string {
  return `${repoUrlPrefix(options, target.repoId, target.repoType)}/resolve/${encodeURIComponent(revision)}/${encodePath(target.filename)}`;
}

/** `{endpoint}/api/{models|datasets}/{repo}/revision/{revision}`. */
export function repoInfoUrl(options: ResolvedOptions, target: RequestTarget): string {
  return `${options.endpoint}/api/${target.repoType}s/${encodePath(target.repoId)}/revision/${encodeURIComponent(target.revision)}`;
}

// Both become file names in the cache.
const SAFE_NAME = /^[\w.-]+$/;

/**
 * huggingface_hub's get_hf_file_metadata: a HEAD request that follows only relative redirects, so an
 * LFS file's metadata (X-Linked-Etag, X-Linked-Size) is read from its redirect to the CDN.
 */
export async function fetchFileMetadata(
  options: ResolvedOptions,
  target: RequestTarget & { filename: string },
): Promise<FileMetadata> {
  const url = resolveUrl(options, target);
  const { response } = await fetchFollowingRedirects(options, url, {
    method: 'HEAD',
    headers: baseHeaders(options),
    onlyRelative: true,
    signal: AbortSignal.timeout(options.metadataTimeoutMs),
  });
  const redirected = response.status >= 300 && response.status < 400;
  if (!response.ok && !redirected) throw httpError(response, url, target, options.token);
  const commit = response.headers.get('x-repo-commit') ?? undefined;
  const etag = normalizeEtag(response.headers.get('x-linked-etag') ?? response.headers.get('etag'));
  const sizeHeader =
    response.headers.get('x-linked-size') ?? (redirected ? null : response.headers.get('content-length'));
  const size = sizeHeader === null ? undefined : Number(sizeHeader);
  if (commit === undefined || !SAFE_NAME.test(commit) || commit === '.' || commit === '..') {
    throw new HubError(
      `The server did not send a usable X-Repo-Commit header for ${url}: is ${options.endpoint} a Hugging Face hub?`,
      { url, status: response.status },
    );
  }
  if (etag === undefined || !SAFE_NAME.test(etag) || etag === '.' || etag === '..') {
    throw new HubError(`The server did not send a usable ETag for ${url}, so the file cannot be cached`, {
      url,
      status: response.status,
    });
  }
  return {
    commit,
    etag,
    size: size !== undefined && Number.isSafeInteger(size) && size >= 0 ? size : undefined,
  };
}
