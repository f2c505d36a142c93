import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, extra?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * A progress bar on a TTY; plain log lines (at most every `everyMs`) otherwise, so CI logs stay readable.
 */
export function createProgress(
  label: string,
  total: number,
  options: { stream?: NodeJS.WriteStream; everyMs?: number } = {},
): Progress {
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} {percentage}% | {rate}/s | ETA {eta_formatted}`,
        stream,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    const start = Date.now();
    bar.start(total, 0, { rate: '0' });
    return {
      update: (done, extra) =>
        bar.update(done, { rate: (done / Math.max((Date.now() - start) / 1000, 1e-3)).toFixed(1), ...extra }),
      stop: () => bar.stop(),
    };
  }
  const every = options.everyMs ?? 10_000;
  const start = Date.now();
  let last = 0;
  return {
    update: (done, extra) => {
      const now = Date.now();
      if (now - last < every && done < total) return;
      last = now;
      const rate = done / Math.max((now - start) / 1000, 1e-3);
      const rest = extra
        ? ` ${Object.entries(extra)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`
        : '';
      stream.write(`${label}: ${done}/${total} (${rate.toFixed(1)}/s)${rest}\n`);
    },
    stop: () => {},
  };
}
