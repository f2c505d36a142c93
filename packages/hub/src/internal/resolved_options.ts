import { resolveHubCacheDir } from '../cache_dir.js';
import { HubError } from '../errors.js';
import type { HubOptions } from '../options.js';

export interface ResolvedOptions {
  revision: string;
  repoType: 'model' | 'dataset';
  cacheDir: string;
  token: string | undefined;
  offline: boolean;
  endpoint: string;
  fetch: typeof fetch;
  onProgress: HubOptions['onProgress'];
  /** Seconds to wait for the metadata request (huggingface_hub's HF_HUB_ETAG_TIMEOUT). */
  metadataTimeoutMs: number;
  /** Longest pause allowed between body chunks (huggingface_hub's HF_HUB_DOWNLOAD_TIMEOUT). */
  downloadStallTimeoutMs: number;
}

// huggingface_hub's _is_true.
function envFlag(value: string | undefined): boolean {
  return value !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(value.toUpperCase());
}

function envSeconds(value: string | undefined, fallback: number): number {
  const seconds = value === undefined ? Number.NaN : Number(value);
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : fallback) * 1000;
}

export function resolveOptions(options: HubOptions = {}): ResolvedOptions {
  const env = process.env;
  const endpoint = (options.endpoint ?? (env.HF_ENDPOINT || 'https://huggingface.co')).replace(/\/+$/, '');
  const revision = options.revision ?? 'main';
  validateRevision(revision);
  return {
    revision,
    repoType: options.repoType ?? 'model',
    cacheDir: options.cacheDir ?? resolveHubCacheDir(env),
    token: (options.token ?? (env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN)) || undefined,
    offline: options.offline ?? envFlag(env.HF_HUB_OFFLINE),
    endpoint,
    fetch: options.fetch ?? globalThis.fetch,
    onProgress: options.onProgress,
    metadataTimeoutMs: envSeconds(env.HF_HUB_ETAG_TIMEOUT, 10),
    downloadStallTimeoutMs: envSeconds(env.HF_HUB_DOWNLOAD_TIMEOUT, 10),
  };
}

/** Paths inside the repository and revisions both become cache paths: keep them inside it. */
function hasUnsafeSegments(path: string): boolean {
  if (path.length === 0 || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return true;
  return path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..');
}

export function validateRevision(revision: string): void {
  if (hasUnsafeSegments(revision)) throw new HubError(`Invalid revision "${revision}"`);
}

export function validateFilename(filename: string): void {
  if (hasUnsafeSegments(filename)) {
    throw new HubError(
      `Invalid file name "${filename}": expected a relative path inside the repository, such as "config.json" or "1_Pooling/config.json"`,
    );
  }
}

export function validateRepoId(repoId: string): void {
  const parts = repoId.split('/');
  if (parts.length > 2 || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\'))) {
    throw new HubError(`Invalid repository id "${repoId}": expected "name" or "org/name"`);
  }
}
