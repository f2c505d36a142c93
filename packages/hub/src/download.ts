import { existsSync } from 'node:fs';
import { RepoCache, isCommitSha } from './internal/cache.js';
import { offlineMissError, unreachableError } from './internal/failures.js';
import { mayUseCacheAfter } from './internal/http.js';
import { fetchFileMetadata, resolveUrl } from './internal/metadata.js';
import { resolveOptions, validateFilename, validateRepoId } from './internal/resolved_options.js';
import { downloadBlob } from './internal/transfer.js';
import type { HubOptions } from './options.js';

// One download per blob at a time in this process: parallel callers wait for the first.
const blobsInFlight = new Map<string, Promise<void>>();

/**
 * Downloads one file of a hub repository into the hub cache (shared with huggingface_hub) and
 * returns its path, `<cache>/<repo folder>/snapshots/<commit>/<filename>`. A file already in the
 * snapshot of the revision's current commit is not downloaded again.
 */
export async function hubDownloadFile(
  repoId: string,
  filename: string,
  options?: HubOptions,
): Promise<string> {
  validateRepoId(repoId);
  validateFilename(filename);
  const resolved = resolveOptions(options);
  const target = { repoId, repoType: resolved.repoType, revision: resolved.revision, filename };
  const cache = new RepoCache(resolved.cacheDir, repoId, resolved.repoType);

  // A commit sha pins the content, so a cached copy needs no network at all.
  if (isCommitSha(resolved.revision)) {
    const cached = await cache.cachedFile(resolved.revision, filename);
    if (cached !== undefined) return cached;
  }
  if (resolved.offline) {
    const cached = await cache.cachedFile(resolved.revision, filename);
    if (cached !== undefined) return cached;
    throw offlineMissError(target, resolved.cacheDir);
  }

  let metadata: Awaited<ReturnType<typeof fetchFileMetadata>>;
  try {
    metadata = await fetchFileMetadata(resolved, target);
  } catch (error) {
    // As huggingface_hub: hub unreachable (or refusing) but the file cached for this revision.
    if (mayUseCacheAfter(error)) {
      const cached = await cache.cachedFile(resolved.revision, filename);
      if (cached !== undefined) return cached;
    }
    throw unreachableError(error, target, resolved);
  }

  await cache.writeRef(resolved.revision, metadata.commit);
  const pointer = cache.snapshotFile(metadata.commit, filename);
  if (existsSync(pointer)) return pointer;

  const blobPath = cache.blobPath(metadata.etag);
  if (!existsSync(blobPath)) {
    let inFlight = blobsInFlight.get(blobPath);
    if (inFlight === undefined) {
      inFlight = downloadBlob(resolved, {
        // Pinned to the commit, so a branch moving meanwhile cannot mix two versions.
        url: resolveUrl(resolved, target, metadata.commit),
        target,
        blobPath,
        expectedSize: metadata.size,
        etag: metadata.etag,
      }).finally(() => blobsInFlight.delete(blobPath));
      blobsInFlight.set(blobPath, inFlight);
    }
    await inFlight;
  }
  return cache.linkSnapshotFile(metadata.commit, filename, metadata.etag);
}
