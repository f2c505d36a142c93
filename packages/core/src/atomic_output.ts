import {
  closeSync,
  fsyncSync,
  lstatSync,
  openSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A failed output write: `file` is the file the user asked for (not the temp file), `code` the errno code. */
export class OutputWriteError extends Error {
  readonly file: string;
  readonly code: string | undefined;

  constructor(file: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${file}: cannot write output (${reason})`, { cause });
    this.name = 'OutputWriteError';
    this.file = file;
    this.code = code;
  }
}

/** An output file being written; nothing appears at `path` until `commit()` succeeds. */
export interface AtomicOutput {
  /** The file the output will replace. */
  readonly path: string;
  /** Buffers `chunk` and writes it out once enough has gathered; a failed write rejects naming `path`. */
  write(chunk: string | Uint8Array): Promise<void>;
  /** Writes what is buffered, fsyncs, closes and renames the temp file onto `path`. */
  commit(): Promise<void>;
  /** Closes and removes the temp file; `path` is left as it was. Safe to call more than once. */
  abort(): Promise<void>;
}

/** Bytes gathered before a write call: few syscalls for many small lines, bounded memory. */
const FLUSH_BYTES = 1 << 16;

/**
 * A regular file's output goes to a temp file in the same folder (same file system, so the rename is atomic)
 * and is renamed onto it; a device or pipe (`/dev/stdout`, `/dev/full`, a FIFO) cannot be renamed onto and
 * is written in place. A symlink is followed so that the link itself survives.
 */
function resolveTarget(path: string): { target: string; inPlace: boolean } {
  let target = path;
  try {
    if (lstatSync(path).isSymbolicLink()) target = realpathSync(path);
    const stat = statSync(target);
    if (stat.isDirectory()) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
    return { target, inPlace: !stat.isFile() };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { target, inPlace: false };
    throw e;
  }
}

/**
 * Temp files of this process's open atomic outputs. A Ctrl-C or `kill` while a command writes would otherwise
 * leave `.<name>.tmp-<pid>-<random>` beside the output: while any is open, SIGINT/SIGTERM/SIGHUP (a closed
 * terminal) and process exit remove them synchronously (a signal handler cannot wait for promises).
 */
const openTemporaries = new Set<string>();

/** The shell's code for a process ended by a signal: 128 + its number. */
const SIGNAL_EXIT_CODES = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
type CleanedSignal = keyof typeof SIGNAL_EXIT_CODES;

function removeTemporariesSync(): void {
  for (const temp of [...openTemporaries]) {
    try {
      rmSync(temp, { force: true });
    } catch {
      // Best effort: the process is ending, and one undeletable file must not keep the others.
    }
    // The last one uninstalls the handlers, so a program that goes on has Node's defaults back.
    unregisterTemporary(temp);
  }
}

function onCleanedSignal(signal: CleanedSignal): void {
  // The program has its own listener: it decides whether and how to end. If it ends, the exit hook removes
  // the temporaries; if it goes on, its outputs can still be committed.
  if (process.listenerCount(signal) > 1) return;
  removeTemporariesSync();
  // Alone, our listener has replaced Node's default of dying by the signal: end as that would, with the
  // shell's code.
  process.exit(SIGNAL_EXIT_CODES[signal]);
}

// Installed only while a temporary is open, so a process that writes nothing keeps Node's signal defaults.
function registerTemporary(temp: string): void {
  if (openTemporaries.size === 0) {
    for (const signal of Object.keys(SIGNAL_EXIT_CODES) as CleanedSignal[])
      process.on(signal, onCleanedSignal);
    process.on('exit', removeTemporariesSync);
  }
  openTemporaries.add(temp);
}

function unregisterTemporary(temp: string): void {
  if (!openTemporaries.delete(temp) || openTemporaries.size > 0) return;
  for (const signal of Object.keys(SIGNAL_EXIT_CODES) as CleanedSignal[])
    process.off(signal, onCleanedSignal);
  process.off('exit', removeTemporariesSync);
}

function tempPathFor(target: string): string {
  const random = Math.random().toString(36).slice(2, 10);
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${random}`);
}

/**
 * Opens `path` for atomic output. Every write is checked (a full disk fails the write that hit it, not a
 * later close), and any failure removes the temp file and rejects with an OutputWriteError naming `path`.
 */
export async function openAtomicOutput(path: string): Promise<AtomicOutput> {
  let target: string;
  let inPlace: boolean;
  try {
    ({ target, inPlace } = resolveTarget(path));
  } catch (e) {
    throw new OutputWriteError(path, e);
  }
  const temp = inPlace ? undefined : tempPathFor(target);
  // Registered before the file exists: a signal while the open is in flight must still find it.
  if (temp) registerTemporary(temp);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp ?? target, inPlace ? 'w' : 'wx');
  } catch (e) {
    if (temp) unregisterTemporary(temp);
    throw new OutputWriteError(path, e);
  }
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let state: 'open' | 'committed' | 'aborted' = 'open';

  const cleanUp = async () => {
    const h = handle;
    handle = undefined;
    await h?.close().catch(() => {});
    if (temp) {
      await rm(temp, { force: true }).catch(() => {});
      unregisterTemporary(temp);
    }
  };
  const fail = async (e: unknown): Promise<never> => {
    state = 'aborted';
    await cleanUp();
    throw e instanceof OutputWriteError ? e : new OutputWriteError(path, e);
  };
  const flush = async () => {
    if (pendingBytes === 0) return;
    const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    let offset = 0;
    // write() may write fewer bytes than asked (a pipe, a nearly full disk): loop until all are written.
    while (offset < data.length) {
      const { bytesWritten } = await handle!.write(data, offset, data.length - offset);
      if (bytesWritten <= 0) throw Object.assign(new Error('no bytes written'), { code: 'EIO' });
      offset += bytesWritten;
    }
  };
  const checkOpen = () => {
    if (state !== 'open') throw new OutputWriteError(path, new Error(`output already ${state}`));
  };

  return {
    path,
    async write(chunk) {
      checkOpen();
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (pendingBytes >= FLUSH_BYTES) await flush().catch(fail);
    },
    async commit() {
      checkOpen();
      try {
        await flush();
        // Devices and pipes have nothing to sync (and some refuse fsync).
        if (!inPlace) await handle!.sync();
        const h = handle!;
        handle = undefined;
        await h.close();
        if (temp) {
          await rename(temp, target);
          unregisterTemporary(temp);
        }
        state = 'committed';
      } catch (e) {
        await fail(e);
      }
    },
    async abort() {
      if (state !== 'open') return;
      state = 'aborted';
      await cleanUp();
    },
  };
}

/**
 * Runs `produce` with an atomic output: commits when it resolves, aborts (the temp file removed, `path`
 * untouched) when it throws, and rethrows.
 */
export async function withAtomicOutput<T>(
  path: string,
  produce: (out: AtomicOutput) => Promise<T> | T,
): Promise<T> {
  const out = await openAtomicOutput(path);
  let result: T;
  try {
    result = await produce(out);
  } catch (e) {
    await out.abort();
    throw e;
  }
  await out.commit();
  return result;
}

/** Writes `data` to `path` atomically; rejects with an OutputWriteError naming `path`. */
export function writeOutputFile(path: string, data: string | Uint8Array): Promise<void> {
  return withAtomicOutput(path, (out) => out.write(data));
}

/**
 * Writes one JSON value per line (JSON Lines) atomically from a sync or async iterable; resolves to the
 * number of lines written.
 */
export function writeJsonLinesAtomic(
  path: string,
  items: Iterable<unknown> | AsyncIterable<unknown>,
): Promise<number> {
  return withAtomicOutput(path, async (out) => {
    let count = 0;
    for await (const item of items) {
      await out.write(`${JSON.stringify(item)}\n`);
      count++;
    }
    return count;
  });
}

/** Synchronous writeOutputFile, for small files written from synchronous code (a results JSON). */
export function writeOutputFileSync(path: string, data: string | Uint8Array): void {
  let fd: number | undefined;
  let temp: string | undefined;
  try {
    const { target, inPlace } = resolveTarget(path);
    temp = inPlace ? undefined : tempPathFor(target);
    fd = openSync(temp ?? target, inPlace ? 'w' : 'wx');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let offset = 0;
    while (offset < bytes.byteLength) {
      const written = writeSync(fd, bytes, offset, bytes.byteLength - offset);
      if (written <= 0) throw Object.assign(new Error('no bytes written'), { code: 'EIO' });
      offset += written;
    }
    if (!inPlace) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (temp) renameSync(temp, target);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {}
    }
    if (temp) rmSync(temp, { force: true });
    throw new OutputWriteError(path, e);
  }
}
