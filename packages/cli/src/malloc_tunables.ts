import { spawn } from 'node:child_process';

/**
 * glibc malloc settings for a process that runs models (`GLIBC_TUNABLES` syntax). Every onnxruntime run
 * returns its outputs in new buffers (a training step's weight gradients: tens of MB, then freed). With glibc's
 * defaults those buffers are mapped fresh while the dynamic mmap threshold is low, and later, once they come from
 * the heap, freeing them returns the top of the heap to the system, so a later step faults the same memory back
 * in page by page. A fixed mmap threshold (32 MiB, glibc's largest dynamic one) and a trim threshold of 256 MiB
 * keep them on the heap and reused. `hugetlb=1` (glibc 2.35+; older ones ignore it) asks for transparent huge
 * pages on malloc's memory where the kernel grants them only on request (`madvise` mode): onnxruntime's arena
 * then grows (a batch longer than any before) in 2 MiB pages, not 4 KiB faults.
 */
export const MALLOC_TUNABLES =
  'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456:glibc.malloc.hugetlb=1';

let glibcRuntime: boolean | undefined;

/**
 * Whether this process runs on glibc (the only C library that reads `GLIBC_TUNABLES`). Asked once: the answer is
 * the process's, and a diagnostic report is not cheap (the tests ask before every CLI run).
 */
export function isGlibc(): boolean {
  if (glibcRuntime === undefined) {
    const report =
      process.platform === 'linux'
        ? (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)
        : undefined;
    glibcRuntime = Boolean(report?.header?.glibcVersionRuntime);
  }
  return glibcRuntime;
}

/**
 * `env` with `MALLOC_TUNABLES` added to its `GLIBC_TUNABLES`; undefined where there is nothing to add: not glibc,
 * or `GLIBC_TUNABLES` already sets either threshold (the user's choice stands; it is also how a process started
 * with ours is recognized).
 */
export function mallocTunedEnv(env: NodeJS.ProcessEnv, glibc = isGlibc()): NodeJS.ProcessEnv | undefined {
  if (!glibc) return undefined;
  const current = env.GLIBC_TUNABLES ?? '';
  if (/(^|:)glibc\.malloc\.(mmap|trim)_threshold=/.test(current)) return undefined;
  return { ...env, GLIBC_TUNABLES: current ? `${current}:${MALLOC_TUNABLES}` : MALLOC_TUNABLES };
}

const FORWARDED_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs this process's command again in a child with `env` (glibc reads its tunables only at start), sharing
 * stdin, stdout and stderr; this process passes signals on and ends as the child ends (its exit code, or the
 * same signal).
 */
export function rerunWithEnv(env: NodeJS.ProcessEnv): void {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    env,
    stdio: 'inherit',
  });
  const forward = (signal: NodeJS.Signals) => {
    child.kill(signal);
  };
  for (const s of FORWARDED_SIGNALS) process.on(s, forward);
  child.on('error', (err) => {
    process.stderr.write(`contrastive: could not start ${process.execPath}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    for (const s of FORWARDED_SIGNALS) process.off(s, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

/** Whether this process was started under an inspector (a second process would bind the same port). */
export function underInspector(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return flags.some((f) => f.startsWith('--inspect'));
}
