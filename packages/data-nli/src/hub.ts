import { type HubOptions, hubDownloadFile, listRepoFiles } from '@contrastive/hub';
import { Dataset } from './dataset.js';
import { DataError } from './errors.js';
import { readParquet } from './parquet.js';

/** The ref where the hub keeps its Parquet conversion of every data set. */
export const PARQUET_REVISION = 'refs/convert/parquet';

/** Options of loadHubDataset: which part of the data set, and the hub options of `@contrastive/hub`. */
export interface HubDatasetOptions
  extends Pick<HubOptions, 'cacheDir' | 'token' | 'offline' | 'endpoint' | 'fetch'> {
  /** Configuration (subset) name (default `default`). */
  config?: string;
  /** Split name (default `train`). */
  split?: string;
  /** Default: the hub's Parquet conversion, `refs/convert/parquet`. */
  revision?: string;
}

/**
 * The Parquet files of one config/split in a repository listing: `<config>/<split>/NNNN.parquet`
 * (also `partial-<split>`, used for very large splits), or the older `<config>/<name>-<split>.parquet`
 * and `<config>/<name>-<split>-NNNNN-of-NNNNN.parquet`; shards in order.
 */
export function parquetFilesFor(
  files: readonly string[],
  repoId: string,
  config: string,
  split: string,
): string[] {
  const name = repoId.split('/').pop()!;
  const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const patterns = [
    new RegExp(`^${escapeRegExp(config)}/${escapeRegExp(split)}/\\d+\\.parquet$`),
    new RegExp(`^${escapeRegExp(config)}/partial-${escapeRegExp(split)}/\\d+\\.parquet$`),
    new RegExp(
      `^${escapeRegExp(config)}/${escapeRegExp(name)}-${escapeRegExp(split)}(-\\d+-of-\\d+)?\\.parquet$`,
    ),
  ];
  for (const pattern of patterns) {
    const matches = files.filter((f) => pattern.test(f));
    if (matches.length > 0) return matches.sort();
  }
  return [];
}

/**
 * Downloads a hub data set's Parquet conversion for one config and split into the hub cache (the same
 * cache as model downloads; offline it uses what is cached) and reads it into one Dataset.
 */
export async function loadHubDataset(repoId: string, options: HubDatasetOptions = {}): Promise<Dataset> {
  const config = options.config ?? 'default';
  const split = options.split ?? 'train';
  const hubOptions = {
    repoType: 'dataset' as const,
    revision: options.revision ?? PARQUET_REVISION,
    cacheDir: options.cacheDir,
    token: options.token,
    offline: options.offline,
    endpoint: options.endpoint,
    fetch: options.fetch,
  };
  const listing = await listRepoFiles(repoId, hubOptions);
  const files = parquetFilesFor(listing.files, repoId, config, split);
  if (files.length === 0) {
    const available = [
      ...new Set(
        listing.files.filter((f) => f.endsWith('.parquet')).map((f) => f.split('/').slice(0, -1).join('/')),
      ),
    ];
    throw new DataError(
      `no Parquet files for config "${config}", split "${split}" in ${repoId}@${hubOptions.revision} (available: ${available.join(', ') || 'none'})`,
    );
  }
  const parts: Dataset[] = [];
  for (const file of files) {
    // By the revision name (not the listed commit) so the cache records the ref for offline use.
    const local = await hubDownloadFile(repoId, file, hubOptions);
    parts.push(await readParquet(local));
  }
  return Dataset.concatenate(parts);
}
