import { existsSync } from 'node:fs';
import { HubError } from './errors.js';
import { RepoCache } from './internal/cache.js';
import { offlineMissError, unreachableError } from './internal/failures.js';
import { baseHeaders, fetchFollowingRedirects, httpError, mayUseCacheAfter } from './internal/http.js';
import { repoInfoUrl } from './internal/metadata.js';
import { type ResolvedOptions, resolveOptions, validateRepoId } from './internal/resolved_options.js';
import type { RequestTarget } from './internal/target.js';
import type { HubOptions } from './options.js';

export interface RepoListing {
  commit: string;
  files: string[];
}

/** GET /api/{models|datasets}/{repo}/revision/{revision}: the commit and its files. */
export async function fetchRepoListing(
  options: ResolvedOptions,
  target: RequestTarget,
): Promise<RepoListing> {
  const url = repoInfoUrl(options, target);
  const { response } = await fetchFollowingRedirects(options, url, {
    method: 'GET',
    headers: { ...baseHeaders(options), accept: 'application/json' },
    signal: AbortSignal.timeout(options.metadataTimeoutMs),
  });
  if (!response.ok) throw httpError(response, url, target, options.token);
  const body = (await response.json()) as { sha?: unknown; siblings?: unknown };
  const siblings = Array.isArray(body.siblings) ? body.siblings : undefined;
  if (typeof body.sha !== 'string' || siblings === undefined) {
    throw new HubError(`Unexpected answer from ${url}: expected JSON with "sha" and "siblings"`, { url });
  }
  const files = siblings.map((sibling, index) => {
    const name = (sibling as { rfilename?: unknown } | null)?.rfilename;
    if (typeof name !== 'string')
      throw new HubError(`Unexpected answer from ${url}: siblings[${index}].rfilename is not a string`, {
        url,
      });
    return name;
  });
  return { commit: body.sha, files };
}

/** The commit and files of a cached snapshot, or undefined when the revision is not cached. */
export async function cachedListing(cache: RepoCache, revision: string): Promise<RepoListing | undefined> {
  const commit = await cache.cachedCommit(revision);
  if (commit === undefined || !existsSync(cache.snapshotDir(commit))) return undefined;
  return { commit, files: await cache.listSnapshot(commit) };
}

/**
 * The files of a repository at a revision, from the hub's API. Offline (or with the hub unreachable)
 * it lists the cached snapshot instead, which holds only the files downloaded so far.
 */
export async function listRepoFiles(repoId: string, options?: HubOptions): Promise<RepoListing> {
  validateRepoId(repoId);
  const resolved = resolveOptions(options);
  const target = { repoId, repoType: resolved.repoType, revision: resolved.revision };
  const cache = new RepoCache(resolved.cacheDir, repoId, resolved.repoType);
  if (resolved.offline) {
    const cached = await cachedListing(cache, resolved.revision);
    if (cached !== undefined) return cached;
    throw offlineMissError(target, resolved.cacheDir);
  }
  try {
    return await fetchRepoListing(resolved, target);
  } catch (error) {
    if (mayUseCacheAfter(error)) {
      const cached = await cachedListing(cache, resolved.revision);
      if (cached !== undefined) return cached;
    }
    throw unreachableError(error, target, resolved);
  }
}
