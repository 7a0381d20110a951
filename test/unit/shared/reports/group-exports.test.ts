/**
 * A repeat in the comparison's files: the SVG chart's band (mean ± std at each epoch),
 * the CSV's and JSON's group rows, and the HTML report's charts and summary.
 */
import { describe, expect, it } from 'vitest';
import { METRICS, runColor } from '../../../../src/shared/reports/compare';
import { chartDataJson, CSV_HEADER, GROUP_CSV_HEADER, tidyCsv, type ComparedGroup } from '../../../../src/shared/reports/export-data';
import { formatMeanStd, groupCurves, groupSummary } from '../../../../src/shared/reports/groups';
import { comparisonReportHtml, groupLineSeries } from '../../../../src/shared/reports/report';
import { svgLineChart } from '../../../../src/shared/reports/svg-chart';
import { parseCsv } from '../../../helpers';
import { repeatRuns } from './group-fixtures';
import { ADAM, SGD } from './run-fixtures';
import { decode, findAll, parseXml, type XmlElement } from './xml-check';

/** A repeat × 3 over seeds; the third run stopped after two epochs (n falls to 2 at epoch 3). */
const REPEAT = (): ComparedGroup => ({
  group: { id: 5, name: 'adam repeat', kind: 'repeat' },
  runs: repeatRuns(5, 11, [
    {
      epochs: [
        [0.9, 0.7, 0.62, 0.78, 10],
        [0.5, 0.82, 0.47, 0.84, 11],
        [0.4, 0.86, 0.43, 0.86, 9],
      ],
    },
    {
      epochs: [
        [1.0, 0.66, 0.7, 0.74, 12],
        [0.6, 0.8, 0.5, 0.82, 10],
        [0.45, 0.84, 0.46, 0.85, 10],
      ],
    },
    {
      epochs: [
        [0.95, 0.69, 0.66, 0.8, 11],
        [0.55, 0.81, 0.52, 0.83, 11],
      ],
    },
  ]),
});

/** The y-axis as the SVG labels it: pixel → value, from two of its tick labels. */
function yScale(root: XmlElement): (py: number) => number {
  const axes = findAll(root, (e) => e.attrs.class === 'axes')[0];
  const ticks = axes.children
    .filter((c) => c.name === 'text' && c.attrs['text-anchor'] === 'end')
    .map((t) => ({ px: Number(t.attrs.y) - 4, value: Number(decode(t.text)) }));
  expect(ticks.length).toBeGreaterThanOrEqual(2);
  const [a, b] = [ticks[0], ticks[ticks.length - 1]];
  return (py) => a.value + ((py - a.px) / (b.px - a.px)) * (b.value - a.value);
}

function xScale(root: XmlElement): (px: number) => number {
  const axes = findAll(root, (e) => e.attrs.class === 'axes')[0];
  const ticks = axes.children
    .filter((c) => c.name === 'text' && c.attrs['text-anchor'] === 'middle')
    .map((t) => ({ px: Number(t.attrs.x), value: Number(decode(t.text)) }));
  const [a, b] = [ticks[0], ticks[ticks.length - 1]];
  return (px) => a.value + ((px - a.px) / (b.px - a.px)) * (b.value - a.value);
}

const pairs = (points: string) => points.split(' ').map((p) => p.split(',').map(Number) as [number, number]);

describe('a group in the SVG chart', () => {
  const g = REPEAT();
  const svg = svgLineChart({
    title: 'Validation loss',
    xLabel: 'Epoch',
    yLabel: 'Validation loss',
    series: [
      ...[ADAM()].map((r) => ({ label: 'adam', color: runColor(0), points: r.epochs.map((e) => ({ x: e.epoch, y: e.valLoss })) })),
      groupLineSeries(g, 'val_loss', runColor(1)),
    ],
  });
  const { root, problems } = parseXml(svg);

  it('is well-formed, with one band in the group’s colour behind the curves', () => {
    expect(problems).toEqual([]);
    const bands = findAll(root!, (e) => e.name === 'polygon');
    expect(bands).toHaveLength(1);
    const band = findAll(root!, (e) => e.attrs.class === 'band' && e.name === 'g')[0];
    expect(decode(band.attrs['data-label'])).toBe('adam repeat');
    expect(band.attrs.fill).toBe(runColor(1));
    expect(Number(bands[0].attrs['fill-opacity'])).toBeLessThan(0.5);
    // Drawn before (under) every curve.
    const order = root!.children.map((c) => c.attrs.class);
    expect(order.indexOf('bands')).toBeLessThan(order.indexOf('series'));
  });

  it('runs along mean + std and back along mean − std at each epoch', () => {
    const curve = groupCurves(g.runs, 'val_loss');
    expect(curve.map((p) => p.n)).toEqual([3, 3, 2]);
    const points = pairs(findAll(root!, (e) => e.name === 'polygon')[0].attrs.points);
    expect(points).toHaveLength(2 * curve.length);
    const [toX, toY] = [xScale(root!), yScale(root!)];
    const top = points.slice(0, curve.length);
    const bottom = points.slice(curve.length).reverse();
    curve.forEach((p, i) => {
      expect(toX(top[i][0])).toBeCloseTo(p.epoch, 3);
      expect(toY(top[i][1])).toBeCloseTo(p.mean + p.std, 3);
      expect(toX(bottom[i][0])).toBeCloseTo(p.epoch, 3);
      expect(toY(bottom[i][1])).toBeCloseTo(p.mean - p.std, 3);
      expect(p.std).toBeGreaterThan(0.01);
    });
    // The mean line runs through the middle.
    const series = findAll(root!, (e) => e.attrs.class === 'series').find((e) => decode(e.attrs['data-label']) === 'adam repeat')!;
    const line = series.children.find((c) => c.attrs.class === 'line')!;
    const ys = [...line.attrs.d.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => toY(Number(m[2])));
    ys.forEach((y, i) => expect(y).toBeCloseTo(curve[i].mean, 3));
  });

  it('names the group in the legend with a band swatch', () => {
    const items = findAll(root!, (e) => e.attrs.class === 'legend-item');
    expect(items.map((i) => decode(findAll(i, (e) => e.name === 'text')[0].text))).toEqual(['adam', 'adam repeat (mean ± std)']);
    expect(findAll(items[0], (e) => e.attrs.class === 'band-swatch')).toHaveLength(0);
    expect(findAll(items[1], (e) => e.attrs.class === 'band-swatch')).toHaveLength(1);
  });

  it('breaks the band where nothing was recorded and cuts it at the bottom of a log axis', () => {
    const band = [
      { x: 1, lower: -0.2, upper: 0.9 },
      { x: 2, lower: 0.3, upper: 0.7 },
      { x: 3, lower: null, upper: null },
      { x: 4, lower: 0.2, upper: 0.4 },
      { x: 5, lower: 0.1, upper: 0.3 },
    ];
    const series = [
      { label: 'g', color: '#000000', points: band.map((b) => ({ x: b.x, y: b.upper === null ? null : (b.lower! + b.upper) / 2 })), band },
    ];
    const linear = parseXml(svgLineChart({ title: 't', xLabel: 'x', yLabel: 'y', series })).root!;
    expect(findAll(linear, (e) => e.name === 'polygon')).toHaveLength(2);
    const log = parseXml(svgLineChart({ title: 't', xLabel: 'x', yLabel: 'y', series, logScale: true })).root!;
    const first = pairs(findAll(log, (e) => e.name === 'polygon')[0].attrs.points);
    // Lower edge at epoch 1 (−0.2) sits on the plot's bottom line, not off the chart.
    const bottomLine = findAll(log, (e) => e.name === 'line' && e.attrs.y1 === e.attrs.y2 && e.attrs.stroke === '#888888')[0];
    expect(first[first.length - 1][1]).toBeCloseTo(Number(bottomLine.attrs.y1), 1);
  });
});

describe('a group in the data files', () => {
  const g = REPEAT();

  it('keeps the CSV without groups as it was', () => {
    expect(parseCsv(tidyCsv([ADAM(), SGD()], { groups: [] }))[0]).toEqual([...CSV_HEADER]);
    expect(tidyCsv([ADAM(), SGD()], { groups: [] })).toBe(tidyCsv([ADAM(), SGD()]));
  });

  it('adds std and n, leaves them empty on the runs’ rows, which keep their values', () => {
    const rows = parseCsv(tidyCsv([ADAM(), SGD()], { smoothing: 0.5, groups: [g] }));
    expect(rows[0]).toEqual([...GROUP_CSV_HEADER]);
    const plain = parseCsv(tidyCsv([ADAM(), SGD()], { smoothing: 0.5 })).slice(1);
    const runRows = rows.slice(1).filter((r) => !r[0].startsWith('group:'));
    expect(runRows.map((r) => r.slice(0, 7))).toEqual(plain);
    expect(runRows.every((r) => r[7] === '' && r[8] === '')).toBe(true);
  });

  it('writes a group’s rows as groupCurves has them: mean, std and n per epoch and metric', () => {
    const rows = parseCsv(tidyCsv([ADAM()], { groups: [g] })).slice(1);
    const mine = rows.filter((r) => r[0] === 'group:5');
    expect(mine).toHaveLength(3 * METRICS.length);
    expect(new Set(mine.map((r) => r[1]))).toEqual(new Set(['adam repeat']));
    for (const m of METRICS) {
      const curve = groupCurves(g.runs, m);
      const got = mine.filter((r) => r[4] === m);
      expect(got.map((r) => Number(r[2]))).toEqual(curve.map((p) => p.epoch));
      expect(got.map((r) => Number(r[5]))).toEqual(curve.map((p) => p.mean));
      expect(got.map((r) => Number(r[7]))).toEqual(curve.map((p) => p.std));
      expect(got.map((r) => Number(r[8]))).toEqual(curve.map((p) => p.n));
      // No smoothing: smoothed = mean.
      expect(got.map((r) => r[6])).toEqual(got.map((r) => r[5]));
    }
    // Seconds: the mean time up to each epoch over the runs that reached it (10+11+9 / 12+10+10 / 11+11).
    const loss = mine.filter((r) => r[4] === 'loss').map((r) => Number(r[3]));
    expect(loss[0]).toBeCloseTo(11, 10);
    expect(loss[1]).toBeCloseTo((21 + 22 + 22) / 3, 10);
    expect(loss[2]).toBeCloseTo((30 + 32) / 2, 10);
  });

  it('has the same figures in the JSON, the group coloured after the runs', () => {
    const data = chartDataJson([ADAM(), SGD()], { groups: [g] });
    expect(chartDataJson([ADAM()]).groups).toEqual([]);
    expect(data.groups).toHaveLength(1);
    const [group] = data.groups;
    expect(group).toMatchObject({ id: 5, name: 'adam repeat', kind: 'repeat', runIds: [11, 12, 13], color: runColor(2) });
    const curve = groupCurves(g.runs, 'val_accuracy');
    expect(group.epochs.map((e) => e.values.val_accuracy)).toEqual(curve.map((p) => ({ mean: p.mean, smoothed: p.mean, std: p.std, n: p.n })));
  });
});

describe('a group in the HTML report', () => {
  const g = REPEAT();
  const html = comparisonReportHtml([ADAM(), SGD()], { groups: [g], generatedAt: 'now' });

  it('says what it compares and lists the group with its runs', () => {
    expect(html).toContain('<title>Comparison of 2 runs and 1 group</title>');
    expect(html).toMatch(/<li class="group">.*adam repeat.*repeat · mean ± std over 3 runs \(#11 #12 #13\)/);
    expect(comparisonReportHtml([], { groups: [g, { ...REPEAT(), group: { id: 6, name: 'b', kind: 'sweep' } }] })).toContain(
      '<title>Comparison of 2 groups</title>',
    );
  });

  it('draws the group as a band and a mean curve in each of the four charts', () => {
    const figures = [...html.matchAll(/<figure><svg[\s\S]*?<\/svg>\s*<\/figure>/g)].map((m) => m[0]);
    expect(figures).toHaveLength(4);
    for (const f of figures) {
      expect(f.match(/<polygon class="band"/g)).toHaveLength(1);
      expect(f).toContain('adam repeat (mean ± std)');
    }
  });

  it('shows the group’s summary figures as mean ± std over its completed runs', () => {
    const summary = html.slice(html.indexOf('<table class="summary">'), html.indexOf('</table>', html.indexOf('<table class="summary">')));
    expect(summary).toContain('adam repeat');
    const rows = groupSummary(g.runs);
    const cell = (key: string) => summary.match(new RegExp(`<tr data-key="${key}">.*<td class="num group-cell">([^<]*)</td>`))?.[1];
    const loss = rows.find((r) => r.key === 'bestValLoss')!;
    expect(loss.n).toBe(3);
    expect(cell('bestValLoss')).toBe(formatMeanStd(loss.mean, loss.std, loss.n, 4));
    const acc = rows.find((r) => r.key === 'bestValAccuracy')!;
    expect(cell('bestValAccuracy')).toBe(`${(acc.mean! * 100).toFixed(2)}% ± ${(acc.std! * 100).toFixed(2)}% (n=3)`);
    // A figure groupSummary has no row for is a dash.
    expect(cell('params')).toBe('—');
  });
});
