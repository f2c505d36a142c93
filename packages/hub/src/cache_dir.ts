import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** `~` and `~/x` as Python's os.path.expanduser reads them, so paths from the same env agree. */
function expandHome(path: string, env: NodeJS.ProcessEnv): string {
  if (path === '~') return env.HOME || homedir();
  if (path.startsWith('~/')) return join(env.HOME || homedir(), path.slice(2));
  return path;
}

/**
 * The hub cache folder, resolved as huggingface_hub's constants do: HF_HUB_CACHE, then the legacy
 * HUGGINGFACE_HUB_CACHE, then HF_HOME/hub, where HF_HOME defaults to $XDG_CACHE_HOME/huggingface
 * and XDG_CACHE_HOME to ~/.cache.
 */
export function resolveHubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (explicit) return resolve(expandHome(explicit, env));
  const xdgCache = env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  const hfHome = env.HF_HOME || join(xdgCache, 'huggingface');
  return resolve(expandHome(hfHome, env), 'hub');
}

/** The cache folder of one repository: `models--org--name`, `datasets--org--name`. */
export function repoFolderName(repoId: string, repoType: 'model' | 'dataset'): string {
  return [`${repoType}s`, ...repoId.split('/')].join('--');
}

// huggingface_hub's validate_repo_id: word characters, '-' and '.', one optional namespace.
const REPO_ID = /^(\b[\w\-.]+\b\/)?\b[\w\-.]+\b$/;

/**
 * True when `s` reads as a hub repository id (`org/name` or `name`) and is not an existing local
 * path, so `./my-model` and `/models/x` stay local while `sentence-transformers/all-MiniLM-L6-v2`
 * goes to the hub.
 */
export function isHubRepoId(s: string): boolean {
  if (s.length === 0 || s.length > 96) return false;
  if (!REPO_ID.test(s) || s.includes('--') || s.includes('..')) return false;
  return !existsSync(s);
}
