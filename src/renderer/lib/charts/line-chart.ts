/**
 * The one chart.js configuration every on-screen chart is drawn from (live run
 * charts, comparison charts, and the comparison's PNG export). Pure: chart.js
 * types only, so it runs in plain Node for the tests; chartjs.ts registers and draws.
 */
import type { ChartConfiguration, ChartDataset, Plugin, TooltipItem } from 'chart.js';
import type { LineSeries } from '../../../shared/reports/svg-chart';

export interface XY {
  x: number;
  y: number | null;
}

export interface LineChartSpec {
  series: LineSeries[];
  x: {
    title: string;
    min: number;
    max?: number;
    /** Ticks for an axis that is not in epochs (training time); the tooltip then says when, too. */
    format?: (x: number) => string;
  };
  y: {
    title?: string;
    max?: number;
    log?: boolean;
    tick: (y: number) => string;
    /** A value in the tooltip, usually with more digits than a tick. */
    value: (y: number | null | undefined) => string;
  };
  /** 'nearest': the line under the pointer; 'index': every line at the hovered epoch. */
  hover: 'nearest' | 'index';
  /** Each series' raw curve faint behind it, and "(raw …)" in the tooltip. */
  raw?: boolean;
  /** Added to the tooltip at a series' best epoch, e.g. "best (lowest)". */
  bestNote?: string;
  /** Inside the picture: on screen the page names the chart, in a file the picture must. */
  title?: string;
  legend: 'top' | 'bottom' | 'none';
  /** Fill behind the chart; absent = transparent. */
  background?: string;
}

type Role = 'line' | 'raw' | 'best';

/** '#0072B2' with an alpha, for a faint curve in its series' colour. */
const faint = (hex: string, alpha = 0.28) =>
  `${hex}${Math.round(alpha * 255)
    .toString(16)
    .padStart(2, '0')}`;

const backgroundPlugin = (color: string): Plugin<'line'> => ({
  id: 'layerlabBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = color;
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
});

// clip > 0: markers on the first and last epoch (the plot's edges) show whole.
const lineStyle = (color: string) => ({
  borderColor: color,
  backgroundColor: color,
  borderWidth: 2,
  pointHoverRadius: 4,
  tension: 0,
  clip: 6,
  order: 1,
});
const faintStyle = (color: string) => ({ ...lineStyle(faint(color)), borderWidth: 1.2, pointRadius: 0, pointHoverRadius: 0, order: 2 });
const bestStyle = (color: string) => ({
  borderColor: '#ffffff',
  backgroundColor: color,
  borderWidth: 1.5,
  pointRadius: 6,
  pointHoverRadius: 7,
  pointStyle: 'rectRot' as const,
  showLine: false,
  clip: 8,
  order: 0,
});

export function lineChartConfig(spec: LineChartSpec): ChartConfiguration<'line', XY[]> {
  const datasets: ChartDataset<'line', XY[]>[] = [];
  const roles: Role[] = [];
  const seriesOf: number[] = [];
  const add = (role: Role, i: number, dataset: ChartDataset<'line', XY[]>) => {
    datasets.push(dataset);
    roles.push(role);
    seriesOf.push(i);
  };
  const usable = (y: number | null | undefined): y is number => typeof y === 'number' && Number.isFinite(y) && (!spec.y.log || y > 0);
  spec.series.forEach((s, i) => {
    const data = s.points.map((p) => ({ x: p.x, y: usable(p.y) ? p.y : null }));
    // Dots help read a short run; on a long one they would hide the line.
    add('line', i, {
      label: s.label,
      data,
      ...(s.faint ? faintStyle(s.color) : { ...lineStyle(s.color), pointRadius: (c) => (c.dataset.data.length > 40 ? 0 : 2) }),
    });
    if (spec.raw)
      add('raw', i, { label: `${s.label} (raw)`, data: s.points.map((p) => ({ x: p.x, y: usable(p.raw) ? p.raw : null })), ...faintStyle(s.color) });
    if (s.best && usable(s.best.y)) add('best', i, { label: `${s.label} (best)`, data: [{ x: s.best.x, y: s.best.y }], ...bestStyle(s.color) });
  });
  // The legend and the tooltip name the series; a raw curve and a marker belong to theirs.
  const named = (datasetIndex: number | undefined) => roles[datasetIndex ?? -1] === 'line';

  const { x, y } = spec;
  const max = x.max ?? Infinity;
  return {
    type: 'line',
    data: { datasets },
    plugins: spec.background ? [backgroundPlugin(spec.background)] : [],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: { mode: spec.hover, intersect: false },
      scales: {
        x: {
          type: 'linear',
          min: x.min,
          max: x.max,
          title: { display: true, text: x.title },
          ticks: x.format ? { callback: (v) => x.format!(Number(v)), maxTicksLimit: 8 } : { stepSize: max <= 20 ? 1 : undefined, precision: 0 },
        },
        y: {
          type: y.log ? 'logarithmic' : 'linear',
          max: y.max,
          title: { display: y.title !== undefined, text: y.title },
          ticks: { callback: (v) => y.tick(Number(v)), maxTicksLimit: 8 },
        },
      },
      plugins: {
        title: { display: spec.title !== undefined, text: spec.title, font: { size: 14, weight: 'bold' } },
        legend:
          spec.legend === 'top'
            ? { position: 'top', align: 'end', labels: { boxWidth: 12, boxHeight: 2, filter: (item) => named(item.datasetIndex) } }
            : {
                display: spec.legend === 'bottom',
                position: 'bottom',
                labels: { boxWidth: 18, boxHeight: 3, filter: (item) => named(item.datasetIndex) },
              },
        tooltip: {
          filter: (item: TooltipItem<'line'>) => named(item.datasetIndex),
          callbacks: {
            // On a time axis x is seconds, so the epoch is the point's place in its run.
            title: ([item]) => (!item ? '' : `Epoch ${x.format ? item.dataIndex + 1 : Number((item.parsed.x ?? 0).toFixed(2))}`),
            label: (item) => {
              const s = spec.series[seriesOf[item.datasetIndex]];
              const p = s?.points[item.dataIndex];
              if (!s || !p) return '';
              const raw = spec.raw ? ` (raw ${y.value(p.raw)})` : '';
              const when = x.format ? ` at ${x.format(p.x)}` : '';
              const best = spec.bestNote && s.best?.x === p.x ? ` · ${spec.bestNote}` : '';
              return `${s.label}: ${y.value(p.y)}${raw}${when}${best}`;
            },
          },
        },
      },
    },
  };
}
