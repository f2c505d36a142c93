import { existsSync, lstatSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { type SafetensorsTensor, readSafetensors } from '@contrastive/tensor-gpu';
import { checkInsidePath } from './modules/module_list.js';

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

/** The weights of a model folder: model.safetensors, or its shards; pickled `.bin` weights are refused. */
export function readEncoderWeights(dir: string): Map<string, SafetensorsTensor> {
  const st = join(dir, 'model.safetensors');
  if (existsSync(st)) return readSafetensors(st).tensors;
  const indexFile = join(dir, 'model.safetensors.index.json');
  if (existsSync(indexFile)) {
    let index: { weight_map?: Record<string, string> } | undefined;
    try {
      index = JSON.parse(readFileSync(indexFile, 'utf8')) as { weight_map?: Record<string, string> };
    } catch (e) {
      throw new Error(`${indexFile}: not valid JSON (${(e as Error).message})`);
    }
    if (!index?.weight_map || typeof index.weight_map !== 'object')
      throw new Error(`${indexFile}: no "weight_map" object`);
    const out = new Map<string, SafetensorsTensor>();
    for (const shard of new Set(Object.values(index.weight_map))) {
      checkInsidePath(String(shard), `${indexFile}: a shard`);
      for (const [k, v] of readSafetensors(join(dir, shard)).tensors) out.set(k, v);
    }
    return out;
  }
  if (existsSync(join(dir, 'pytorch_model.bin'))) {
    throw new Error(
      `${join(dir, 'pytorch_model.bin')}: pickled PyTorch weights are refused (unpickling can run arbitrary code); convert the model to model.safetensors first`,
    );
  }
  throw new Error(`${st}: model weights not found`);
}
