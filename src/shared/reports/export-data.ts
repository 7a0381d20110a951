/**
 * The data behind the comparison charts, for every selected run at once: a tidy
 * CSV (one row per run × epoch × metric) and the same as JSON with each run's
 * label and settings. Pure: the renderer downloads it, the CLI writes it.
 */
import { architectureSummary } from '../model/architecture';
import { cumulativeSeconds, METRIC_LABELS, METRICS, metricValue, runColor, runLabels, smooth, type Metric } from './compare';
import { summarizeModel } from '../model/model-math';
import type { RunDetail } from '../contract/runs';

export interface ExportDataOptions {
  /** TensorBoard smoothing weight in [0, 1); 0 = raw (the smoothed column equals the value). */
  smoothing?: number;
}

export const CSV_HEADER = ['run_id', 'run', 'epoch', 'seconds', 'metric', 'value', 'smoothed'] as const;

/**
 * One CSV field: quoted when it holds a comma, quote or line break (RFC 4180).
 * Text that a spreadsheet would run as a formula (=, +, -, @ first) gets a
 * leading apostrophe, so opening an imported run's name never executes anything.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let s = value;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Per run: its metric series, raw and smoothed, with cumulative seconds per epoch. */
function seriesOf(run: RunDetail, smoothing: number) {
  const seconds = cumulativeSeconds(run.epochs);
  const metrics = Object.fromEntries(
    METRICS.map((m) => {
      const raw = run.epochs.map((e) => metricValue(e, m));
      return [m, { raw, smoothed: smooth(raw, smoothing) }];
    }),
  ) as Record<Metric, { raw: (number | null)[]; smoothed: (number | null)[] }>;
  return { seconds, metrics };
}

/**
 * `run_id,run,epoch,seconds,metric,value,smoothed`: run by run, epoch by epoch,
 * the four metrics each; `run` is the legend label, `seconds` the training time
 * up to the end of that epoch, an empty cell a value that was not recorded.
 */
export function tidyCsv(runs: RunDetail[], o: ExportDataOptions = {}): string {
  const labels = runLabels(runs);
  const lines = [CSV_HEADER.join(',')];
  runs.forEach((run, i) => {
    const { seconds, metrics } = seriesOf(run, o.smoothing ?? 0);
    run.epochs.forEach((e, j) => {
      for (const m of METRICS) {
        lines.push(
          [run.id, labels[i], e.epoch, seconds[j], m, metrics[m].raw[j], metrics[m].smoothed[j]]
            .map((v) => csvField(v as string | number | null))
            .join(','),
        );
      }
    });
  });
  return `${lines.join('\n')}\n`;
}

export interface ChartDataRun {
  id: number;
  name: string;
  /** The legend label: what differs from the other runs. */
  label: string;
  color: string;
  status: RunDetail['status'];
  presetId: string | null;
  architecture: string;
  parameters: number;
  settings: RunDetail['config'];
  backend: string | null;
  testAccuracy: number | null;
  testLoss: number | null;
  epochs: {
    epoch: number;
    /** Training time up to the end of this epoch. */
    seconds: number;
    values: Record<Metric, { value: number | null; smoothed: number | null }>;
  }[];
}

export interface ChartData {
  format: 'layerlab-chart-data';
  version: 1;
  smoothing: number;
  metrics: { key: Metric; label: string }[];
  runs: ChartDataRun[];
}

/** The same data as tidyCsv, as objects, with each run's label and settings. */
export function chartDataJson(runs: RunDetail[], o: ExportDataOptions = {}): ChartData {
  const smoothing = o.smoothing ?? 0;
  const labels = runLabels(runs);
  return {
    format: 'layerlab-chart-data',
    version: 1,
    smoothing,
    metrics: METRICS.map((key) => ({ key, label: METRIC_LABELS[key] })),
    runs: runs.map((run, i) => {
      const { seconds, metrics } = seriesOf(run, smoothing);
      return {
        id: run.id,
        name: run.name,
        label: labels[i],
        color: runColor(i),
        status: run.status,
        presetId: run.presetId,
        architecture: architectureSummary(run.model),
        parameters: summarizeModel(run.model).totalParams,
        settings: { ...run.config },
        backend: run.backend,
        testAccuracy: run.testAccuracy,
        testLoss: run.testLoss,
        epochs: run.epochs.map((e, j) => ({
          epoch: e.epoch,
          seconds: seconds[j],
          values: Object.fromEntries(
            METRICS.map((m) => [m, { value: metrics[m].raw[j], smoothed: metrics[m].smoothed[j] }]),
          ) as ChartDataRun['epochs'][number]['values'],
        })),
      };
    }),
  };
}
