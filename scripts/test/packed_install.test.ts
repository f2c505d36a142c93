// The adoption check of issue 18, as a new user meets the project: every package packed (`pnpm pack`, so
// publishConfig and workspace: ranges apply as on publish), the tarballs installed with a plain `npm install`
// (no flags, no npm_config_* variables) into a fresh project outside the workspace, then the tiny model encoded
// on a fast tfjs backend and trained 2 steps with a plugin loss loaded through `contrastive --plugin`.
// onnxruntime-node's install script downloads from a host that may be unreachable: npm must drop the optional
// dependency and the install still succeed. Needs the packages built (`pnpm test` builds first).
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../test-support/cli.js';
import { repoRoot, sharedPath } from '../../test-support/shared.js';
import { lastJsonLine } from '../../test-support/training_output.js';

const packagesDir = join(repoRoot, 'packages');
const packages = readdirSync(packagesDir).filter((d) => existsSync(join(packagesDir, d, 'package.json')));

let work: string;
let tarballs: string;
let project: string;

/** A user's environment: no npm/pnpm configuration inherited from the test runner (`pnpm test` sets some). */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(npm_|pnpm_|PNPM_|INIT_CWD$|NODE_OPTIONS$|VITEST|TEST$|ORT_DISABLE_TELEMETRY$)/i.test(k))
      env[k] = v;
  return env;
}

async function run(command: string, args: string[], cwd: string, timeoutMs = 240_000) {
  const r = await runProcess(command, args, { cwd, env: userEnv(), timeoutMs });
  if (r.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) exited ${r.status ?? r.signal}:\n${r.stdout.slice(-2000)}${r.stderr.slice(-3000)}`,
    );
  return r;
}

/** The files of a tarball (tar is on every CI image). */
async function tarList(file: string): Promise<string[]> {
  const r = await run('tar', ['tzf', file], work);
  return r.stdout.split('\n').filter(Boolean);
}

async function tarManifest(file: string): Promise<Record<string, unknown>> {
  const r = await run('tar', ['xzf', file, '-O', 'package/package.json'], work);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

function exportTargets(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) exportTargets(v, out);
  return out;
}

const PLUGIN_INDEX = `// A plugin loss written as a plain object (no EmbeddingLoss subclass): in-batch negatives with a scale, through
// the public embedCallOptions (its own dropout seed per call, the column's prompt).
import { tf } from '@contrastive/tensor-gpu';
import { embedCallOptions } from '@contrastive/losses';

export const calls = [];

export function register(api) {
  api.registerLoss('plugin-in-batch', (options = {}) => {
    const scale = Number(options.scale ?? 20);
    return {
      name: 'plugin-in-batch',
      columns: { minInputs: 2, maxInputs: 2, label: 'none', description: '(anchor, positive)' },
      forward(model, batch, ctx) {
        return tf.tidy(() => {
          const [a, p] = batch.columnNames.map((c, k) => {
            const o = embedCallOptions(ctx, k);
            calls.push(o.seed);
            return model.embedTensor(batch.columns[c], o);
          });
          const norm = (x) => tf.div(x, tf.norm(x, 2, 1, true));
          const scores = tf.mul(tf.matMul(norm(a), norm(p), false, true), scale);
          const labels = tf.oneHot(tf.range(0, batch.size, 1, 'int32'), batch.size);
          return tf.losses.softmaxCrossEntropy(labels, scores);
        });
      },
    };
  });
}
`;

beforeAll(async () => {
  // os.tmpdir() is outside the workspace: no node_modules above the project can help it resolve.
  work = mkdtempSync(join(tmpdir(), 'contrastive-packed-'));
  tarballs = join(work, 'tarballs');
  project = join(work, 'project');
  mkdirSync(tarballs);
  mkdirSync(project);
  for (const d of packages)
    if (!existsSync(join(packagesDir, d, 'dist', 'index.js')))
      throw new Error(`packages/${d}/dist is missing: run \`pnpm build\` first (pnpm test does)`);
  // pnpm 9 packs one package at a time; two at once keeps this under a minute on 2 cores.
  const queue = [...packages];
  await Promise.all(
    [0, 1].map(async () => {
      for (let d = queue.shift(); d; d = queue.shift())
        await run('npx', ['-y', 'pnpm@9', 'pack', '--pack-destination', tarballs], join(packagesDir, d));
    }),
  );
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('packed packages', () => {
  it('carry a LICENSE, their README and dist, and export only files they ship', async () => {
    const files = readdirSync(tarballs).filter((f) => f.endsWith('.tgz'));
    expect(files).toHaveLength(packages.length);
    for (const file of files) {
      const tgz = join(tarballs, file);
      const list = new Set((await tarList(tgz)).map((f) => f.replace(/^package\//, '')));
      expect(list.has('LICENSE'), `${file}: LICENSE`).toBe(true);
      expect(list.has('README.md'), `${file}: README.md`).toBe(true);
      const manifest = await tarManifest(tgz);
      const text = JSON.stringify(manifest);
      expect(text, `${file}: a workspace: range`).not.toContain('workspace:');
      expect(text, `${file}: the source condition`).not.toContain('@contrastive/source');
      const targets = [
        ...exportTargets(manifest.exports),
        manifest.main,
        manifest.module,
        manifest.types,
        ...exportTargets(manifest.bin),
      ].filter((t): t is string => typeof t === 'string');
      for (const t of targets)
        expect(list.has(t.replace(/^\.\//, '')), `${file}: ${t} not in the tarball`).toBe(true);
    }
    expect(readFileSync(join(repoRoot, 'LICENSE'), 'utf8')).toContain('Apache License');
  });

  it('install with a plain npm install, encode on a fast backend and train with a --plugin loss', async () => {
    const version = (name: string) =>
      readdirSync(tarballs).find((f) => f.startsWith(`contrastive-${name}-`))!;
    // The plugin package depends only on the packed public packages.
    const plugin = join(work, 'plugin');
    mkdirSync(plugin);
    writeFileSync(
      join(plugin, 'package.json'),
      JSON.stringify({
        name: 'contrastive-plugin-demo',
        version: '1.0.0',
        type: 'module',
        exports: './index.js',
        dependencies: {
          '@contrastive/losses': `file:${join(tarballs, version('losses'))}`,
          '@contrastive/tensor-gpu': `file:${join(tarballs, version('tensor-gpu'))}`,
        },
      }),
    );
    writeFileSync(join(plugin, 'index.js'), PLUGIN_INDEX);
    await run('npm', ['pack', '--pack-destination', tarballs], plugin);

    const dependencies: Record<string, string> = {};
    for (const f of readdirSync(tarballs)) {
      const m = /^contrastive-(.+)-\d+\.\d+\.\d+\.tgz$/.exec(f);
      if (m && f !== 'contrastive-plugin-demo-1.0.0.tgz')
        dependencies[`@contrastive/${m[1]}`] = `file:${join(tarballs, f)}`;
    }
    dependencies['contrastive-plugin-demo'] = `file:${join(tarballs, 'contrastive-plugin-demo-1.0.0.tgz')}`;
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module', dependencies }),
    );
    await run('npm', ['install'], project, 480_000);

    // Type resolution as attw checks it: every package's types resolve from a TypeScript consumer under node16 ESM,
    // node16 CommonJS and bundler resolution (the repo's own tsc; skipLibCheck: we check resolution, not our .d.ts).
    const packages = Object.keys(dependencies).filter(
      (n) => n.startsWith('@contrastive/') && n !== '@contrastive/cli',
    );
    const imports = packages.map((n, i) => `import * as p${i} from '${n}';`).join('\n');
    const uses = `export const loaded = [${packages.map((_, i) => `typeof p${i}`).join(', ')}];\n`;
    writeFileSync(join(project, 'types_esm.mts'), `${imports}\n${uses}`);
    writeFileSync(join(project, 'types_cjs.cts'), `${imports}\n${uses}`);
    writeFileSync(join(project, 'types_bundler.ts'), `${imports}\n${uses}`);
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const common = ['--noEmit', '--skipLibCheck', '--strict', '--target', 'es2022'];
    await run(
      'node',
      [
        tsc,
        ...common,
        '--module',
        'node16',
        '--moduleResolution',
        'node16',
        'types_esm.mts',
        'types_cjs.cts',
      ],
      project,
    );
    await run(
      'node',
      [tsc, ...common, '--module', 'esnext', '--moduleResolution', 'bundler', 'types_bundler.ts'],
      project,
    );

    // Encode from a plain ESM script: the default backend is fast (never tfjs's cpu) without extra packages.
    const model = sharedPath('fixtures', 'tiny-bert');
    writeFileSync(
      join(project, 'encode.mjs'),
      `import { SentenceEncoder } from '@contrastive/bert';
import { initBackend, tf } from '@contrastive/tensor-gpu';
const report = await initBackend();
const model = await SentenceEncoder.load(process.argv[2]);
const e = await model.encode(['A man plays a guitar.', 'Someone plays music.'], { engine: 'auto' });
console.log(JSON.stringify({ backend: tf.getBackend(), summary: report.summary, n: e.length, dim: e[0].length, finite: e.every((v) => v.every(Number.isFinite)) }));
`,
    );
    const encoded = await run('node', ['encode.mjs', model], project);
    const out = lastJsonLine(encoded.stdout) as Record<string, unknown>;
    expect(out.backend).not.toBe('cpu');
    expect(['wasm', 'tensorflow']).toContain(out.backend);
    expect(out).toMatchObject({ n: 2, finite: true });
    expect(out.dim).toBeGreaterThan(0);
    expect(encoded.stderr).not.toContain('Hi, looks like you are running TensorFlow.js');

    // The CLI bin, a plugin loss by name, 2 steps.
    const pairs = join(project, 'pairs.jsonl');
    writeFileSync(
      pairs,
      [
        ['A man plays a guitar.', 'Someone plays an instrument.'],
        ['A woman slices an onion.', 'Someone cuts a vegetable.'],
        ['The market fell on Tuesday.', 'Stocks dropped this week.'],
        ['A dog runs in the park.', 'An animal is outside.'],
      ]
        .map(([anchor, positive]) => JSON.stringify({ anchor, positive }))
        .join('\n'),
    );
    const bin = join(project, 'node_modules', '.bin', 'contrastive');
    const version_ = await run(bin, ['--version'], project);
    expect(version_.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const trained = await run(
      bin,
      [
        '--plugin',
        'contrastive-plugin-demo',
        'train',
        '--model',
        model,
        '--train',
        pairs,
        '--loss',
        'plugin-in-batch',
        '--loss-arg',
        'scale=10',
        '--max-steps',
        '2',
        '--batch-size',
        '2',
        '--output',
        join(project, 'out'),
        '--no-progress',
      ],
      project,
    );
    const result = lastJsonLine(trained.stdout) as {
      steps: number;
      train_loss: number;
    };
    expect(result.steps).toBe(2);
    expect(Number.isFinite(result.train_loss) && result.train_loss > 0).toBe(true);
    expect(existsSync(join(project, 'out', 'model.safetensors'))).toBe(true);
    expect(trained.stderr).toMatch(/tfjs backend "(wasm|tensorflow)"/);
    expect(trained.stderr).not.toContain('Hi, looks like you are running TensorFlow.js');
  }, 900_000);
});
