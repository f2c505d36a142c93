export { isHubRepoId, repoFolderName, resolveHubCacheDir } from './cache_dir.js';
export { hubDownloadFile } from './download.js';
export { HubError } from './errors.js';
export { listRepoFiles } from './list.js';
export type { RepoListing } from './list.js';
export type { HubOptions } from './options.js';
export { snapshotDownload } from './snapshot.js';
export type { SnapshotOptions } from './snapshot.js';
