/**
 * The README's measured figures, from the JSON lines of one `pnpm bench --reference --roofline --json <file>`
 * run: ratios to PyTorch and fractions of the matmul roofline (medians over the rounds), then this machine's
 * absolute figures, labelled as such. Prints the markdown; `--write README.md` replaces what sits between the
 * `<!-- bench:start -->` and `<!-- bench:end -->` markers (atomically: temp file + rename).
 * Usage: node --import tsx scripts/bench/readme_section.ts bench.jsonl [--write README.md]
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { write: { type: 'string' } },
});
const file = positionals[0];
if (!file) throw new Error('usage: readme_section.ts <bench.jsonl> [--write README.md]');

type Row = Record<string, unknown>;
const rows: Row[] = readFileSync(file, 'utf8')
  .split('\n')
  .map((line, i) => [line.trim(), i + 1] as const)
  .filter(([line]) => line)
  .map(([line, n]) => {
    try {
      return JSON.parse(line) as Row;
    } catch (e) {
      throw new Error(`${file}:${n}: not a JSON line (${(e as Error).message})`);
    }
  });
const summaries = rows.filter((r) => r.summary === true);
if (summaries.length === 0)
  throw new Error(`${file}: no summary line (run \`pnpm bench --reference --roofline --json ${file}\`)`);

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const times = (v: unknown) => (num(v) === undefined ? '—' : `×${(v as number).toFixed(2)}`);
const percent = (v: unknown) => (num(v) === undefined ? '—' : `${Math.round((v as number) * 100)}%`);
const plain = (v: unknown, digits = 1) => (num(v) === undefined ? '—' : (v as number).toFixed(digits));
const gb = (mb: unknown) => (num(mb) ? `${((mb as number) / 1024).toFixed(2)} GB` : '—');

const first = summaries[0]!;
// The encode sessions of each shape's onnx rows (`encode_workers`: `--workers`, default auto).
const sessions = new Map<string, Set<number>>();
for (const r of rows) {
  const w = num(r.encode_workers);
  if (r.backend !== 'onnx' || w === undefined || r.summary === true) continue;
  const shape = String(r.shape);
  sessions.set(shape, (sessions.get(shape) ?? new Set()).add(w));
}
const sessionText = [...sessions].map(([shape, ws]) => `${[...ws].join(' or ')} on ${shape}`).join(', ');
// The JSON file by its own name: the folder it sat in on the machine that ran it means nothing to a reader.
const command = String(first.command).replace(
  /(--json\s+)(\S+)/,
  (_, flag: string, path: string) => flag + basename(path),
);
const out: string[] = [];
out.push(
  `Run: \`${command}\` on ${String(first.date).slice(0, 10)}, ${String(first.rounds)} rounds` +
    ` interleaved, onnxruntime with ${String(first.threads)} threads` +
    (sessionText ? ` (encode sessions: ${sessionText})` : '') +
    '; medians over the rounds.',
  '',
  '| engine | shape | encode (sorted) vs PyTorch | train vs PyTorch | encode (sorted) of the roofline | train of the roofline |',
  '|---|---|---|---|---|---|',
);
for (const s of summaries)
  out.push(
    `| ${String(s.backend)} | ${String(s.shape)} | ${times(s.median_vs_pytorch_encode_sorted)} | ${times(s.median_vs_pytorch_train)} | ${percent(s.median_roofline_encode_sorted)} | ${percent(s.median_roofline_train)} |`,
  );
const warnings = [
  ...new Set(summaries.flatMap((s) => [s.reference_error, s.reference_warning]).filter(Boolean)),
];
for (const w of warnings) out.push('', `Note: ${String(w)}.`);
out.push(
  '',
  `This machine's absolute figures from the same run (medians; they move with its load): float32 matmul through onnxruntime ${plain(first.median_gemm_gflops)} GFLOP/s.`,
  '',
  '| engine | shape | encode sorted, sent/s (ours / PyTorch) | train, pairs/s (ours / PyTorch) | peak RSS (ours / PyTorch) |',
  '|---|---|---|---|---|',
);
for (const s of summaries) {
  const m = (s.this_machine ?? {}) as Row;
  out.push(
    `| ${String(s.backend)} | ${String(s.shape)} | ${plain(m.encode_sentences_per_s_sorted)} / ${plain(m.pytorch_encode_sentences_per_s_sorted)} | ${plain(m.train_pairs_per_s)} / ${plain(m.pytorch_train_pairs_per_s)} | ${gb(m.peak_rss_mb)} / ${gb(m.pytorch_peak_rss_mb)} |`,
  );
}
const section = `${out.join('\n')}\n`;

if (!args.write) process.stdout.write(section);
else {
  const readme = args.write;
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${readme}: no ${start} … ${end} markers`);
  const tmp = join(dirname(readme), `.${basename(readme)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, `${text.slice(0, a + start.length)}\n${section}${text.slice(b)}`);
    renameSync(tmp, readme);
  } catch (e) {
    throw new Error(`${readme}: could not write (${(e as Error).message})`);
  }
  process.stderr.write(`${readme}: bench section rewritten from ${file}\n`);
}
