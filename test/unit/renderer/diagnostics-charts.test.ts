/** The run charts' diagnostics: baseline, chance level, best epoch, per-layer charts and the evidence highlight. */
import type { ChartConfiguration } from 'chart.js';
import { describe, expect, it } from 'vitest';
import { compareSpec } from '../../../src/renderer/lib/charts/compare-chart';
import { annotationsPlugin, bandExtent, lineChartConfig, type Annotations, type XY } from '../../../src/renderer/lib/charts/line-chart';
import {
  accuracySeries,
  activationChartSpec,
  activationSeries,
  bandFor,
  chanceGuide,
  gradientChartSpec,
  gradientSeries,
  highestValAccuracyEpoch,
  layerColor,
  layerColors,
  layerTable,
  logTick,
  lossSeries,
  lowestValLossEpoch,
  plasma,
  runChartSpec,
} from '../../../src/renderer/lib/charts/run-chart';
import { formatNorm } from '../../../src/renderer/lib/format';
import type { EpochMetrics, LayerStat } from '../../../src/shared/contract/runs';
import type { Evidence } from '../../../src/shared/diagnostics/findings';
import type { ChartSeries } from '../../../src/shared/reports/compare';

type Config = ChartConfiguration<'line', XY[]>;
type Loose = (...args: unknown[]) => unknown;
const call = (f: unknown, ...args: unknown[]) => (f as Loose)(...args);
const annotations = (c: Config) => c.options!.plugins!.layerlabAnnotations as Annotations;

/** WCAG relative luminance of '#rrggbb'. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const contrastOnWhite = (hex: string) => 1.05 / (luminance(hex) + 0.05);

const stat = (epoch: number, layer: number, name: string, o: Partial<LayerStat> = {}): LayerStat => ({
  epoch,
  batch: null,
  layer,
  name,
  gradNorm: null,
  biasGradNorm: null,
  weightNorm: null,
  updateRatio: null,
  actMean: null,
  actStd: null,
  deadFraction: null,
  saturatedFraction: null,
  nonfinite: 0,
  ...o,
});

/** A relu layer, a Dropout (no weights, no activation figure), a sigmoid layer and the softmax output; epochs 0–2. */
function stats(): LayerStat[] {
  const rows: LayerStat[] = [];
  for (const epoch of [2, 0, 1]) {
    rows.push(stat(epoch, 3, 'Dense 4 (softmax)', { gradNorm: 0.5 / (epoch + 1), saturatedFraction: 0.1 * epoch }));
    rows.push(stat(epoch, 1, 'Dropout 2'));
    rows.push(stat(epoch, 0, 'Dense 1 (relu)', { gradNorm: [1e-3, 1e-4, 1e-5][epoch], deadFraction: 0.2 + 0.1 * epoch }));
    rows.push(stat(epoch, 2, 'Dense 3 (sigmoid)', { gradNorm: 0.01, saturatedFraction: 0.5 + 0.2 * epoch }));
  }
  // A finer probe within epoch 1: not an epoch's point.
  rows.push(stat(1, 0, 'Dense 1 (relu)', { batch: 50, gradNorm: 123, deadFraction: 0.99 }));
  return rows;
}

const evidence = (chart: Evidence['chart'], layers: number[], fromEpoch = 1, toEpoch = 2): Evidence => ({
  chart,
  fromEpoch,
  toEpoch,
  layers,
  text: 'test',
});

describe('layer colours', () => {
  it('go from light at the input to dark at the output along one palette', () => {
    const colors = Array.from({ length: 6 }, (_, i) => layerColor(i, 6));
    const lum = colors.map(luminance);
    for (let i = 1; i < lum.length; i++) expect(lum[i]).toBeLessThan(lum[i - 1]);
    expect(colors[0]).toBe(plasma(0.7));
    expect(colors[5]).toBe('#0d0887');
    // The light end is still a line one can see on white.
    expect(contrastOnWhite(colors[0])).toBeGreaterThanOrEqual(2.5);
    // One layer alone is the output's colour.
    expect(layerColor(0, 1)).toBe('#0d0887');
  });

  it('follow the model order, whatever order the stats come in, and are the same in both layer charts', () => {
    const colors = layerColors(stats());
    expect([...colors.keys()]).toEqual([0, 1, 2, 3]);
    expect([...colors.values()].map((c) => c.color)).toEqual([0, 1, 2, 3].map((i) => layerColor(i, 4)));
    const grad = gradientSeries(stats());
    const act = activationSeries(stats());
    for (const line of act) expect(line.color).toBe(grad.find((g) => g.layer === line.layer)!.color);
  });
});

describe('gradient chart', () => {
  it('is a log scale with one line per layer with weights, named after the layer', () => {
    const c = lineChartConfig(gradientChartSpec(stats(), 5));
    expect(c.options!.scales!.y!.type).toBe('logarithmic');
    expect(c.data.datasets.map((d) => d.label)).toEqual(['Dense 1 (relu)', 'Dense 3 (sigmoid)', 'Dense 4 (softmax)']);
    expect(c.options!.plugins!.legend).toMatchObject({ position: 'top' });
  });

  it('plots the end-of-epoch probes from epoch 0, leaving out the finer ones and what a log scale cannot draw', () => {
    const s = stats();
    s.push(stat(3, 0, 'Dense 1 (relu)', { gradNorm: 0 }));
    const relu = gradientSeries(s)[0];
    expect(relu.points).toEqual([
      { x: 0, y: 1e-3 },
      { x: 1, y: 1e-4 },
      { x: 2, y: 1e-5 },
      { x: 3, y: 0 },
    ]);
    const c = lineChartConfig(gradientChartSpec(s, 5));
    expect(c.data.datasets[0].data.map((p) => p.y)).toEqual([1e-3, 1e-4, 1e-5, null]);
    expect(c.options!.scales!.x).toMatchObject({ min: 0, max: 5 });
  });

  it('labels powers of ten only over many decades, and 2 and 5 too over few', () => {
    const wide = logTick([1e-5, 0.5]);
    expect([1e-4, 2e-4, 5e-4, 0.01].map(wide)).toEqual(['1e-4', '', '', '0.01']);
    const narrow = logTick([0.01, 0.08]);
    expect([0.01, 0.02, 0.03, 0.05].map(narrow)).toEqual(['0.01', '0.02', '', '0.05']);
  });

  it('formats norms across orders of magnitude', () => {
    expect([formatNorm(0.012345), formatNorm(4.567e-5), formatNorm(12345.6), formatNorm(0), formatNorm(NaN)]).toEqual([
      '0.0123',
      '4.57e-5',
      '1.23e4',
      '0',
      '—',
    ]);
  });

  it('has a table of its numbers: one row per epoch, one column per layer', () => {
    const table = layerTable(gradientSeries(stats()));
    expect(table.columns).toEqual(['Dense 1 (relu)', 'Dense 3 (sigmoid)', 'Dense 4 (softmax)']);
    expect(table.rows.map((r) => r.epoch)).toEqual([0, 1, 2]);
    expect(table.rows[1].values).toEqual([1e-4, 0.01, 0.25]);
  });

  it('has no lines without stats', () => {
    expect(lineChartConfig(gradientChartSpec([], 3)).data.datasets).toEqual([]);
    expect(lineChartConfig(activationChartSpec([], 3)).data.datasets).toEqual([]);
  });
});

describe('activation chart', () => {
  it('draws dead units for ReLU layers and saturated outputs for sigmoid/softmax layers, and nothing for the rest', () => {
    const lines = activationSeries(stats());
    expect(lines.map((l) => [l.layer, l.label])).toEqual([
      [0, 'Dense 1 (relu) · dead'],
      [2, 'Dense 3 (sigmoid) · saturated'],
      [3, 'Dense 4 (softmax) · saturated'],
    ]);
    expect(lines[0].points.map((p) => p.y)).toEqual([0.2, 0.30000000000000004, 0.4]);
  });

  it('spans 0–100 %', () => {
    const c = lineChartConfig(activationChartSpec(stats(), 4));
    expect(c.options!.scales!.y).toMatchObject({ type: 'linear', min: 0, max: 1 });
    expect(call((c.options!.scales!.y!.ticks as { callback: unknown }).callback, 0.4)).toBe('40%');
  });
});

describe('evidence highlight', () => {
  it('shades the epochs on the chart the evidence names, and on no other', () => {
    const h = evidence('gradients', [0], 2, 5);
    expect(annotations(lineChartConfig(gradientChartSpec(stats(), 5, h))).band).toEqual({ from: 2, to: 5 });
    expect(annotations(lineChartConfig(activationChartSpec(stats(), 5, h))).band).toBeNull();
    expect(bandFor(h, 'loss')).toBeNull();
    expect(bandFor(evidence('loss', [], 3, 4), 'loss')).toEqual({ from: 3, to: 4 });
    expect(bandFor(null, 'loss')).toBeNull();
  });

  it('widens a single epoch to half an epoch either side, so it shows', () => {
    expect(bandExtent({ from: 3, to: 3 })).toEqual({ from: 2.5, to: 3.5 });
    expect(bandExtent({ from: 5, to: 2 })).toEqual({ from: 2, to: 5 });
  });

  it('thickens the named layers’ lines and dims the others', () => {
    const c = lineChartConfig(gradientChartSpec(stats(), 5, evidence('gradients', [0, 2])));
    const width = (label: string) => c.data.datasets.find((d) => d.label === label)!.borderWidth as number;
    const plain = lineChartConfig(gradientChartSpec(stats(), 5)).data.datasets[0].borderWidth as number;
    expect(width('Dense 1 (relu)')).toBeGreaterThan(plain);
    expect(width('Dense 3 (sigmoid)')).toBeGreaterThan(plain);
    expect(width('Dense 4 (softmax)')).toBeLessThan(plain);
    const dimmed = c.data.datasets.find((d) => d.label === 'Dense 4 (softmax)')!;
    expect(dimmed.borderColor).toMatch(/^#[0-9a-f]{6}[0-9a-f]{2}$/);
  });

  it('leaves every line as it is when the evidence is on another chart or names none of its layers', () => {
    for (const h of [evidence('activations', [0]), evidence('gradients', [1]), evidence('gradients', [])]) {
      const lines = gradientSeries(stats(), h);
      expect(lines.map((l) => [l.width, l.dim])).toEqual(lines.map(() => [undefined, undefined]));
    }
    expect(activationSeries(stats(), evidence('activations', [3])).map((l) => l.dim ?? l.width)).toEqual([true, true, 3.5]);
  });
});

describe('the annotations plugin', () => {
  function draw(options: Annotations) {
    const calls: unknown[][] = [];
    const record =
      (name: string) =>
      (...args: unknown[]) =>
        calls.push([name, ...args]);
    const ctx = Object.fromEntries(
      ['save', 'restore', 'fillRect', 'strokeRect', 'beginPath', 'moveTo', 'lineTo', 'stroke', 'setLineDash', 'fillText'].map((n) => [n, record(n)]),
    );
    const chart = {
      ctx,
      chartArea: { left: 50, right: 450, top: 10, bottom: 210 },
      scales: { x: { getPixelForValue: (v: number) => 50 + v * 40 }, y: { getPixelForValue: (v: number) => 210 - v * 100 } },
      options: { font: { family: 'sans' } },
    };
    call(annotationsPlugin.beforeDatasetsDraw, chart, {}, options);
    return calls;
  }

  it('fills the band over its epochs, clipped to the plot', () => {
    expect(draw({ guides: [], band: { from: 2, to: 4 } }).find((c) => c[0] === 'fillRect')).toEqual(['fillRect', 130, 10, 80, 200]);
    expect(draw({ guides: [], band: { from: 8, to: 20 } }).find((c) => c[0] === 'fillRect')).toEqual(['fillRect', 370, 10, 80, 200]);
    expect(draw({ guides: [], band: null }).some((c) => c[0] === 'fillRect')).toBe(false);
  });

  it('draws a guide across the plot with its label, or a note at the edge when the axis does not reach it', () => {
    const inside = draw({ guides: [chanceGuide('accuracy', false)], band: null });
    expect(inside).toContainEqual(['moveTo', 50, 200]);
    expect(inside).toContainEqual(['lineTo', 450, 200]);
    expect(inside.find((c) => c[0] === 'fillText')?.[1]).toBe('Chance');
    const above = draw({ guides: [chanceGuide('loss', false)], band: null });
    expect(above.some((c) => c[0] === 'lineTo')).toBe(false);
    expect(above.find((c) => c[0] === 'fillText')?.[1]).toBe('Chance 2.303 ↑');
  });
});

describe('loss and accuracy charts', () => {
  const baseline: EpochMetrics = { epoch: 0, loss: 2.31, accuracy: 0.09, valLoss: 2.305, valAccuracy: 0.1, seconds: 0 };
  const epochs: EpochMetrics[] = [
    { epoch: 1, loss: 0.8, accuracy: 0.7, valLoss: 0.6, valAccuracy: 0.78, seconds: 10 },
    { epoch: 2, loss: 0.5, accuracy: 0.82, valLoss: 0.5, valAccuracy: 0.8, seconds: 10 },
    { epoch: 3, loss: 0.4, accuracy: 0.86, valLoss: 0.55, valAccuracy: 0.83, seconds: 10 },
  ];
  const format = (y: number | null | undefined) => String(y);

  it('start at epoch 0 with the baseline: the probe batch on the training curve, the validation split on the other', () => {
    const [training, validation, batch] = lossSeries(epochs, [], 4, { baseline });
    expect(training.points[0]).toEqual({ x: 0, y: 2.31 });
    expect(validation.points[0]).toEqual({ x: 0, y: 2.305 });
    expect(batch.points).toEqual([]);
    expect(accuracySeries(epochs, { baseline }).map((s) => s.points[0])).toEqual([
      { x: 0, y: 0.09 },
      { x: 0, y: 0.1 },
    ]);
    // Without one, the curves start at epoch 1.
    expect(lossSeries(epochs, [], 4)[0].points[0].x).toBe(1);
    const c = lineChartConfig(runChartSpec(lossSeries(epochs, [], 4, { baseline }), 3, format));
    const tip = c.options!.plugins!.tooltip!.callbacks!.title;
    expect(call(tip, [{ dataIndex: 0, parsed: { x: 0 } }])).toBe('Epoch 0 (before training)');
    expect(c.options!.scales!.x).toMatchObject({ min: 0 });
  });

  it('draw chance level dashed: ln 10 for loss and 10 % for accuracy, reaching the axis only when asked', () => {
    expect(chanceGuide('loss', true)).toMatchObject({ y: Math.log(10), label: 'Chance', fit: true });
    expect(chanceGuide('loss', true).y).toBeCloseTo(2.302585, 6);
    expect(chanceGuide('accuracy', false)).toMatchObject({ y: 0.1, label: 'Chance', fit: false });
    const fitted = lineChartConfig(runChartSpec(accuracySeries(epochs), 3, format, 1, { guides: [chanceGuide('accuracy', true)] }));
    expect(annotations(fitted).guides.map((g) => g.y)).toEqual([0.1]);
    expect(fitted.options!.scales!.y).toMatchObject({ suggestedMin: 0.1, suggestedMax: 0.1, max: 1 });
    const loose = lineChartConfig(runChartSpec(lossSeries(epochs, [], 4), 3, format, undefined, { guides: [chanceGuide('loss', false)] }));
    expect(loose.options!.scales!.y).toMatchObject({ suggestedMin: undefined, suggestedMax: undefined });
  });

  it('mark the best epoch, lowest validation loss, on both charts', () => {
    expect(lowestValLossEpoch(epochs)).toBe(2);
    expect(highestValAccuracyEpoch(epochs)).toBe(3);
    const loss = lineChartConfig(runChartSpec(lossSeries(epochs, [], 4, { baseline, bestEpoch: 2 }), 3, format, undefined, { bestNote: 'best' }));
    const accuracy = lineChartConfig(runChartSpec(accuracySeries(epochs, { baseline, bestEpoch: 2 }), 3, format, 1));
    const marker = (c: Config) => c.data.datasets.filter((d) => d.label?.endsWith('(best)')).map((d) => [d.label, d.data]);
    expect(marker(loss)).toEqual([['Validation loss (best)', [{ x: 2, y: 0.5 }]]]);
    expect(marker(accuracy)).toEqual([['Validation accuracy (best)', [{ x: 2, y: 0.8 }]]]);
    expect(marker(lineChartConfig(runChartSpec(lossSeries(epochs, [], 4), 3, format)))).toEqual([]);
  });
});

describe('comparison charts', () => {
  const series = (ys: number[]): ChartSeries[] => [
    { runId: 1, label: 'a', color: '#0072b2', points: ys.map((y, i) => ({ x: i + 1, y, raw: y })), best: null },
  ];

  it('draw chance level without stretching the axis to it, on a log scale too', () => {
    for (const [metric, y] of [
      ['loss', Math.log(10)],
      ['val_loss', Math.log(10)],
      ['accuracy', 0.1],
      ['val_accuracy', 0.1],
    ] as const)
      for (const logScale of [false, true]) {
        const c = lineChartConfig(compareSpec({ metric, series: series([0.5, 0.4]), xAxis: 'epoch', logScale, smoothing: 0 }));
        expect(annotations(c).guides.map((g) => [g.y, g.fit])).toEqual([[y, false]]);
        expect(c.options!.scales!.y).toMatchObject({ suggestedMax: undefined });
      }
  });
});
