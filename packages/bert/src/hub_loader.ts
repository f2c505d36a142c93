import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type HubOptions, isHubRepoId, listRepoFiles, snapshotDownload } from '@contrastive/hub';

/** Where a hub model comes from (revision, cache, token, offline, endpoint, fetch), as @contrastive/hub takes them. */
export type ModelSourceOptions = Pick<
  HubOptions,
  'revision' | 'cacheDir' | 'token' | 'offline' | 'endpoint' | 'fetch'
>;

/** The files a sentence-transformers BERT needs; pickled weights are never fetched. */
const MODEL_PATTERNS = [
  'modules.json',
  'config.json',
  'model.safetensors',
  'model.safetensors.index.json',
  'model-*.safetensors',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
  'sentence_bert_config.json',
  'config_sentence_transformers.json',
  '*_Pooling/*',
  '*_Dense/config.json',
  '*_Dense/model.safetensors',
  '0_Transformer/*.json',
  '0_Transformer/*.safetensors',
  '0_Transformer/vocab.txt',
];

/** A local folder as is; a hub id downloaded into the hub cache (or found there offline). */
export async function resolveModelDir(pathOrId: string, options: ModelSourceOptions = {}): Promise<string> {
  const local = resolve(pathOrId);
  if (existsSync(local)) {
    if (!statSync(local).isDirectory()) throw new Error(`${local}: a model must be a folder`);
    return local;
  }
  if (!isHubRepoId(pathOrId))
    throw new Error(`${pathOrId}: model folder not found (and not a hub id like "org/name")`);
  const hubOpts = {
    revision: options.revision,
    cacheDir: options.cacheDir,
    token: options.token,
    offline: options.offline,
    endpoint: options.endpoint,
    fetch: options.fetch,
  };
  if (!options.offline && process.env.HF_HUB_OFFLINE !== '1') {
    const { files } = await listRepoFiles(pathOrId, hubOpts);
    const hasSafetensors = files.some((f) => f.endsWith('.safetensors'));
    if (!hasSafetensors && files.some((f) => f.endsWith('pytorch_model.bin'))) {
      throw new Error(
        `${pathOrId}: the repository has only pickled pytorch_model.bin weights, which are refused (unpickling can run arbitrary code); use a revision with model.safetensors`,
      );
    }
  }
  return snapshotDownload(pathOrId, { ...hubOpts, allowPatterns: MODEL_PATTERNS });
}
