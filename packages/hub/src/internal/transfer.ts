import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HubError } from '../errors.js';
import { baseHeaders, fetchFollowingRedirects, httpError } from './http.js';
import type { ResolvedOptions } from './resolved_options.js';
import type { RequestTarget } from './target.js';

const MAX_RETRIES = 5;
const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface BlobTransfer {
  /** Where the bytes come from (redirects are followed). */
  url: string;
  target: RequestTarget & { filename: string };
  blobPath: string;
  expectedSize: number | undefined;
  /** The etag: a sha256 for LFS files, which is then checked. */
  etag: string;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Errors worth a resumed retry: the connection, not the hub's answer nor the disk. */
function isTransient(error: unknown): boolean {
  if (error instanceof HubError)
    return error.status !== undefined && (error.status >= 500 || error.status === 429);
  return (error as NodeJS.ErrnoException | undefined)?.syscall === undefined;
}

function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return message + cause;
}

/**
 * Downloads into `<blob>.incomplete`, resuming what an earlier attempt or process left there with a
 * Range request, and moves it to the blob path only once its size (and sha256 for LFS files) is
 * right. A broken connection is retried from where it stopped; an interrupted process leaves only
 * the `.incomplete` file, which the next call resumes.
 */
export async function downloadBlob(options: ResolvedOptions, transfer: BlobTransfer): Promise<void> {
  const incomplete = `${transfer.blobPath}.incomplete`;
  const { expectedSize } = transfer;
  await mkdir(dirname(incomplete), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    let start = await sizeOf(incomplete);
    if (expectedSize !== undefined && start > expectedSize) {
      await rm(incomplete, { force: true });
      start = 0;
    }
    if (expectedSize !== undefined && start === expectedSize && start > 0) break;
    try {
      await fetchInto(options, transfer, incomplete, start);
      break;
    } catch (error) {
      if (!isTransient(error)) throw error;
      if (attempt >= MAX_RETRIES) {
        throw new HubError(
          `Download of "${transfer.target.filename}" from ${transfer.url} failed ${attempt + 1} times: ${errorText(error)}. ` +
            `The partial file ${incomplete} is kept; the next call resumes it.`,
          { url: transfer.url, cause: error },
        );
      }
      await new Promise((done) => setTimeout(done, Math.min(2000, 100 * 2 ** attempt)));
    }
  }
  await verify(transfer, incomplete);
  await rename(incomplete, transfer.blobPath);
}

async function fetchInto(
  options: ResolvedOptions,
  transfer: BlobTransfer,
  incomplete: string,
  start: number,
): Promise<void> {
  const controller = new AbortController();
  let stallTimer: NodeJS.Timeout | undefined;
  // Aborts when no bytes arrive for a while, so a dead connection is retried instead of hanging.
  const armStallTimer = () => {
    clearTimeout(stallTimer);
    stallTimer = setTimeout(
      () => controller.abort(new Error(`no data received for ${options.downloadStallTimeoutMs / 1000} s`)),
      options.downloadStallTimeoutMs,
    );
  };
  armStallTimer();
  try {
    const headers = baseHeaders(options);
    if (start > 0) headers.range = `bytes=${start}-`;
    const { response, url } = await fetchFollowingRedirects(options, transfer.url, {
      method: 'GET',
      headers,
      signal: controller.signal,
    });
    if (response.status === 416 && start > 0) {
      // The partial file does not fit what the server has: start again.
      await response.body?.cancel();
      await rm(incomplete, { force: true });
      throw new Error(`range ${start}- not satisfiable at ${url}; restarting`);
    }
    if (!response.ok) throw httpError(response, url, transfer.target, options.token);
    let append = false;
    if (response.status === 206) {
      const range = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
      if (start === 0 || range === null || Number(range[1]) !== start) {
        await response.body?.cancel();
        await rm(incomplete, { force: true });
        throw new Error(`unexpected Content-Range "${response.headers.get('content-range')}" from ${url}`);
      }
      append = true;
    }
    const contentLength = Number(response.headers.get('content-length') ?? Number.NaN);
    const total =
      transfer.expectedSize ??
      (Number.isFinite(contentLength) ? contentLength + (append ? start : 0) : undefined);
    let loaded = append ? start : 0;
    const file = await open(incomplete, append ? 'a' : 'w');
    try {
      if (response.body === null) return;
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        armStallTimer();
        for (let offset = 0; offset < value.byteLength; ) {
          offset += (await file.write(value, offset, value.byteLength - offset)).bytesWritten;
        }
        loaded += value.byteLength;
        options.onProgress?.({
          file: transfer.target.filename,
          loaded,
          ...(total === undefined ? {} : { total }),
        });
      }
    } finally {
      await file.close();
    }
  } finally {
    clearTimeout(stallTimer);
  }
}

async function verify(transfer: BlobTransfer, incomplete: string): Promise<void> {
  const { filename, repoId } = transfer.target;
  const size = await sizeOf(incomplete);
  if (transfer.expectedSize !== undefined && size !== transfer.expectedSize) {
    await rm(incomplete, { force: true });
    throw new HubError(
      `Downloaded "${filename}" of "${repoId}" has ${size} bytes but the hub announced ${transfer.expectedSize}; the download was discarded, try again.`,
      { url: transfer.url },
    );
  }
  if (SHA256_HEX.test(transfer.etag)) {
    const actual = await sha256OfFile(incomplete);
    if (actual !== transfer.etag) {
      await rm(incomplete, { force: true });
      throw new HubError(
        `Downloaded "${filename}" of "${repoId}" is corrupted: sha256 ${actual}, expected ${transfer.etag}; the download was discarded, try again.`,
        { url: transfer.url },
      );
    }
  }
}
