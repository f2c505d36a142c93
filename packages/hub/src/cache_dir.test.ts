import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHubRepoId, repoFolderName, resolveHubCacheDir } from './cache_dir.js';

describe('resolveHubCacheDir', () => {
  it('follows huggingface_hub: HF_HUB_CACHE, then HF_HOME/hub, then XDG_CACHE_HOME/huggingface/hub, then ~/.cache', () => {
    const all = { HF_HUB_CACHE: '/a/hub', HF_HOME: '/b', XDG_CACHE_HOME: '/c', HOME: '/home/u' };
    expect(resolveHubCacheDir(all)).toBe('/a/hub');
    expect(resolveHubCacheDir({ ...all, HF_HUB_CACHE: undefined })).toBe('/b/hub');
    expect(resolveHubCacheDir({ XDG_CACHE_HOME: '/c', HOME: '/home/u' })).toBe('/c/huggingface/hub');
    expect(resolveHubCacheDir({ HOME: '/home/u' })).toBe('/home/u/.cache/huggingface/hub');
    expect(resolveHubCacheDir({})).toBe(join(homedir(), '.cache', 'huggingface', 'hub'));
  });

  it('accepts the legacy HUGGINGFACE_HUB_CACHE and expands ~ as Python does', () => {
    expect(resolveHubCacheDir({ HUGGINGFACE_HUB_CACHE: '/legacy' })).toBe('/legacy');
    expect(resolveHubCacheDir({ HF_HUB_CACHE: '/new', HUGGINGFACE_HUB_CACHE: '/legacy' })).toBe('/new');
    expect(resolveHubCacheDir({ HF_HOME: '~/hf', HOME: '/home/u' })).toBe('/home/u/hf/hub');
  });

  it('treats empty variables as unset', () => {
    expect(resolveHubCacheDir({ HF_HUB_CACHE: '', HF_HOME: '', HOME: '/home/u' })).toBe(
      '/home/u/.cache/huggingface/hub',
    );
  });
});

describe('repoFolderName', () => {
  it('joins type and id with --', () => {
    expect(repoFolderName('sentence-transformers/all-MiniLM-L6-v2', 'model')).toBe(
      'models--sentence-transformers--all-MiniLM-L6-v2',
    );
    expect(repoFolderName('stanfordnlp/snli', 'dataset')).toBe('datasets--stanfordnlp--snli');
    expect(repoFolderName('bert-base-uncased', 'model')).toBe('models--bert-base-uncased');
  });
});

describe('isHubRepoId', () => {
  it('accepts org/name and name', () => {
    expect(isHubRepoId('sentence-transformers/all-MiniLM-L6-v2')).toBe(true);
    expect(isHubRepoId('bert-base-uncased')).toBe(true);
    expect(isHubRepoId('org_1/model.v2')).toBe(true);
  });

  it('rejects paths and malformed ids', () => {
    for (const s of [
      '',
      './model',
      '../model',
      '/abs/model',
      'a/b/c',
      'org/',
      '/name',
      'a--b/c',
      'a..b',
      '-x/y',
      'x/y.',
      'a b',
    ]) {
      expect(isHubRepoId(s), s).toBe(false);
    }
    expect(isHubRepoId(`org/${'x'.repeat(93)}`)).toBe(false);
  });

  it('rejects an id-shaped name that exists as a local folder', () => {
    const previous = process.cwd();
    const dir = mkdtempSync(join(tmpdir(), 'hub-id-'));
    try {
      process.chdir(dir);
      expect(isHubRepoId('org/local-model')).toBe(true);
      mkdirSync(join(dir, 'org', 'local-model'), { recursive: true });
      expect(isHubRepoId('org/local-model')).toBe(false);
      expect(isHubRepoId('org')).toBe(false);
      expect(isHubRepoId('org/other-model')).toBe(true);
    } finally {
      process.chdir(previous);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
