/**
 * One comparison chart as chart.js draws it, on screen and offscreen for PNG
 * export (the same config, so the file is the picture), and as the shared SVG.
 */
import type { ChartConfiguration, ChartDataset, Plugin, TooltipItem } from 'chart.js';
import { LogarithmicScale, Title } from 'chart.js';
import { higherIsBetter, METRIC_LABELS, type ChartSeries, type Metric } from '../../../shared/reports/compare';
import { svgLineChart } from '../../../shared/reports/svg-chart';
import { Chart } from './chartjs';
import { formatAccuracy, formatDuration } from '../format';

Chart.register(LogarithmicScale, Title);

export interface CompareChartInput {
  metric: Metric;
  /** The visible runs' series (hidden ones left out), colours already fixed by position. */
  series: ChartSeries[];
  xAxis: 'epoch' | 'time';
  logScale: boolean;
  smoothing: number;
}

export interface ChartExtras {
  /** Draw the title and a legend inside the picture (exports); on screen the page has its own. */
  legend?: boolean;
  /** Fill behind the chart; absent = transparent. */
  background?: string;
}

export type Role = 'main' | 'raw' | 'best';
interface XY {
  x: number;
  y: number | null;
}

const isAccuracy = (m: Metric) => m === 'accuracy' || m === 'val_accuracy';

export function formatValue(metric: Metric, y: number | null | undefined, digits?: number): string {
  if (typeof y !== 'number' || !Number.isFinite(y)) return '—';
  return isAccuracy(metric) ? formatAccuracy(y, digits ?? 2) : Number(y.toFixed(digits ?? 4)).toString();
}

export const xTitle = (xAxis: 'epoch' | 'time') => (xAxis === 'time' ? 'Training time' : 'Epoch');

/** Time-axis ticks: "4.5 s" for short runs, "12:30" (min:s) from two minutes on. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  return s < 120 ? `${Number(s.toFixed(s < 10 ? 1 : 0))} s` : formatDuration(s);
}

/** '#0072B2' with an alpha: the raw curve behind the smoothed one. */
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

/** The datasets in draw order, with what each one is (a run's line, its raw curve, its best-epoch marker). */
export function datasetsOf(input: CompareChartInput): { datasets: ChartDataset<'line', XY[]>[]; roles: Role[]; runIndex: number[] } {
  const datasets: ChartDataset<'line', XY[]>[] = [];
  const roles: Role[] = [];
  const runIndex: number[] = [];
  const showRaw = input.smoothing > 0;
  const usable = (y: number | null) => y !== null && Number.isFinite(y) && (!input.logScale || y > 0);
  input.series.forEach((s, i) => {
    const points = s.points.map((p) => ({ x: p.x, y: usable(p.y) ? p.y : null }));
    datasets.push({
      label: s.label,
      data: points,
      borderColor: s.color,
      backgroundColor: s.color,
      borderWidth: 2,
      pointRadius: points.length > 40 ? 0 : 2,
      pointHoverRadius: 4,
      tension: 0,
      clip: 6,
      order: 1,
    });
    roles.push('main');
    runIndex.push(i);
    if (showRaw) {
      datasets.push({
        label: `${s.label} (raw)`,
        data: s.points.map((p) => ({ x: p.x, y: usable(p.raw) ? p.raw : null })),
        borderColor: faint(s.color),
        backgroundColor: faint(s.color),
        borderWidth: 1.2,
        pointRadius: 0,
        pointHoverRadius: 0,
        tension: 0,
        clip: 6,
        order: 2,
      });
      roles.push('raw');
      runIndex.push(i);
    }
    if (s.best && usable(s.best.y)) {
      datasets.push({
        label: `${s.label} (best)`,
        data: [{ x: s.best.x, y: s.best.y }],
        borderColor: '#ffffff',
        backgroundColor: s.color,
        borderWidth: 1.5,
        pointRadius: 6,
        pointHoverRadius: 7,
        pointStyle: 'rectRot',
        showLine: false,
        clip: 8,
        order: 0,
      });
      roles.push('best');
      runIndex.push(i);
    }
  });
  return { datasets, roles, runIndex };
}

export function chartConfig(input: CompareChartInput, extras: ChartExtras = {}): ChartConfiguration<'line', XY[]> {
  const { datasets, roles, runIndex } = datasetsOf(input);
  const metric = input.metric;
  const series = input.series;
  const epochs = Math.max(1, ...series.map((s) => s.points.length));
  const isTime = input.xAxis === 'time';
  const plugins: Plugin<'line'>[] = extras.background ? [backgroundPlugin(extras.background)] : [];

  return {
    type: 'line',
    data: { datasets },
    plugins,
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      // Every run's value at the hovered epoch, not just the nearest line's.
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: {
          type: 'linear',
          min: isTime ? 0 : 1,
          max: isTime ? undefined : Math.max(2, epochs),
          title: { display: true, text: xTitle(input.xAxis) },
          ticks: isTime ? { callback: (v) => formatSeconds(Number(v)), maxTicksLimit: 8 } : { stepSize: epochs <= 20 ? 1 : undefined, precision: 0 },
        },
        y: {
          type: input.logScale ? 'logarithmic' : 'linear',
          title: { display: true, text: METRIC_LABELS[metric] },
          ticks: { callback: (v) => formatValue(metric, Number(v), isAccuracy(metric) ? 1 : 3), maxTicksLimit: 8 },
        },
      },
      plugins: {
        title: { display: extras.legend === true, text: METRIC_LABELS[metric], font: { size: 14, weight: 'bold' } },
        legend: {
          display: extras.legend === true,
          position: 'bottom',
          labels: { boxWidth: 18, boxHeight: 3, filter: (item) => roles[item.datasetIndex ?? -1] === 'main' },
        },
        tooltip: {
          filter: (item: TooltipItem<'line'>) => roles[item.datasetIndex] === 'main',
          callbacks: {
            title: (items) => (items.length ? `Epoch ${items[0].dataIndex + 1}` : ''),
            label: (item) => {
              const s = series[runIndex[item.datasetIndex]];
              const p = s?.points[item.dataIndex];
              if (!s || !p) return '';
              const value = formatValue(metric, p.y);
              const raw = input.smoothing > 0 ? ` (raw ${formatValue(metric, p.raw)})` : '';
              const when = isTime ? ` at ${formatSeconds(p.x)}` : '';
              const best = s.best && s.best.x === p.x ? ` · best (${higherIsBetter(metric) ? 'highest' : 'lowest'})` : '';
              return `${s.label}: ${value}${raw}${when}${best}`;
            },
          },
        },
      },
    },
  };
}

/**
 * The chart as a PNG of width×height CSS pixels at `scale` (so width*scale ×
 * height*scale image pixels), drawn offscreen by chart.js with the same config.
 */
export async function chartPng(
  input: CompareChartInput,
  o: { width: number; height: number; scale: number; background: 'white' | 'transparent' },
): Promise<Blob> {
  const holder = document.createElement('div');
  holder.setAttribute('aria-hidden', 'true');
  // In the page (chart.js draws only on an attached canvas) but far off screen.
  holder.style.cssText = `position:fixed;left:-${o.width + 1000}px;top:0;width:${o.width}px;height:${o.height}px;pointer-events:none;`;
  const canvas = document.createElement('canvas');
  canvas.width = o.width;
  canvas.height = o.height;
  holder.append(canvas);
  document.body.append(holder);
  const config = chartConfig(input, { legend: true, background: o.background === 'white' ? '#ffffff' : undefined });
  config.options = { ...config.options, responsive: false, devicePixelRatio: o.scale };
  const chart = new Chart(canvas, config);
  try {
    chart.update('none');
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the browser could not encode the PNG'))), 'image/png'),
    );
  } finally {
    chart.destroy();
    holder.remove();
  }
}

/** The same chart as a standalone SVG document (shared drawing code: the report's charts look the same). */
export function chartSvg(input: CompareChartInput, o: { width?: number; height?: number; background?: 'white' | 'transparent' } = {}): string {
  return svgLineChart({
    title: METRIC_LABELS[input.metric],
    xLabel: input.xAxis === 'time' ? 'Training time (s)' : 'Epoch',
    yLabel: METRIC_LABELS[input.metric],
    series: input.series.map((s) => ({
      label: s.label,
      color: s.color,
      points: s.points.map((p) => ({ x: p.x, y: p.y })),
      raw: input.smoothing > 0 ? s.points.map((p) => ({ x: p.x, y: p.raw })) : undefined,
    })),
    markers: input.series.flatMap((s) =>
      s.best
        ? [
            {
              x: s.best.x,
              y: s.best.y,
              color: s.color,
              label: `${s.label}: best at ${input.xAxis === 'time' ? `${Math.round(s.best.x)} s` : `epoch ${s.best.x}`}, ${formatValue(input.metric, s.best.y)}`,
            },
          ]
        : [],
    ),
    width: o.width,
    height: o.height,
    logScale: input.logScale,
    background: o.background ?? 'white',
  });
}
