import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CUT_AFTER_BYTES,
  type FakeHub,
  TOKEN,
  gitBlobSha1,
  sha256,
  startFakeHub,
} from '../../../test-support/fake_hub.js';
import { sharedPath } from '../../../test-support/shared.js';
import { HubError, type HubOptions, hubDownloadFile, listRepoFiles, snapshotDownload } from '../src/index.js';

const modelDir = sharedPath('fixtures', 'tiny-bert');
const source = (file: string) => readFileSync(join(modelDir, ...file.split('/')));
const MODEL = 'test-org/tiny-bert';
const modelShaHex = () => sha256(source('model.safetensors'));

let hub: FakeHub;
let cacheDir: string;

const networkDown: typeof fetch = () => Promise.reject(new TypeError('fetch failed'));
const options = (extra: HubOptions = {}): HubOptions => ({ endpoint: hub.endpoint, cacheDir, ...extra });
const repoRoot = (folder = 'models--test-org--tiny-bert') => join(cacheDir, folder);

// By digest: deep equality of large buffers is slow in vitest, and a digest diff reads as well.
function expectSameBytes(actual: Buffer, expected: Buffer): void {
  expect(sha256(actual)).toBe(sha256(expected));
}

async function hubError(promise: Promise<unknown>): Promise<HubError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HubError);
  return error as HubError;
}

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => {
      const name = prefix ? `${prefix}/${e.name}` : e.name;
      return e.isDirectory() ? filesUnder(dir, name) : [name];
    })
    .sort();
}

beforeAll(async () => {
  hub = await startFakeHub(modelDir);
});
afterAll(async () => {
  await hub.close();
});
beforeEach(() => {
  cacheDir = mkdtempSync(join(tmpdir(), 'contrastive-hub-'));
  hub.requests.length = 0;
  // The developer's own settings must not leak into these tests.
  for (const name of [
    'HF_TOKEN',
    'HUGGING_FACE_HUB_TOKEN',
    'HF_HUB_OFFLINE',
    'HF_ENDPOINT',
    'HF_HUB_CACHE',
  ]) {
    vi.stubEnv(name, '');
  }
});
afterEach(() => {
  vi.unstubAllEnvs();
  hub.cutOnce.clear();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('hubDownloadFile: cache layout', () => {
  it('stores a regular file as blobs/<git sha1> with a relative snapshot symlink and refs/main', async () => {
    const commit = hub.commitOf(MODEL);
    const path = await hubDownloadFile(MODEL, 'config.json', options());

    expect(path).toBe(join(repoRoot(), 'snapshots', commit, 'config.json'));
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    const etag = gitBlobSha1(source('config.json'));
    expect(readlinkSync(path)).toBe(join('..', '..', 'blobs', etag));
    expectSameBytes(readFileSync(path), source('config.json'));
    expect(readdirSync(join(repoRoot(), 'blobs'))).toEqual([etag]);
    expect(readFileSync(join(repoRoot(), 'refs', 'main'), 'utf8')).toBe(commit);
  });

  it('follows the LFS redirect and names the blob by its sha256', async () => {
    const path = await hubDownloadFile(MODEL, 'model.safetensors', options());
    const sha = modelShaHex();
    expect(readlinkSync(path)).toBe(join('..', '..', 'blobs', sha));
    expect(sha256(readFileSync(path))).toBe(sha);
    expect(hub.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `HEAD /${MODEL}/resolve/main/model.safetensors`,
      `GET /${MODEL}/resolve/${hub.commitOf(MODEL)}/model.safetensors`,
      `GET /lfs/${sha}`,
    ]);
  });

  it('places nested files in snapshot subfolders, linked up the right number of levels', async () => {
    const path = await hubDownloadFile(MODEL, '1_Pooling/config.json', options());
    expect(path).toBe(join(repoRoot(), 'snapshots', hub.commitOf(MODEL), '1_Pooling', 'config.json'));
    expect(readlinkSync(path)).toBe(
      join('..', '..', '..', 'blobs', gitBlobSha1(source('1_Pooling/config.json'))),
    );
    expectSameBytes(readFileSync(path), source('1_Pooling/config.json'));
  });

  it('does not download a cached file again: one HEAD for a branch, no request for a commit sha', async () => {
    const first = await hubDownloadFile(MODEL, 'model.safetensors', options());
    hub.requests.length = 0;
    expect(await hubDownloadFile(MODEL, 'model.safetensors', options())).toBe(first);
    expect(hub.requests.map((r) => r.method)).toEqual(['HEAD']);

    hub.requests.length = 0;
    const pinned = await hubDownloadFile(
      MODEL,
      'model.safetensors',
      options({ revision: hub.commitOf(MODEL) }),
    );
    expect(pinned).toBe(first);
    expect(hub.requests).toEqual([]);
  });

  it('rejects file names that would leave the snapshot folder', async () => {
    const error = await hubError(hubDownloadFile(MODEL, '../../escape.txt', options()));
    expect(error.message).toContain('"../../escape.txt"');
    expect(hub.requests).toEqual([]);
  });
});

describe('offline and network failures', () => {
  it('serves cached files with offline: true, and with HF_HUB_OFFLINE=1, without any request', async () => {
    const online = await hubDownloadFile(MODEL, 'vocab.txt', options());
    hub.requests.length = 0;
    expect(await hubDownloadFile(MODEL, 'vocab.txt', options({ offline: true, fetch: networkDown }))).toBe(
      online,
    );
    vi.stubEnv('HF_HUB_OFFLINE', '1');
    expect(await hubDownloadFile(MODEL, 'vocab.txt', options({ fetch: networkDown }))).toBe(online);
    expect(await listRepoFiles(MODEL, options({ fetch: networkDown }))).toEqual({
      commit: hub.commitOf(MODEL),
      files: ['vocab.txt'],
    });
    expect(hub.requests).toEqual([]);
  });

  it('fails offline with a message naming the file and the cache folder when not cached', async () => {
    await hubDownloadFile(MODEL, 'vocab.txt', options());
    vi.stubEnv('HF_HUB_OFFLINE', 'true');
    const error = await hubError(hubDownloadFile(MODEL, 'tokenizer.json', options()));
    expect(error.message).toContain('"tokenizer.json"');
    expect(error.message).toContain(MODEL);
    expect(error.message).toContain(cacheDir);
    expect(error.message).toContain('offline');
    expect(existsSync(join(repoRoot(), 'snapshots', hub.commitOf(MODEL), 'tokenizer.json'))).toBe(false);
  });

  it('falls back to the cache when the hub cannot be reached, and says so when it is not cached', async () => {
    const online = await hubDownloadFile(MODEL, 'config.json', options());
    expect(await hubDownloadFile(MODEL, 'config.json', options({ fetch: networkDown }))).toBe(online);

    const error = await hubError(hubDownloadFile(MODEL, 'modules.json', options({ fetch: networkDown })));
    expect(error.message).toContain('Could not reach');
    expect(error.message).toContain('"modules.json"');
    expect(error.message).toContain(cacheDir);
  });
});

describe('errors', () => {
  it('names both the file and the repository on a 404', async () => {
    const error = await hubError(hubDownloadFile(MODEL, 'missing.bin', options()));
    expect(error.status).toBe(404);
    expect(error.message).toContain('"missing.bin"');
    expect(error.message).toContain(`"${MODEL}"`);
    expect(error.url).toBe(`${hub.endpoint}/${MODEL}/resolve/main/missing.bin`);
    expect(existsSync(join(repoRoot(), 'snapshots'))).toBe(false);
  });

  it('reports an unknown repository and an unknown revision', async () => {
    const repo = await hubError(hubDownloadFile('test-org/no-such-model', 'config.json', options()));
    expect(repo.status).toBe(404);
    expect(repo.message).toMatch(/^Repository not found .*"test-org\/no-such-model"/);

    const revision = await hubError(hubDownloadFile(MODEL, 'config.json', options({ revision: 'v9' })));
    expect(revision.message).toContain('Revision "v9" not found');
  });
});

describe('tokens', () => {
  const PRIVATE = 'test-org/private-bert';

  it('sends the token as a bearer to the hub but not to the CDN the LFS file redirects to', async () => {
    const path = await hubDownloadFile(PRIVATE, 'model.safetensors', options({ token: TOKEN }));
    expect(sha256(readFileSync(path))).toBe(modelShaHex());
    const toHub = hub.requests.filter((r) => r.server === 'hub');
    const toCdn = hub.requests.filter((r) => r.server === 'cdn');
    expect(toHub.length).toBe(2);
    expect(toHub.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(toCdn.map((r) => [r.url, r.authorization])).toEqual([[`/lfs/${modelShaHex()}`, undefined]]);
  });

  it('reads HF_TOKEN, else HUGGING_FACE_HUB_TOKEN', async () => {
    vi.stubEnv('HUGGING_FACE_HUB_TOKEN', TOKEN);
    await hubDownloadFile(PRIVATE, 'config.json', options());
    vi.stubEnv('HF_TOKEN', TOKEN);
    vi.stubEnv('HUGGING_FACE_HUB_TOKEN', 'hf_other');
    await hubDownloadFile(PRIVATE, 'vocab.txt', options());
    expect(hub.requests.map((r) => r.authorization)).toEqual(Array(4).fill(`Bearer ${TOKEN}`));
  });

  it('explains a refused or missing token without ever printing it', async () => {
    const missing = await hubError(hubDownloadFile(PRIVATE, 'config.json', options()));
    expect(missing.status).toBe(401);
    expect(missing.message).toContain('set HF_TOKEN');

    const wrongToken = 'hf_wrong_secret_value_987654321';
    const refused = await hubError(hubDownloadFile(PRIVATE, 'config.json', options({ token: wrongToken })));
    expect(refused.status).toBe(401);
    expect(refused.message).toContain('was refused');
    const everything = `${refused.message} ${refused.url} ${String(refused.cause)} ${refused.stack}`;
    expect(everything).not.toContain(wrongToken);

    const listing = await hubError(listRepoFiles(PRIVATE, options({ token: wrongToken })));
    expect(`${listing.message} ${listing.stack}`).not.toContain(wrongToken);
  });
});

describe('crash-safe downloads', () => {
  it('resumes with a Range request when the connection is cut mid-body', async () => {
    const sha = modelShaHex();
    const incomplete = join(repoRoot(), 'blobs', `${sha}.incomplete`);
    hub.cutOnce.set(`/lfs/${sha}`, async () => {
      // Cut only once the client has stored what was sent, so the resume point is known.
      for (
        let i = 0;
        i < 500 && (existsSync(incomplete) ? statSync(incomplete).size : 0) < CUT_AFTER_BYTES;
        i++
      ) {
        await new Promise((done) => setTimeout(done, 10));
      }
    });
    const path = await hubDownloadFile(MODEL, 'model.safetensors', options());
    expect(sha256(readFileSync(path))).toBe(sha);

    const cdnGets = hub.requests.filter((r) => r.url === `/lfs/${sha}`);
    expect(cdnGets.length).toBe(2);
    expect(cdnGets[0]!.range).toBeUndefined();
    expect(cdnGets[1]!.range).toBe(`bytes=${CUT_AFTER_BYTES}-`);
    expect(readdirSync(join(repoRoot(), 'blobs'))).toEqual([sha]);
  });

  it('resumes the .incomplete file a killed process left behind', async () => {
    const sha = modelShaHex();
    const content = source('model.safetensors');
    mkdirSync(join(repoRoot(), 'blobs'), { recursive: true });
    writeFileSync(join(repoRoot(), 'blobs', `${sha}.incomplete`), content.subarray(0, 12345));

    const path = await hubDownloadFile(MODEL, 'model.safetensors', options());
    // Compared by digest: a deep equality of 4 MB buffers is slow in vitest.
    expect(sha256(readFileSync(path))).toBe(sha);
    expect(hub.requests.filter((r) => r.url === `/lfs/${sha}`).map((r) => r.range)).toEqual(['bytes=12345-']);
    expect(readdirSync(join(repoRoot(), 'blobs'))).toEqual([sha]);
  });

  it('starts again from zero when the server ignores the Range header', async () => {
    const etag = gitBlobSha1(source('vocab.txt'));
    mkdirSync(join(repoRoot(), 'blobs'), { recursive: true });
    writeFileSync(join(repoRoot(), 'blobs', `${etag}.incomplete`), 'stale bytes that must not stay');
    const ignoreRange: typeof fetch = (url, init) => {
      const { range: _dropped, ...headers } = (init?.headers ?? {}) as Record<string, string>;
      return fetch(url, { ...init, headers });
    };
    const path = await hubDownloadFile(MODEL, 'vocab.txt', options({ fetch: ignoreRange }));
    expectSameBytes(readFileSync(path), source('vocab.txt'));
    expect(readdirSync(join(repoRoot(), 'blobs'))).toEqual([etag]);
  });

  it('rejects a download whose sha256 does not match and leaves no file behind', async () => {
    const folder = 'models--test-org--corrupt-bert';
    const error = await hubError(hubDownloadFile('test-org/corrupt-bert', 'model.safetensors', options()));
    expect(error.message).toContain('corrupted');
    expect(error.message).toContain(sha256('not the bytes that are served'));
    expect(readdirSync(join(repoRoot(folder), 'blobs'))).toEqual([]);
    expect(existsSync(join(repoRoot(folder), 'snapshots'))).toBe(false);
  });

  it('reports progress up to the full size', async () => {
    const events: { file: string; loaded: number; total?: number }[] = [];
    await hubDownloadFile(MODEL, 'model.safetensors', options({ onProgress: (e) => events.push(e) }));
    const size = source('model.safetensors').length;
    expect(events.at(-1)).toEqual({ file: 'model.safetensors', loaded: size, total: size });
    expect(events.every((e, i) => i === 0 || e.loaded > events[i - 1]!.loaded)).toBe(true);
  });
});

describe('datasets', () => {
  const DATASET = 'test-org/tiny-data';
  const PARQUET = 'refs/convert/parquet';

  it('uses datasets--org--name and nests refs/convert/parquet under refs/', async () => {
    const commit = hub.commitOf(DATASET, PARQUET);
    const path = await hubDownloadFile(
      DATASET,
      'default/train/0000.parquet',
      options({ repoType: 'dataset', revision: PARQUET }),
    );
    const root = repoRoot('datasets--test-org--tiny-data');
    expect(path).toBe(join(root, 'snapshots', commit, 'default', 'train', '0000.parquet'));
    expectSameBytes(readFileSync(path), source('vocab.txt'));
    expect(readFileSync(join(root, 'refs', 'refs', 'convert', 'parquet'), 'utf8')).toBe(commit);
    expect(hub.requests[0]!.url).toBe(
      `/datasets/${DATASET}/resolve/refs%2Fconvert%2Fparquet/default/train/0000.parquet`,
    );

    hub.requests.length = 0;
    const offline = await hubDownloadFile(DATASET, 'default/train/0000.parquet', {
      ...options({ repoType: 'dataset', revision: PARQUET }),
      offline: true,
    });
    expect(offline).toBe(path);
    expect(hub.requests).toEqual([]);
  });

  it('lists the files of a revision through /api/datasets/...', async () => {
    const listing = await listRepoFiles(DATASET, options({ repoType: 'dataset', revision: PARQUET }));
    expect(listing).toEqual({
      commit: hub.commitOf(DATASET, PARQUET),
      files: ['default/train/0000.parquet', 'default/test/0000.parquet'],
    });
    expect(hub.requests.map((r) => r.url)).toEqual([
      `/api/datasets/${DATASET}/revision/refs%2Fconvert%2Fparquet`,
    ]);
  });
});

describe('listRepoFiles and snapshotDownload', () => {
  it('lists every file of the model', async () => {
    const listing = await listRepoFiles(MODEL, options());
    expect(listing.commit).toBe(hub.commitOf(MODEL));
    expect([...listing.files].sort()).toEqual(filesUnder(modelDir));
  });

  it('downloads only the files matching the patterns and reuses them on the next call', async () => {
    const commit = hub.commitOf(MODEL);
    const folder = await snapshotDownload(MODEL, {
      ...options(),
      allowPatterns: ['*.json'],
      ignorePatterns: ['tokenizer*'],
    });
    expect(folder).toBe(join(repoRoot(), 'snapshots', commit));
    // fnmatch's '*' crosses '/', so 1_Pooling/config.json matches '*.json'.
    const expected = filesUnder(modelDir).filter((f) => f.endsWith('.json') && !f.startsWith('tokenizer'));
    expect(expected).toContain('1_Pooling/config.json');
    expect(filesUnder(folder)).toEqual(expected);
    for (const file of expected) expectSameBytes(readFileSync(join(folder, file)), source(file));
    expect(readFileSync(join(repoRoot(), 'refs', 'main'), 'utf8')).toBe(commit);

    hub.requests.length = 0;
    expect(
      await snapshotDownload(MODEL, {
        ...options(),
        allowPatterns: ['*.json'],
        ignorePatterns: ['tokenizer*'],
      }),
    ).toBe(folder);
    expect(hub.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET /api/models/${MODEL}/revision/main`,
    ]);

    hub.requests.length = 0;
    expect(await snapshotDownload(MODEL, options({ offline: true }))).toBe(folder);
    expect(await snapshotDownload(MODEL, options({ fetch: networkDown }))).toBe(folder);
    expect(hub.requests).toEqual([]);
  });

  it('names the repository when a snapshot is wanted offline and none is cached', async () => {
    const error = await hubError(snapshotDownload(MODEL, options({ offline: true })));
    expect(error.message).toContain(`"${MODEL}"`);
    expect(error.message).toContain(cacheDir);
  });
});
