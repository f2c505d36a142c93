import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  createServer,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * A local stand-in for huggingface.co serving a model folder in the hub's URL layout, with the
 * headers huggingface_hub relies on. Binds to 127.0.0.1 only.
 */

export const TOKEN = 'hf_test_secret_token_1234567890';
/** Bytes sent before the connection is cut, for paths in `cutOnce`. */
export const CUT_AFTER_BYTES = 1_000_000;

export interface RecordedRequest {
  server: 'hub' | 'cdn';
  method: string;
  url: string;
  authorization: string | undefined;
  range: string | undefined;
}

interface RepoFile {
  content: Buffer;
  lfs: boolean;
  /** Served as the LFS etag instead of the real sha256 (a corrupted upload). */
  claimedSha256?: string;
}

interface Repo {
  type: 'model' | 'dataset';
  revisions: Map<string, string>; // revision name -> commit
  files: Map<string, RepoFile>; // per commit, same files (enough for these tests)
  private: boolean;
  /** LFS redirects go to the second server (another origin), as the hub's go to its CDN. */
  lfsOnCdn: boolean;
}

export interface FakeHub {
  endpoint: string;
  cdnEndpoint: string;
  requests: RecordedRequest[];
  /**
   * Paths (`/lfs/<sha>` or resolve paths) whose next GET body is cut after CUT_AFTER_BYTES, once the
   * given function resolves (the test waits there until the client has stored those bytes).
   */
  cutOnce: Map<string, () => Promise<void>>;
  commitOf(repoId: string, revision?: string): string;
  close(): Promise<void>;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The ETag the hub sends for a regular (non-LFS) file: git's blob sha1. */
export function gitBlobSha1(content: Buffer): string {
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]))
    .digest('hex');
}

function fakeCommit(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

function readFolder(root: string, prefix = ''): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) for (const [k, v] of readFolder(root, name)) files.set(k, v);
    else files.set(name, readFileSync(join(root, name)));
  }
  return files;
}

function serveBytes(
  req: IncomingMessage,
  res: ServerResponse,
  content: Buffer,
  headers: Record<string, string>,
  cut: (() => Promise<void>) | undefined,
): void {
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  let start = 0;
  if (range) {
    start = Number(range[1]);
    if (start >= content.length) {
      res.writeHead(416, { 'content-range': `bytes */${content.length}` }).end();
      return;
    }
    headers['content-range'] = `bytes ${start}-${content.length - 1}/${content.length}`;
  }
  const body = content.subarray(start);
  res.writeHead(range ? 206 : 200, {
    ...headers,
    'content-length': String(body.length),
    'accept-ranges': 'bytes',
  });
  if (req.method === 'HEAD') {
    res.end();
  } else if (cut) {
    // Send part of the body, let the client read it, then drop the connection.
    res.write(body.subarray(0, CUT_AFTER_BYTES), () => {
      cut().finally(() => res.socket?.destroy());
    });
  } else {
    res.end(body);
  }
}

export async function startFakeHub(modelFolder: string): Promise<FakeHub> {
  const folder = readFolder(modelFolder);
  const toRepoFiles = (files: Map<string, Buffer>, claimed?: string) =>
    new Map(
      [...files].map(([name, content]) => [
        name,
        {
          content,
          lfs: name.endsWith('.safetensors') || name.endsWith('.parquet'),
          ...(claimed && name.endsWith('.safetensors') ? { claimedSha256: claimed } : {}),
        },
      ]),
    );
  const repos = new Map<string, Repo>([
    [
      'model:test-org/tiny-bert',
      {
        type: 'model',
        revisions: new Map([['main', fakeCommit('tiny-bert@main')]]),
        files: toRepoFiles(folder),
        private: false,
        lfsOnCdn: false,
      },
    ],
    [
      'model:test-org/private-bert',
      {
        type: 'model',
        revisions: new Map([['main', fakeCommit('private-bert@main')]]),
        files: toRepoFiles(folder),
        private: true,
        lfsOnCdn: true,
      },
    ],
    [
      'model:test-org/corrupt-bert',
      {
        type: 'model',
        revisions: new Map([['main', fakeCommit('corrupt-bert@main')]]),
        files: toRepoFiles(folder, sha256('not the bytes that are served')),
        private: false,
        lfsOnCdn: false,
      },
    ],
    [
      'dataset:test-org/tiny-data',
      {
        type: 'dataset',
        revisions: new Map([
          ['main', fakeCommit('tiny-data@main')],
          ['refs/convert/parquet', fakeCommit('tiny-data@parquet')],
        ]),
        files: toRepoFiles(
          new Map([
            ['default/train/0000.parquet', folder.get('vocab.txt')!],
            ['default/test/0000.parquet', folder.get('config.json')!],
          ]),
        ),
        private: false,
        lfsOnCdn: false,
      },
    ],
  ]);
  const lfsBlobs = new Map<string, Buffer>();
  for (const repo of repos.values()) {
    for (const file of repo.files.values()) if (file.lfs) lfsBlobs.set(sha256(file.content), file.content);
  }

  const requests: RecordedRequest[] = [];
  const cutOnce = new Map<string, () => Promise<void>>();
  let endpoint = '';
  let cdnEndpoint = '';

  const takeCut = (req: IncomingMessage, path: string) => {
    const cut = req.method === 'GET' ? cutOnce.get(path) : undefined;
    cutOnce.delete(path);
    return cut;
  };

  const handler = (server: 'hub' | 'cdn') => (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const headers: IncomingHttpHeaders = req.headers;
    requests.push({
      server,
      method: req.method ?? '',
      url,
      authorization: headers.authorization,
      range: headers.range,
    });
    const path = url.split('?')[0]!;
    const segments = path.split('/').slice(1).map(decodeURIComponent);
    const fail = (status: number, code?: string) => {
      res.writeHead(status, code ? { 'x-error-code': code } : {}).end();
    };

    if (segments[0] === 'lfs') {
      const blob = lfsBlobs.get(segments[1] ?? '');
      if (!blob) return fail(404);
      return serveBytes(req, res, blob, { etag: `"${segments[1]}"` }, takeCut(req, path));
    }
    if (server === 'cdn') return fail(404);

    let type: 'model' | 'dataset' = 'model';
    let rest = segments;
    let api = false;
    if (rest[0] === 'api') {
      api = true;
      type = rest[1] === 'datasets' ? 'dataset' : 'model';
      rest = rest.slice(2);
    } else if (rest[0] === 'datasets') {
      type = 'dataset';
      rest = rest.slice(1);
    }
    const repoId = `${rest[0]}/${rest[1]}`;
    const repo = repos.get(`${type}:${repoId}`);
    if (!repo) return fail(404, 'RepoNotFound');
    if (repo.private && headers.authorization !== `Bearer ${TOKEN}`) return fail(401);
    const revision = rest[3] ?? '';
    const commit =
      repo.revisions.get(revision) ??
      ([...repo.revisions.values()].includes(revision) ? revision : undefined);

    if (api) {
      if (rest[2] !== 'revision') return fail(404);
      if (!commit) return fail(404, 'RevisionNotFound');
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          id: repoId,
          sha: commit,
          siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })),
        }),
      );
    }
    if (rest[2] !== 'resolve') return fail(404);
    if (!commit) return fail(404, 'RevisionNotFound');
    const filename = rest.slice(4).join('/');
    const file = repo.files.get(filename);
    if (!file) return fail(404, 'EntryNotFound');
    if (file.lfs) {
      const realSha = sha256(file.content);
      const base = repo.lfsOnCdn ? cdnEndpoint : endpoint;
      res.writeHead(302, {
        location: `${base}/lfs/${realSha}`,
        'x-repo-commit': commit,
        'x-linked-etag': `"${file.claimedSha256 ?? realSha}"`,
        'x-linked-size': String(file.content.length),
        etag: `W/"${gitBlobSha1(Buffer.from('pointer'))}"`,
        'content-length': '0',
      });
      return res.end();
    }
    return serveBytes(
      req,
      res,
      file.content,
      { 'x-repo-commit': commit, etag: `"${gitBlobSha1(file.content)}"` },
      takeCut(req, path),
    );
  };

  const listen = async (server: Server) => {
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const hubServer = createServer(handler('hub'));
  const cdnServer = createServer(handler('cdn'));
  endpoint = await listen(hubServer);
  cdnEndpoint = await listen(cdnServer);

  return {
    endpoint,
    cdnEndpoint,
    requests,
    cutOnce,
    commitOf(repoId, revision = 'main') {
      for (const [key, repo] of repos) {
        if (key.endsWith(`:${repoId}`)) return repo.revisions.get(revision)!;
      }
      throw new Error(`no fake repo ${repoId}`);
    },
    async close() {
      for (const server of [hubServer, cdnServer]) {
        server.closeAllConnections();
        await new Promise<void>((done) => server.close(() => done()));
      }
    },
  };
}
