/** Names first: a run the user named is called by its name wherever runs are labelled, with what differs beside it. */
import { describe, expect, it } from 'vitest';
import { chartSeries, defaultSmoothing, runLabels, smooth } from '../../../../src/shared/reports/compare';
import { chartDataJson, tidyCsv } from '../../../../src/shared/reports/export-data';
import { comparisonReportHtml } from '../../../../src/shared/reports/report';
import { svgLineChart } from '../../../../src/shared/reports/svg-chart';
import { parseCsv } from '../../../helpers';
import { ADAM, fixtureRun, SGD } from './run-fixtures';

const named = <T extends { name: string; named: boolean }>(run: T, name: string): T => ({ ...run, name, named: true });

describe('names first', () => {
  it('puts a named run’s name before what differs, and leaves an unnamed run’s label as it was', () => {
    const before = runLabels([ADAM(), SGD()]);
    expect(before).toEqual(['adam lr=0.001', 'sgd lr=0.01']);
    const labels = runLabels([named(ADAM(), 'Baseline'), SGD()]);
    expect(labels).toEqual(['Baseline — adam lr=0.001', 'sgd lr=0.01']);
  });

  it('is just the name when nothing differs, and a made-up name never leads', () => {
    const epochs: [number, number, number, number, number][] = [[1, 0.5, 1, 0.5, 3]];
    const a = fixtureRun({ id: 3, name: 'Baseline', epochs });
    const b = fixtureRun({ id: 4, name: 'seed-model-3 · adam lr=0.001', named: false, epochs, config: { learningRate: 0.01 } });
    const c = fixtureRun({ id: 5, name: 'Baseline', epochs });
    expect(runLabels([a, c])).toEqual(['Baseline #3', 'Baseline #5']);
    // b's name is Layerlab's: it is labelled by what differs.
    expect(runLabels([a, b])).toEqual(['Baseline — lr=0.001', 'lr=0.01']);
    // An empty name is no name.
    expect(runLabels([{ ...a, name: '  ' }, b])).toEqual(['lr=0.001', 'lr=0.01']);
  });

  it('keeps two runs named alike apart by what differs, and by id where nothing does', () => {
    const epochs: [number, number, number, number, number][] = [[1, 0.5, 1, 0.5, 3]];
    const runs = [
      fixtureRun({ id: 6, name: 'Try', epochs }),
      fixtureRun({ id: 7, name: 'Try', epochs, config: { learningRate: 0.1 } }),
      fixtureRun({ id: 8, name: 'Try', epochs, config: { learningRate: 0.1 } }),
    ];
    const labels = runLabels(runs);
    expect(labels).toEqual(['Try — lr=0.001', 'Try — lr=0.1 #7', 'Try — lr=0.1 #8']);
    expect(new Set(labels).size).toBe(3);
  });

  it('names the chart series, the CSV and JSON columns, the SVG legend and the report', () => {
    const runs = [named(ADAM(), 'Baseline'), SGD()];
    const label = 'Baseline — adam lr=0.001';

    const series = chartSeries(runs, 'val_accuracy');
    expect(series.map((s) => s.label)).toEqual(runLabels(runs));
    expect(series[0].label).toBe(label);

    const rows = parseCsv(tidyCsv(runs));
    expect(new Set(rows.slice(1).map((r) => r[1]))).toEqual(new Set([label, runLabels(runs)[1]]));

    const data = chartDataJson(runs);
    expect(data.runs[0]).toMatchObject({ name: 'Baseline', named: true, label, group: null });
    expect(data.runs[1]).toMatchObject({ named: false });

    const svg = svgLineChart({ title: 'Validation accuracy', xLabel: 'Epoch', yLabel: 'Validation accuracy', series, width: 1200 });
    expect(svg).toContain(`data-label="${label}"`);
    expect(svg).toContain(`>${label}<`);

    const html = comparisonReportHtml(runs, { generatedAt: 'now' });
    expect(html).toContain(`<strong>${label}</strong> <span class="muted">#1 ·`);
    // An unnamed run keeps its made-up name beside the label.
    expect(html).toContain(`#2 ${SGD().name}`);
  });

  it('gives the JSON export the run’s place in a repeat or sweep', () => {
    const run = fixtureRun({ id: 9, epochs: [[1, 0.5, 1, 0.5, 3]], groupId: 4, sweepValues: { learningRate: 0.01 }, repeatIndex: 1 });
    expect(chartDataJson([run]).runs[0].group).toEqual({ groupId: 4, sweepValues: { learningRate: 0.01 }, repeatIndex: 1 });
  });
});

describe('default smoothing', () => {
  it('is none below 10 points', () => {
    for (const n of [0, 1, 5, 9]) expect(defaultSmoothing(n)).toBe(0);
    expect(defaultSmoothing(Number.NaN)).toBe(0);
    expect(defaultSmoothing(10)).toBe(0);
  });

  it('rises with the number of points, smoothly, up to 0.9', () => {
    expect(defaultSmoothing(20)).toBe(0.5);
    expect(defaultSmoothing(50)).toBe(0.8);
    expect(defaultSmoothing(100)).toBe(0.9);
    expect(defaultSmoothing(100_000)).toBe(0.9);
    let last = 0;
    for (let n = 10; n <= 300; n++) {
      const w = defaultSmoothing(n);
      expect(w).toBeGreaterThanOrEqual(last);
      expect(w - last).toBeLessThanOrEqual(0.1);
      last = w;
    }
  });

  it('leaves a short curve exactly raw, and smooths a long noisy one', () => {
    const short = [0.9, 0.5, 0.7, 0.4, 0.6];
    expect(smooth(short, defaultSmoothing(short.length))).toEqual(short);
    const noisy = Array.from({ length: 60 }, (_, i) => 1 / (i + 1) + (i % 2 ? 0.2 : -0.2));
    const smoothed = smooth(noisy, defaultSmoothing(noisy.length)) as number[];
    const wiggle = (xs: number[]) => xs.slice(1).reduce((a, x, i) => a + Math.abs(x - xs[i]), 0);
    expect(wiggle(smoothed.slice(10))).toBeLessThan(wiggle(noisy.slice(10)) / 4);
  });
});
