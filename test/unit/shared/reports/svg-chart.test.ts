import { describe, expect, it } from 'vitest';
import { chartSeries } from '../../../../src/shared/reports/compare';
import { linearAxis, logAxis, svgLineChart, type SvgChartOptions } from '../../../../src/shared/reports/svg-chart';
import { ADAM, SGD } from './run-fixtures';
import { decode, findAll, parseXml } from './xml-check';

function chartOf(metric: 'val_accuracy' | 'loss', o: Partial<SvgChartOptions> = {}, smoothing = 0.6): string {
  return svgLineChart({
    title: 'Validation accuracy',
    xLabel: 'Epoch',
    yLabel: 'Validation accuracy',
    // The comparison's series as they are: the same ones the screen draws.
    series: chartSeries([ADAM(), SGD()], metric, { smoothing }),
    bestLabel: (s) => `best of ${s.label}`,
    ...o,
  });
}

const texts = (root: NonNullable<ReturnType<typeof parseXml>['root']>) => findAll(root, (e) => e.name === 'text').map((e) => decode(e.text));

describe('svgLineChart', () => {
  it('writes a well-formed standalone SVG document with its size and viewBox', () => {
    const svg = chartOf('val_accuracy', { width: 900, height: 500 });
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const { root, problems } = parseXml(svg);
    expect(problems).toEqual([]);
    expect(root!.name).toBe('svg');
    expect(root!.attrs).toMatchObject({ width: '900', height: '500', viewBox: '0 0 900 500' });
  });

  it('the checker itself catches broken XML', () => {
    expect(parseXml('<svg><g></svg>').problems).not.toEqual([]);
    expect(parseXml('<svg><text>a < b</text></svg>').problems).not.toEqual([]);
    expect(parseXml('<svg><text>R&D</text></svg>').problems).not.toEqual([]);
    expect(parseXml('<svg a="1" a="2"></svg>').problems).not.toEqual([]);
  });

  it('names every series in the legend and has the title and both axis titles', () => {
    const { root } = parseXml(chartOf('val_accuracy'));
    const t = texts(root!);
    expect(t).toContain('adam lr=0.001');
    expect(t).toContain('sgd lr=0.01');
    expect(t).toContain('Epoch');
    expect(t.filter((x) => x === 'Validation accuracy')).toHaveLength(2); // the title and the y-axis title
    const legend = findAll(root!, (e) => e.attrs.class === 'legend-item');
    expect(legend).toHaveLength(2);
  });

  it('draws per series the smoothed curve and the raw one faintly behind it, in the run’s colour', () => {
    const { root } = parseXml(chartOf('val_accuracy'));
    const groups = findAll(root!, (e) => e.attrs.class === 'series');
    expect(groups.map((g) => decode(g.attrs['data-label']))).toEqual(['adam lr=0.001', 'sgd lr=0.01']);
    for (const g of groups) {
      const paths = g.children.filter((c) => c.name === 'path');
      expect(paths.map((p) => p.attrs.class)).toEqual(['raw', 'line']);
      expect(Number(paths[0].attrs['stroke-opacity'])).toBeLessThan(0.5);
      // Four epochs: a move and three line segments each.
      for (const p of paths) expect(p.attrs.d.match(/[ML]/g)).toHaveLength(4);
    }
    expect(groups[0].attrs.stroke).not.toBe(groups[1].attrs.stroke);
  });

  it('draws only one curve per series when nothing is smoothed', () => {
    const { root } = parseXml(chartOf('val_accuracy', {}, 0));
    const groups = findAll(root!, (e) => e.attrs.class === 'series');
    for (const g of groups) expect(g.children.filter((c) => c.name === 'path').map((p) => p.attrs.class)).toEqual(['line']);
  });

  it('marks each run’s best epoch', () => {
    const { root } = parseXml(chartOf('val_accuracy'));
    const best = findAll(root!, (e) => e.attrs.class === 'best');
    expect(best).toHaveLength(2);
    expect(decode(best[0].children[0].text)).toBe('best of adam lr=0.001');
    // The best of ADAM (0.86) is higher on the page (smaller y) than SGD's (0.66).
    expect(Number(best[0].attrs.cy)).toBeLessThan(Number(best[1].attrs.cy));
  });

  it('escapes text, so a label with markup stays text', () => {
    const svg = svgLineChart({
      title: 'a < b & "c"',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          label: '<script>alert(1)</script>',
          color: '#000000',
          points: [
            { x: 1, y: 1 },
            { x: 2, y: 2 },
          ],
        },
      ],
    });
    expect(svg).not.toContain('<script>');
    const { root, problems } = parseXml(svg);
    expect(problems).toEqual([]);
    expect(texts(root!)).toContain('<script>alert(1)</script>');
    expect(texts(root!)).toContain('a < b & "c"');
  });

  it('breaks the curve at a missing value and still shows a lone point', () => {
    const svg = svgLineChart({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          label: 's',
          color: '#000000',
          points: [
            { x: 1, y: 1 },
            { x: 2, y: 2 },
            { x: 3, y: null },
            { x: 4, y: 3 },
          ],
        },
      ],
    });
    const { root } = parseXml(svg);
    const path = findAll(root!, (e) => e.attrs.class === 'line')[0];
    expect(path.attrs.d.match(/M/g)).toHaveLength(1);
    expect(findAll(root!, (e) => e.attrs.class === 'dot')).toHaveLength(1);
  });

  it('draws a faint series thin and pale, without dots, and still names it in the legend', () => {
    const svg = svgLineChart({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          label: 'Batch loss (sampled)',
          color: '#1d4ed8',
          faint: true,
          points: [
            { x: 0.5, y: 2 },
            { x: 1, y: 1.5 },
            { x: 3, y: 1 },
          ],
        },
      ],
    });
    const { root } = parseXml(svg);
    const group = findAll(root!, (e) => e.attrs.class === 'series')[0];
    expect(group.children.map((c) => c.attrs.class)).toEqual(['raw']);
    expect(Number(group.children[0].attrs['stroke-opacity'])).toBeLessThan(0.5);
    expect(texts(root!)).toContain('Batch loss (sampled)');
  });

  it('has a white background unless asked for transparent', () => {
    expect(chartOf('loss')).toMatch(/<rect [^>]*fill="#ffffff"/);
    expect(chartOf('loss', { background: 'transparent' })).not.toMatch(/<rect /);
  });

  it('leaves out the XML declaration and namespace for inline use', () => {
    const svg = chartOf('loss', { standalone: false });
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg).not.toContain('http');
    expect(parseXml(svg).problems).toEqual([]);
  });

  it('puts log ticks at 1, 2, 5 × 10^k and leaves out values it cannot draw', () => {
    const svg = chartOf('loss', { logScale: true });
    const { root, problems } = parseXml(svg);
    expect(problems).toEqual([]);
    const ticks = findAll(root!, (e) => e.name === 'g' && e.attrs.class === 'axes')[0]
      .children.filter((c) => c.name === 'text')
      .map((c) => c.text);
    expect(ticks).toEqual(expect.arrayContaining(['0.2', '0.5', '1', '2']));
    const withZero = svgLineChart({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      logScale: true,
      series: [
        {
          label: 's',
          color: '#000000',
          points: [
            { x: 1, y: 0 },
            { x: 2, y: 0.5 },
            { x: 3, y: 0.25 },
          ],
          best: { x: 1, y: 0 },
        },
      ],
    });
    expect(withZero).not.toMatch(/NaN|Infinity/);
    const parsed = parseXml(withZero);
    expect(parsed.problems).toEqual([]);
    expect(findAll(parsed.root!, (e) => e.attrs.class === 'line')[0].attrs.d.match(/[ML]/g)).toHaveLength(2);
    expect(findAll(parsed.root!, (e) => e.attrs.class === 'best')).toHaveLength(0);
  });

  it('draws an empty chart without values, and says so', () => {
    const svg = svgLineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ label: 'waiting', color: '#000000', points: [] }] });
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(parseXml(svg).problems).toEqual([]);
    expect(svg).toContain('No values recorded yet');
    expect(svg).toContain('waiting');
  });
});

describe('axes', () => {
  it('uses nice tick steps and covers the data', () => {
    const a = linearAxis(0.213, 0.887, { expand: true });
    expect(a.min).toBeLessThanOrEqual(0.213);
    expect(a.max).toBeGreaterThanOrEqual(0.887);
    expect(a.ticks.map((t) => t.text)).toEqual(['0.2', '0.4', '0.6', '0.8', '1.0']);
  });

  it('keeps epoch ticks whole and inside the data', () => {
    expect(linearAxis(1, 4, { integer: true }).ticks.map((t) => t.text)).toEqual(['1', '2', '3', '4']);
    expect(linearAxis(1, 50, { integer: true, count: 8 }).ticks.map((t) => t.text)).toEqual(['10', '20', '30', '40', '50']);
    expect(linearAxis(1, 1, { integer: true }).ticks.map((t) => t.text)).toEqual(['0', '1', '2']);
  });

  it('log axis spans the data with powers of ten when there are many decades', () => {
    const a = logAxis(0.0003, 20);
    expect(a.min).toBeLessThanOrEqual(0.0003);
    expect(a.max).toBeGreaterThanOrEqual(20);
    expect(a.ticks.map((t) => t.text)).toEqual(['0.0001', '0.001', '0.01', '0.1', '1', '10', '100']);
  });
});
