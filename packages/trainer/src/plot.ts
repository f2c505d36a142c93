import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes `training_curves.svg` (and `.png` when the rasterizer loads) with the training loss and every
 * evaluation metric over steps, rendered by vega-lite.
 */
export async function writeTrainingPlot(
  outDir: string,
  history: Array<Record<string, number>>,
): Promise<string[]> {
  const lossRows = history
    .filter((h) => typeof h.loss === 'number' && !h.final)
    .map((h) => ({ step: h.step, value: h.loss, series: 'train loss' }));
  const evalRows = history
    .filter((h) => !h.final)
    .flatMap((h) =>
      Object.entries(h)
        .filter(([k, v]) => k.startsWith('eval_') && typeof v === 'number')
        .map(([k, v]) => ({ step: h.step, value: v, series: k.replace(/^eval_/, '') })),
    );
  if (lossRows.length === 0 && evalRows.length === 0) return [];
  const panel = (title: string, values: unknown[]) => ({
    title,
    width: 560,
    height: 220,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'value', type: 'quantitative', title, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  });
  const panels = [
    lossRows.length ? panel('training loss', lossRows) : undefined,
    evalRows.length ? panel('evaluation', evalRows) : undefined,
  ].filter(Boolean);
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    vconcat: panels,
    resolve: { scale: { color: 'independent' } },
    background: 'white',
  };
  const vl = await import('vega-lite');
  const vega = await import('vega');
  const view = new vega.View(vega.parse(vl.compile(spec as never).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const written = [join(outDir, 'training_curves.svg')];
  writeFileSync(written[0]!, svg);
  try {
    const { Resvg } = await import('@resvg/resvg-js');
    const png = new Resvg(svg, {
      background: 'white',
      fitTo: { mode: 'zoom', value: 1.5 },
      font: { loadSystemFonts: true },
    })
      .render()
      .asPng();
    const p = join(outDir, 'training_curves.png');
    writeFileSync(p, png);
    written.push(p);
  } catch {
    // PNG is a convenience: the SVG is the plot of record when no rasterizer binary exists for this platform.
  }
  return written;
}
