/**
 * Repeats and sweeps in a comparison chart: each group as its mean curve over its
 * runs with a translucent ± one standard deviation band in its colour, and its runs
 * faintly behind when asked. Builds on the comparison chart's spec (compare-chart.ts),
 * so runs and groups share one chart, one axis and one tooltip.
 */
import type { RunDetail } from '../../../shared/contract/runs';
import { cumulativeSeconds, higherIsBetter, metricValue, smooth, type ChartSeries, type Metric } from '../../../shared/reports/compare';
import { groupCurves, type GroupCurvePoint } from '../../../shared/reports/groups';
import { compareSpec, formatValue, type CompareChartInput } from './compare-chart';
import type { ChartLine, LineChartSpec, SpreadBand } from './line-chart';

export interface GroupChartSeries {
  groupId: number;
  /** The mean curve, named by the group. */
  mean: ChartSeries & Pick<ChartLine, 'note'>;
  spread: SpreadBand;
  /** The group's runs, faint (drawn only with "Show runs"). */
  runs: ChartLine[];
  /** Per epoch: mean, std and n, as plotted (raw, before smoothing). */
  curve: GroupCurvePoint[];
}

export interface GroupChartOptions {
  xAxis: 'epoch' | 'time';
  smoothing: number;
}

/** Mean seconds of training up to the end of each epoch, over the runs that reached it. */
function meanSeconds(runs: RunDetail[]): Map<number, number> {
  const sums = new Map<number, { total: number; n: number }>();
  for (const r of runs) {
    const secs = cumulativeSeconds(r.epochs);
    r.epochs.forEach((e, i) => {
      const s = sums.get(e.epoch) ?? { total: 0, n: 0 };
      s.total += secs[i];
      s.n += 1;
      sums.set(e.epoch, s);
    });
  }
  return new Map([...sums].map(([epoch, s]) => [epoch, s.total / s.n]));
}

/** One group's mean, band and runs for one metric. */
export function groupChartSeries(
  group: { id: number; name: string },
  runs: RunDetail[],
  metric: Metric,
  color: string,
  o: GroupChartOptions,
): GroupChartSeries {
  const curve = groupCurves(runs, metric);
  const seconds = o.xAxis === 'time' ? meanSeconds(runs) : null;
  const xs = curve.map((p) => (seconds ? (seconds.get(p.epoch) ?? p.epoch) : p.epoch));
  const raw = curve.map((p) => p.mean);
  const mean = smooth(raw, o.smoothing);
  const upper = smooth(
    curve.map((p) => p.mean + p.std),
    o.smoothing,
  );
  const lower = smooth(
    curve.map((p) => p.mean - p.std),
    o.smoothing,
  );
  let best = -1;
  raw.forEach((v, i) => {
    if (best < 0 || (higherIsBetter(metric) ? v > raw[best] : v < raw[best])) best = i;
  });
  const label = group.name;
  return {
    groupId: group.id,
    curve,
    mean: {
      runId: -group.id,
      label,
      color,
      points: xs.map((x, i) => ({ x, y: mean[i], raw: raw[i] })),
      best: best < 0 ? null : { x: xs[best], y: raw[best] },
      note: (i) => {
        const p = curve[i];
        return p ? ` ± ${formatValue(metric, p.std)} (mean of ${p.n})` : '';
      },
    },
    spread: {
      label: `${label} (mean ± std)`,
      color,
      points: xs.map((x, i) => ({ x, upper: upper[i], lower: lower[i] })),
    },
    runs: runs.map((r) => {
      const rxs = o.xAxis === 'time' ? cumulativeSeconds(r.epochs) : r.epochs.map((e) => e.epoch);
      const values = smooth(
        r.epochs.map((e) => metricValue(e, metric)),
        o.smoothing,
      );
      return { label: `${label} · #${r.id} ${r.name}`, color, quiet: true, points: rxs.map((x, i) => ({ x, y: values[i], raw: values[i] })) };
    }),
  };
}

/** The comparison chart with the groups' bands and mean curves beside the runs' curves (and the groups' runs, faint, when `showRuns`). */
export function bandSpec(
  input: CompareChartInput,
  groups: GroupChartSeries[],
  showRuns: boolean,
  png?: { background: 'white' | 'transparent' },
): LineChartSpec {
  const spec = compareSpec({ ...input, series: [...input.series, ...groups.map((g) => g.mean)] }, png);
  return {
    ...spec,
    series: [...(showRuns ? groups.flatMap((g) => g.runs) : []), ...spec.series],
    spreads: groups.map((g) => g.spread),
  };
}
