import { closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

const LOCK_FILE = '.contrastive-train.lock';

interface LockInfo {
  pid: number;
  host: string;
  started: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One training run per output folder: a lock file (pid + host) taken before the model is touched, so a second
 * run into the same folder refuses at once instead of overwriting the first one's checkpoints and metrics.
 * A lock left by a process that is gone (same host, pid not running) is taken over.
 */
export function acquireOutputLock(outputDir: string): () => void {
  const file = join(outputDir, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(mine));
      closeSync(fd);
      return () => {
        try {
          const held = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
          if (held.pid === mine.pid && held.host === mine.host) rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let held: LockInfo | undefined;
    try {
      held = JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
    } catch {
      held = undefined; // unreadable: a lock written by a process killed mid-write
    }
    if (held && (held.host !== mine.host || alive(held.pid))) {
      throw new Error(
        `${outputDir}: another training run (pid ${held.pid} on ${held.host}, started ${held.started}) is writing to this output folder; ` +
          `wait for it to finish or choose another output (if that run is gone, delete ${file})`,
      );
    }
    rmSync(file, { force: true }); // stale: its process is gone
  }
  throw new Error(`${file}: could not take the output folder's lock`);
}

/**
 * Removes what interrupted saves of earlier (dead) runs left behind: `.checkpoint-N.tmp-PID` and
 * `checkpoint-N.old-PID` folders in the output folder, and `<output>.tmp-PID-*` folders beside it.
 */
export function removeStaleTemporaries(outputDir: string): string[] {
  const removed: string[] = [];
  const sweep = (dir: string, pattern: RegExp) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const m = pattern.exec(name);
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid === process.pid || alive(pid)) continue;
      rmSync(join(dir, name), { recursive: true, force: true });
      removed.push(join(dir, name));
    }
  };
  sweep(outputDir, /^\.checkpoint-\d+\.tmp-(\d+)(\.tmp-\d+-\d+)?$/);
  sweep(outputDir, /^checkpoint-\d+\.old-(\d+)$/);
  const base = basename(outputDir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  sweep(dirname(outputDir), new RegExp(`^${base}\\.tmp-(\\d+)-\\d+$`));
  return removed;
}
