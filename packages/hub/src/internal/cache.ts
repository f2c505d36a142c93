import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { repoFolderName } from '../cache_dir.js';

const COMMIT_SHA = /^[0-9a-f]{40}$/;

export function isCommitSha(revision: string): boolean {
  return COMMIT_SHA.test(revision);
}

/** Paths of one repository inside the hub cache (huggingface_hub's layout). */
export class RepoCache {
  readonly root: string;

  constructor(cacheDir: string, repoId: string, repoType: 'model' | 'dataset') {
    this.root = join(cacheDir, repoFolderName(repoId, repoType));
  }

  blobPath(etag: string): string {
    return join(this.root, 'blobs', etag);
  }

  snapshotDir(commit: string): string {
    return join(this.root, 'snapshots', commit);
  }

  snapshotFile(commit: string, filename: string): string {
    return join(this.snapshotDir(commit), ...filename.split('/'));
  }

  /** `refs/<revision>`; a revision such as `refs/convert/parquet` nests, as in huggingface_hub. */
  refPath(revision: string): string {
    return join(this.root, 'refs', ...revision.split('/'));
  }

  /** The commit a revision points to in the cache, or undefined when unknown. */
  async cachedCommit(revision: string): Promise<string | undefined> {
    if (isCommitSha(revision)) return revision;
    try {
      const commit = (await readFile(this.refPath(revision), 'utf8')).trim();
      return commit || undefined;
    } catch {
      return undefined;
    }
  }

  /** The cached copy of `filename` at `revision`, or undefined. */
  async cachedFile(revision: string, filename: string): Promise<string | undefined> {
    const commit = await this.cachedCommit(revision);
    if (commit === undefined) return undefined;
    const path = this.snapshotFile(commit, filename);
    // existsSync follows the symlink: a link whose blob was deleted counts as missing.
    return existsSync(path) ? path : undefined;
  }

  /** Records the commit of a branch or tag (huggingface_hub writes it without a newline). */
  async writeRef(revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    const path = this.refPath(revision);
    try {
      if ((await readFile(path, 'utf8')).trim() === commit) return;
    } catch {
      // not written yet
    }
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, commit);
  }

  /**
   * Points `snapshots/<commit>/<filename>` at the blob with a relative symlink, so the cache can be
   * moved; where symlinks are not allowed (Windows without developer mode) the blob is copied.
   */
  async linkSnapshotFile(commit: string, filename: string, etag: string): Promise<string> {
    const pointer = this.snapshotFile(commit, filename);
    const blob = this.blobPath(etag);
    await mkdir(dirname(pointer), { recursive: true });
    await rm(pointer, { force: true });
    try {
      await symlink(relative(dirname(pointer), blob), pointer);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Another download of the same file won the race: its link is as good as ours.
      if (code === 'EEXIST' && existsSync(pointer)) return pointer;
      await copyFile(blob, pointer);
    }
    return pointer;
  }

  /** Every file of a cached snapshot, as repository paths with '/' separators, sorted. */
  async listSnapshot(commit: string): Promise<string[]> {
    const root = this.snapshotDir(commit);
    const files: string[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const name = prefix + entry.name;
        if (entry.isDirectory()) await walk(join(dir, entry.name), `${name}/`);
        else if (existsSync(join(dir, entry.name))) files.push(name);
      }
    };
    await walk(root, '');
    return files.sort();
  }
}
