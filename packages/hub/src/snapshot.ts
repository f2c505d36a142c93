import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hubDownloadFile } from './download.js';
import { RepoCache } from './internal/cache.js';
import { offlineMissError, unreachableError } from './internal/failures.js';
import { mayUseCacheAfter } from './internal/http.js';
import { filterPaths } from './internal/patterns.js';
import { resolveOptions, validateRepoId } from './internal/resolved_options.js';
import { fetchRepoListing } from './list.js';
import type { HubOptions } from './options.js';

export interface SnapshotOptions extends HubOptions {
  /** fnmatch patterns (`*.json`, `1_Pooling/`); only matching files are downloaded. */
  allowPatterns?: string[];
  /** fnmatch patterns of files to skip. */
  ignorePatterns?: string[];
}

const PARALLEL_DOWNLOADS = 4;

/**
 * Downloads the files of a repository revision that match the patterns and returns the snapshot
 * folder, `<cache>/<repo folder>/snapshots/<commit>`. Offline, or with the hub unreachable, it
 * returns the cached snapshot of the revision when there is one (as huggingface_hub does).
 */
export async function snapshotDownload(repoId: string, options: SnapshotOptions = {}): Promise<string> {
  validateRepoId(repoId);
  const resolved = resolveOptions(options);
  const target = { repoId, repoType: resolved.repoType, revision: resolved.revision };
  const cache = new RepoCache(resolved.cacheDir, repoId, resolved.repoType);
  const cachedSnapshot = async () => {
    const commit = await cache.cachedCommit(resolved.revision);
    return commit !== undefined && existsSync(cache.snapshotDir(commit))
      ? cache.snapshotDir(commit)
      : undefined;
  };

  if (resolved.offline) {
    const cached = await cachedSnapshot();
    if (cached !== undefined) return cached;
    throw offlineMissError(target, resolved.cacheDir);
  }
  let listing: Awaited<ReturnType<typeof fetchRepoListing>>;
  try {
    listing = await fetchRepoListing(resolved, target);
  } catch (error) {
    if (mayUseCacheAfter(error)) {
      const cached = await cachedSnapshot();
      if (cached !== undefined) return cached;
    }
    throw unreachableError(error, target, resolved);
  }

  const { allowPatterns, ignorePatterns, ...fileOptions } = options;
  const wanted = filterPaths(listing.files, allowPatterns, ignorePatterns);
  await cache.writeRef(resolved.revision, listing.commit);
  await mkdir(cache.snapshotDir(listing.commit), { recursive: true });
  // Each file at the listed commit, so all of them come from one version of the repository.
  const queue = [...wanted];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      await hubDownloadFile(repoId, file, { ...fileOptions, revision: listing.commit, offline: false });
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_DOWNLOADS, queue.length) }, worker));
  return cache.snapshotDir(listing.commit);
}
