import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, extra?: Record<string, string | number>): void;
  stop(): void;
}

/**
 * A progress bar (count, rate, ETA and any extra fields such as the loss) on a TTY; plain log lines at most
 * every `everyMs` otherwise, so CI logs stay readable.
 */
export function createProgress(
  label: string,
  total: number,
  options: { stream?: NodeJS.WriteStream; everyMs?: number; enabled?: boolean } = {},
): Progress {
  if (options.enabled === false) return { update: () => {}, stop: () => {} };
  const stream = options.stream ?? process.stderr;
  const start = Date.now();
  const fmt = (extra?: Record<string, string | number>) =>
    extra
      ? Object.entries(extra)
          .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(5)) : v}`)
          .join(' ')
      : '';
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {value}/{total} | {rate}/s | ETA {eta_formatted} | {extra}`,
        stream,
        hideCursor: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0', extra: '' });
    return {
      update: (done, extra) =>
        bar.update(done, {
          rate: (done / Math.max((Date.now() - start) / 1000, 1e-3)).toFixed(2),
          extra: fmt(extra),
        }),
      stop: () => bar.stop(),
    };
  }
  const every = options.everyMs ?? 10_000;
  let last = 0;
  return {
    update: (done, extra) => {
      const now = Date.now();
      if (now - last < every && done < total) return;
      last = now;
      const rate = done / Math.max((now - start) / 1000, 1e-3);
      const eta = rate > 0 ? Math.round((total - done) / rate) : 0;
      stream.write(`${label}: ${done}/${total} (${rate.toFixed(2)}/s, ETA ${eta}s) ${fmt(extra)}\n`);
    },
    stop: () => {},
  };
}
