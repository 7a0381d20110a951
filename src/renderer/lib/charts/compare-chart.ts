/**
 * One comparison chart: the same series drawn by chart.js (on screen, and
 * offscreen for PNG export, from one spec) and as the shared SVG.
 */
import { higherIsBetter, METRIC_LABELS, type ChartSeries, type Metric } from '../../../shared/reports/compare';
import { svgLineChart, type BandPoint } from '../../../shared/reports/svg-chart';
import { formatAccuracy, formatDuration } from '../format';
import type { LineChartSpec } from './line-chart';
import { chanceGuide } from './run-chart';

export interface CompareChartInput {
  metric: Metric;
  /**
   * The visible runs' series (hidden ones left out), colours already fixed by position.
   * A group's mean curve may carry its ± std band, which the SVG draws (on screen and
   * in the PNG, bandSpec draws the bands).
   */
  series: (ChartSeries & { band?: BandPoint[] })[];
  xAxis: 'epoch' | 'time';
  logScale: boolean;
  smoothing: number;
  /** The classes the runs' networks choose among, for the chance line (10 when absent). */
  classes?: number;
}

const isAccuracy = (m: Metric) => m === 'accuracy' || m === 'val_accuracy';

export function formatValue(metric: Metric, y: number | null | undefined, digits?: number): string {
  if (typeof y !== 'number' || !Number.isFinite(y)) return '—';
  return isAccuracy(metric) ? formatAccuracy(y, digits ?? 2) : Number(y.toFixed(digits ?? 4)).toString();
}

/** Time-axis ticks: "4.5 s" for short runs, "12:30" (min:s) from two minutes on. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  return s < 120 ? `${Number(s.toFixed(s < 10 ? 1 : 0))} s` : formatDuration(s);
}

/** On screen the page names the chart; a PNG carries its title and legend, on white unless asked otherwise. */
export function compareSpec(input: CompareChartInput, png?: { background: 'white' | 'transparent' }): LineChartSpec {
  const { metric, series } = input;
  const title = METRIC_LABELS[metric];
  const epochs = Math.max(1, ...series.map((s) => s.points.length));
  return {
    series,
    x: input.xAxis === 'time' ? { title: 'Training time', min: 0, format: formatSeconds } : { title: 'Epoch', min: 1, max: Math.max(2, epochs) },
    y: { title, log: input.logScale, tick: (v) => formatValue(metric, v, isAccuracy(metric) ? 1 : 3), value: (v) => formatValue(metric, v) },
    hover: 'index',
    raw: input.smoothing > 0,
    bestNote: `best (${higherIsBetter(metric) ? 'highest' : 'lowest'})`,
    // Chance level where the axis already reaches it; otherwise a note at the edge says where it is, so good runs aren't squashed flat.
    guides: [chanceGuide(isAccuracy(metric) ? 'accuracy' : 'loss', false, input.classes)],
    ...(png ? { title, legend: 'bottom', background: png.background === 'white' ? '#ffffff' : undefined } : { legend: 'none' }),
  };
}

/** The same chart as a standalone SVG document (shared drawing code: the report's charts look the same). */
export function chartSvg(input: CompareChartInput, o: { width?: number; height?: number; background?: 'white' | 'transparent' } = {}): string {
  const isTime = input.xAxis === 'time';
  return svgLineChart({
    title: METRIC_LABELS[input.metric],
    xLabel: isTime ? 'Training time (s)' : 'Epoch',
    yLabel: METRIC_LABELS[input.metric],
    // Without smoothing raw equals the curve, and the SVG draws no second one.
    series: input.series,
    bestLabel: (s, best) => `${s.label}: best at ${isTime ? `${Math.round(best.x)} s` : `epoch ${best.x}`}, ${formatValue(input.metric, best.y)}`,
    width: o.width,
    height: o.height,
    logScale: input.logScale,
    background: o.background ?? 'white',
  });
}
