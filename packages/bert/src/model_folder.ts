import { lstatSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';

const MAX_ENTRIES = 10_000;

function inside(root: string, path: string): boolean {
  const r = relative(root, path);
  return r === '' || (!r.startsWith(`..${sep}`) && r !== '..' && !r.startsWith(sep));
}

/**
 * A model folder is untrusted input (hub downloads): every symbolic link in it must point inside the folder
 * itself or, for a hub snapshot (`<repo>/snapshots/<revision>`), into that repo's `blobs/`, where the hub cache
 * keeps the files its snapshot links name. Anything else (`/etc`, a sibling folder) is refused, naming the link.
 */
export function checkModelFolderLinks(dir: string): void {
  const root = realpathSync(dir);
  const allowed = [root];
  if (basename(dirname(dir)) === 'snapshots') {
    try {
      allowed.push(realpathSync(join(dir, '..', '..', 'blobs')));
    } catch {
      // no blobs folder: only links inside the snapshot are allowed
    }
  }
  let seen = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      if (++seen > MAX_ENTRIES) return; // a model folder this large is not ours to police file by file
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) {
        let target: string;
        try {
          target = realpathSync(p);
        } catch {
          continue; // a dangling link: reading it fails later with the file named
        }
        if (!allowed.some((a) => inside(a, target)))
          throw new Error(
            `${p}: a link to ${target}, outside the model folder (links may point only inside it)`,
          );
      } else if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
}
