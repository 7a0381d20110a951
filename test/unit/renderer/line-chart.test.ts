import type { ChartConfiguration } from 'chart.js';
import { describe, expect, it } from 'vitest';
import { compareSpec, type CompareChartInput } from '../../../src/renderer/lib/charts/compare-chart';
import { lineChartConfig, type XY } from '../../../src/renderer/lib/charts/line-chart';
import { accuracySeries, lossSeries, runChartSpec } from '../../../src/renderer/lib/charts/run-chart';
import { formatAccuracy } from '../../../src/renderer/lib/format';
import { chartSeries, type ChartSeries, type Metric } from '../../../src/shared/reports/compare';
import { ADAM, SGD } from '../shared/reports/run-fixtures';

type Config = ChartConfiguration<'line', XY[]>;
type Loose = (...args: unknown[]) => unknown;
// chart.js types its callbacks with a `this` of its own; the ones built here don't use it.
const call = (f: unknown, ...args: unknown[]) => (f as Loose)(...args);

const compare = (metric: Metric, o: Partial<CompareChartInput> = {}): CompareChartInput => ({
  metric,
  series: chartSeries([ADAM(), SGD()], metric, { smoothing: o.smoothing ?? 0, xAxis: o.xAxis }),
  xAxis: 'epoch',
  logScale: false,
  smoothing: 0,
  ...o,
});

const legend = (c: Config) =>
  c.data.datasets.filter((d, i) => call(c.options!.plugins!.legend!.labels!.filter, { datasetIndex: i, text: d.label })).map((d) => d.label);

/** What the tooltip says with the pointer at the given point of every dataset that has one ('index' mode). */
function tooltipAt(c: Config, dataIndex: number, only?: number): string[] {
  const tip = c.options!.plugins!.tooltip!;
  const items = c.data.datasets
    .map((d, datasetIndex) => ({ datasetIndex, dataIndex, parsed: d.data[dataIndex], dataset: d }))
    .filter((item) => item.parsed && (only === undefined || item.datasetIndex === only))
    .filter((item) => call(tip.filter, item));
  return [call(tip.callbacks!.title, items), ...items.map((item) => call(tip.callbacks!.label, item))] as string[];
}

const ticks = (c: Config, axis: 'x' | 'y', v: number) => call((c.options!.scales![axis]!.ticks as { callback: unknown }).callback, v);

describe('comparison chart on screen', () => {
  it('names each run in the tooltip with its value, and marks the best epoch', () => {
    const c = lineChartConfig(compareSpec(compare('val_accuracy')));
    expect(tooltipAt(c, 2)).toEqual(['Epoch 3', 'adam lr=0.001: 86.00% · best (highest)', 'sgd lr=0.01: 60.00%']);
    expect(tooltipAt(c, 3)).toEqual(['Epoch 4', 'adam lr=0.001: 85.00%', 'sgd lr=0.01: 66.00% · best (highest)']);
  });

  it('draws a best-epoch marker per run over its line, in the run’s colour', () => {
    const input = compare('loss');
    const c = lineChartConfig(compareSpec(input));
    const markers = c.data.datasets.filter((d) => d.label?.endsWith('(best)'));
    expect(markers.map((d) => d.data)).toEqual([[{ x: 4, y: 0.3 }], [{ x: 4, y: 1.2 }]]);
    expect(markers.map((d) => d.backgroundColor)).toEqual(input.series.map((s) => s.color));
    const line = c.data.datasets.find((d) => d.label === 'adam lr=0.001')!;
    expect(markers[0].order!).toBeLessThan(line.order!);
  });

  it('with smoothing, draws each raw curve faint behind its run and gives the raw value in the tooltip', () => {
    const input = compare('val_accuracy', { smoothing: 0.6 });
    const c = lineChartConfig(compareSpec(input));
    const adam = c.data.datasets.find((d) => d.label === 'adam lr=0.001')!;
    const raw = c.data.datasets.find((d) => d.label === 'adam lr=0.001 (raw)')!;
    expect(raw.data.map((p) => p.y)).toEqual([0.78, 0.84, 0.86, 0.85]);
    expect(adam.data.map((p) => p.y)).not.toEqual(raw.data.map((p) => p.y));
    expect(raw.borderColor).toMatch(new RegExp(`^${input.series[0].color}[0-9a-f]{2}$`, 'i'));
    expect(raw.order!).toBeGreaterThan(adam.order!);
    // The raw curves and markers belong to their run: neither the legend nor the tooltip lists them apart.
    expect(tooltipAt(c, 2)).toHaveLength(3);
    expect(tooltipAt(c, 2)[1]).toMatch(/^adam lr=0\.001: \d+\.\d\d% \(raw 86\.00%\) · best \(highest\)$/);
    expect(legend(c)).toEqual(['adam lr=0.001', 'sgd lr=0.01']);
  });

  it('without smoothing, draws one curve per run', () => {
    const c = lineChartConfig(compareSpec(compare('val_accuracy')));
    expect(c.data.datasets.map((d) => d.label)).toEqual(['adam lr=0.001', 'adam lr=0.001 (best)', 'sgd lr=0.01', 'sgd lr=0.01 (best)']);
  });

  it('on a log scale leaves out the values it cannot draw, marker included', () => {
    const series: ChartSeries[] = [
      {
        runId: 1,
        label: 'a',
        color: '#0072b2',
        points: [
          { x: 1, y: 0, raw: 0 },
          { x: 2, y: 0.5, raw: 0.5 },
        ],
        best: { x: 1, y: 0 },
      },
    ];
    const c = lineChartConfig(compareSpec({ metric: 'loss', series, xAxis: 'epoch', logScale: true, smoothing: 0 }));
    expect(c.options!.scales!.y!.type).toBe('logarithmic');
    expect(c.data.datasets.map((d) => d.data)).toEqual([
      [
        { x: 1, y: null },
        { x: 2, y: 0.5 },
      ],
    ]);
  });

  it('on the time axis shows durations, and the tooltip still names the epoch and says when', () => {
    const c = lineChartConfig(compareSpec(compare('loss', { xAxis: 'time' })));
    expect(c.options!.scales!.x!.title).toMatchObject({ text: 'Training time' });
    expect([ticks(c, 'x', 4.5), ticks(c, 'x', 150)]).toEqual(['4.5 s', '02:30']);
    expect(tooltipAt(c, 1)).toEqual(['Epoch 2', 'adam lr=0.001: 0.5 at 21 s', 'sgd lr=0.01: 1.9 at 16 s']);
  });

  it('has its title, legend and background only in the exported picture', () => {
    const input = compare('loss');
    const screen = lineChartConfig(compareSpec(input));
    const png = lineChartConfig(compareSpec(input, { background: 'white' }));
    const background = (c: Config) => c.plugins!.some((p) => p.id === 'layerlabBackground');
    const shown = (c: Config) => [c.options!.plugins!.title!.display, c.options!.plugins!.legend!.display, background(c)];
    expect(shown(screen)).toEqual([false, false, false]);
    expect(shown(png)).toEqual([true, true, true]);
    expect(png.options!.plugins!.title!.text).toBe('Loss');
    expect(legend(png)).toEqual(['adam lr=0.001', 'sgd lr=0.01']);
    expect(background(lineChartConfig(compareSpec(input, { background: 'transparent' })))).toBe(false);
    // Otherwise the file is the picture on screen.
    const drawn = (c: Config) => c.data.datasets.map((d) => [d.label, d.data, d.borderColor, d.borderWidth]);
    expect(drawn(png)).toEqual(drawn(screen));
    expect(png.options!.scales!.y!.title).toEqual(screen.options!.scales!.y!.title);
  });
});

describe('live run charts', () => {
  const epochs = [
    { epoch: 1, loss: 0.9, accuracy: 0.7, valLoss: 0.6, valAccuracy: 0.78, seconds: 10 },
    { epoch: 2, loss: 0.5, accuracy: 0.82, valLoss: null, valAccuracy: null, seconds: 11 },
  ];
  const batches = [
    { epoch: 1, batch: 2, loss: 1.2 },
    { epoch: 1, batch: 4, loss: 0.95 },
    { epoch: 2, batch: 2, loss: 0.55 },
  ];
  const format = (y: number | null | undefined) => (typeof y === 'number' ? Number(y.toFixed(4)).toString() : '—');

  it('plots the batch losses faint at fractional epochs, named in the legend and the tooltip', () => {
    const c = lineChartConfig(runChartSpec(lossSeries(epochs, batches, 4), 10, format));
    expect(legend(c)).toEqual(['Training loss', 'Validation loss', 'Batch loss (sampled)']);
    const batch = c.data.datasets[2];
    expect(batch.data.map((p) => p.x)).toEqual([0.5, 1, 1.5]);
    expect(batch.pointRadius).toBe(0);
    expect(batch.borderWidth!).toBeLessThan(c.data.datasets[0].borderWidth as number);
    expect(tooltipAt(c, 0, 2)).toEqual(['Epoch 0.5', 'Batch loss (sampled): 1.2']);
    expect(tooltipAt(c, 0, 1)).toEqual(['Epoch 1', 'Validation loss: 0.6']);
  });

  it('spans the planned epochs, so the lines grow into the chart', () => {
    const c = lineChartConfig(runChartSpec(accuracySeries(epochs), 10, (y) => formatAccuracy(y, 1), 1));
    expect(c.options!.scales!.x).toMatchObject({ min: 0, max: 10, ticks: { stepSize: 1 }, title: { text: 'Epoch' } });
    expect(c.options!.scales!.y).toMatchObject({ max: 1 });
    expect(ticks(c, 'y', 0.8)).toBe('80.0%');
    expect(c.data.datasets.map((d) => d.data.length)).toEqual([2, 1]);
  });
});
