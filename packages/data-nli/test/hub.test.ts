import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dataset, loadHubDataset, parquetFilesFor, writeParquet } from '../src/index.js';
import { tempFolder } from '../src/internal/test_files.js';

const { dir } = tempFolder();
const COMMIT = 'a'.repeat(40);
const REPO = 'org/nli-set';
const files = new Map<string, Buffer>();
const requests: string[] = [];
let server: Server;
let endpoint: string;

// A minimal stand-in for the hub: the repo listing API and resolve URLs (HEAD + GET) of one dataset.
beforeAll(async () => {
  const shard0 = Dataset.fromRows([
    { anchor: 'a1', positive: 'p1', negative: 'n1' },
    { anchor: 'a2', positive: 'p2', negative: 'n2' },
  ]);
  const shard1 = Dataset.fromRows([{ anchor: 'a3', positive: 'p3', negative: 'n3' }]);
  const dev = Dataset.fromRows([{ anchor: 'd', positive: 'dp', negative: 'dn' }]);
  for (const [name, ds] of [
    ['triplet/train/0000.parquet', shard0],
    ['triplet/train/0001.parquet', shard1],
    ['triplet/dev/0000.parquet', dev],
  ] as const) {
    const local = `${dir}/${name.replaceAll('/', '_')}`;
    await writeParquet(ds, local);
    files.set(name, readFileSync(local));
  }
  server = createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? '');
    requests.push(`${req.method} ${url}`);
    if (url === `/api/datasets/${REPO}/revision/refs/convert/parquet`) {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          sha: COMMIT,
          siblings: [...files.keys(), '.gitattributes'].map((rfilename) => ({ rfilename })),
        }),
      );
      return;
    }
    const match = url.match(new RegExp(`^/datasets/${REPO}/resolve/(refs/convert/parquet|${COMMIT})/(.+)$`));
    const body = match ? files.get(match[2]!) : undefined;
    if (!body) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('x-repo-commit', COMMIT);
    res.setHeader('etag', `"${createHash('sha256').update(body).digest('hex')}"`);
    res.setHeader('content-length', String(body.length));
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('loadHubDataset', () => {
  it('downloads every shard of the Parquet conversion into the hub cache and reads them in order', async () => {
    const cacheDir = `${dir}/cache`;
    const ds = await loadHubDataset(REPO, {
      config: 'triplet',
      split: 'train',
      endpoint,
      cacheDir,
      token: '',
    });
    expect(ds.toRows()).toEqual([
      { anchor: 'a1', positive: 'p1', negative: 'n1' },
      { anchor: 'a2', positive: 'p2', negative: 'n2' },
      { anchor: 'a3', positive: 'p3', negative: 'n3' },
    ]);
    const snapshot = `${cacheDir}/datasets--org--nli-set/snapshots/${COMMIT}/triplet/train/0001.parquet`;
    expect(readFileSync(snapshot)).toEqual(files.get('triplet/train/0001.parquet'));
    expect(requests.some((r) => r.startsWith('GET') && r.endsWith('triplet/dev/0000.parquet'))).toBe(false);

    // Offline, the cache alone serves it.
    const before = requests.length;
    const offline = await loadHubDataset(REPO, {
      config: 'triplet',
      split: 'train',
      endpoint,
      cacheDir,
      offline: true,
    });
    expect(offline.numRows).toBe(3);
    expect(requests.length).toBe(before);
  });

  it('names the available config/split folders when the asked one is missing', async () => {
    await expect(
      loadHubDataset(REPO, {
        config: 'triplet',
        split: 'test',
        endpoint,
        cacheDir: `${dir}/cache2`,
        token: '',
      }),
    ).rejects.toThrow(
      /no Parquet files for config "triplet", split "test" .*available: triplet\/train, triplet\/dev/,
    );
  });
});

describe('parquetFilesFor', () => {
  it('finds shards in the current and the older layouts', () => {
    const listing = [
      'default/train/0001.parquet',
      'default/train/0000.parquet',
      'default/test/0000.parquet',
      'plain_text/snli-validation.parquet',
      'big/partial-train/0000.parquet',
      'old/set-train-00001-of-00002.parquet',
      'old/set-train-00000-of-00002.parquet',
    ];
    expect(parquetFilesFor(listing, 'o/set', 'default', 'train')).toEqual([
      'default/train/0000.parquet',
      'default/train/0001.parquet',
    ]);
    expect(parquetFilesFor(listing, 'stanfordnlp/snli', 'plain_text', 'validation')).toEqual([
      'plain_text/snli-validation.parquet',
    ]);
    expect(parquetFilesFor(listing, 'o/x', 'big', 'train')).toEqual(['big/partial-train/0000.parquet']);
    expect(parquetFilesFor(listing, 'o/set', 'old', 'train')).toEqual([
      'old/set-train-00000-of-00002.parquet',
      'old/set-train-00001-of-00002.parquet',
    ]);
    expect(parquetFilesFor(listing, 'o/set', 'default', 'dev')).toEqual([]);
  });
});
