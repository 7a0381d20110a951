/**
 * The data behind the comparison charts, for every selected run (and repeat or sweep)
 * at once: a tidy CSV (one row per run × epoch × metric, and per group × epoch × metric
 * its mean, std and n), the same as JSON with each run's label, settings, epoch-0
 * baseline and layer signals, and the layer signals as a CSV of their own. Pure: the
 * renderer downloads it, the CLI writes it.
 */
import { architectureSummary } from '../model/architecture';
import { cumulativeSeconds, METRIC_LABELS, METRICS, metricValue, runColor, runLabels, smooth, type Metric } from './compare';
import { groupCurves, meanStd, type GroupCurvePoint } from './groups';
import { summarizeModel } from '../model/model-math';
import type { EpochMetrics, LayerStat, RunDetail, RunGroup } from '../contract/runs';

/** A repeat or sweep in a comparison, with the details of its runs (drawn as its mean ± std). */
export interface ComparedGroup {
  group: Pick<RunGroup, 'id' | 'name' | 'kind'>;
  runs: RunDetail[];
}

export interface ExportDataOptions {
  /** TensorBoard smoothing weight in [0, 1); 0 = raw (the smoothed column equals the value). */
  smoothing?: number;
  /**
   * tidyCsv only: also an epoch-0 row per metric for runs that recorded their
   * baseline (seconds 0, smoothed = value; it takes no part in the smoothing, so the
   * other rows are the same with or without it). Off by default: epochs are 1..n.
   */
  baseline?: boolean;
  /**
   * Repeats and sweeps compared beside the runs, after them in colour order (their
   * colours follow the runs'): each one's mean, std and n per epoch and metric.
   */
  groups?: ComparedGroup[];
}

export const CSV_HEADER = ['run_id', 'run', 'epoch', 'seconds', 'metric', 'value', 'smoothed'] as const;
/** With groups the CSV has two more columns; a run's row leaves them empty. */
export const GROUP_CSV_HEADER = [...CSV_HEADER, 'std', 'n'] as const;

/** A group's id in the run_id column: "group:4", never taken for a run's number. */
export const groupRowId = (id: number) => `group:${id}`;

/** A group's curves for every metric, over the epochs any of its runs reached, with the mean seconds of training up to each. */
function groupSeriesOf(runs: RunDetail[], smoothing: number) {
  const curves = Object.fromEntries(METRICS.map((m) => [m, new Map(groupCurves(runs, m).map((p) => [p.epoch, p]))])) as Record<
    Metric,
    Map<number, GroupCurvePoint>
  >;
  const reached = new Map<number, number[]>();
  for (const r of runs) {
    const secs = cumulativeSeconds(r.epochs);
    r.epochs.forEach((e, i) => reached.set(e.epoch, [...(reached.get(e.epoch) ?? []), secs[i]]));
  }
  const epochs = [...reached.keys()].sort((a, b) => a - b);
  const seconds = epochs.map((e) => meanStd(reached.get(e)!).mean);
  const metrics = Object.fromEntries(
    METRICS.map((m) => {
      const points = epochs.map((e) => curves[m].get(e) ?? null);
      return [
        m,
        {
          points,
          smoothed: smooth(
            points.map((p) => p?.mean ?? null),
            smoothing,
          ),
        },
      ];
    }),
  ) as Record<Metric, { points: (GroupCurvePoint | null)[]; smoothed: (number | null)[] }>;
  return { epochs, seconds, metrics };
}

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
 * the four metrics each; `run` is the legend label (names first: runLabels), `seconds` the training time
 * up to the end of that epoch, an empty cell a value that was not recorded.
 *
 * With groups (`o.groups`, non-empty) two columns follow, `std,n`, and after the runs
 * come the groups' rows, group by group, epoch by epoch, the four metrics each:
 * `run_id` is "group:<id>", `run` the group's name, `seconds` the mean training time
 * up to that epoch over its runs that reached it, `value` the mean over those runs
 * (groupCurves), `smoothed` that mean smoothed, `std` the sample standard deviation
 * and `n` how many runs have the value (n 0, value empty: none recorded it). A run's
 * row keeps its columns as without groups and leaves `std` and `n` empty.
 */
export function tidyCsv(runs: RunDetail[], o: ExportDataOptions = {}): string {
  const labels = runLabels(runs);
  const groups = o.groups ?? [];
  const extra = groups.length ? ',,' : '';
  const lines = [(groups.length ? GROUP_CSV_HEADER : CSV_HEADER).join(',')];
  runs.forEach((run, i) => {
    const { seconds, metrics } = seriesOf(run, o.smoothing ?? 0);
    if (o.baseline && run.baseline) {
      for (const m of METRICS) {
        const v = metricValue(run.baseline, m);
        lines.push([run.id, labels[i], 0, 0, m, v, v].map((x) => csvField(x as string | number | null)).join(',') + extra);
      }
    }
    run.epochs.forEach((e, j) => {
      for (const m of METRICS) {
        lines.push(
          [run.id, labels[i], e.epoch, seconds[j], m, metrics[m].raw[j], metrics[m].smoothed[j]]
            .map((v) => csvField(v as string | number | null))
            .join(',') + extra,
        );
      }
    });
  });
  for (const { group, runs: members } of groups) {
    const { epochs, seconds, metrics } = groupSeriesOf(members, o.smoothing ?? 0);
    epochs.forEach((epoch, j) => {
      for (const m of METRICS) {
        const p = metrics[m].points[j];
        lines.push(
          [groupRowId(group.id), group.name, epoch, seconds[j], m, p?.mean ?? null, metrics[m].smoothed[j], p?.std ?? null, p?.n ?? 0]
            .map((v) => csvField(v))
            .join(','),
        );
      }
    });
  }
  return `${lines.join('\n')}\n`;
}

export const LAYER_STATS_CSV_HEADER = [
  'run_id',
  'run',
  'epoch',
  'batch',
  'layer',
  'name',
  'grad_norm',
  'bias_grad_norm',
  'weight_norm',
  'update_ratio',
  'act_mean',
  'act_std',
  'dead_fraction',
  'saturated_fraction',
  'nonfinite',
] as const;

/** A layer's signals as files and `--json` write them: snake_case, null where a figure does not apply. */
export interface LayerStatJson {
  epoch: number;
  /** Null at the end of an epoch (and at epoch 0); the batch of a finer probe otherwise. */
  batch: number | null;
  /** 0-based index of the layer in the model. */
  layer: number;
  name: string;
  grad_norm: number | null;
  bias_grad_norm: number | null;
  weight_norm: number | null;
  update_ratio: number | null;
  act_mean: number | null;
  act_std: number | null;
  dead_fraction: number | null;
  saturated_fraction: number | null;
  nonfinite: number;
}

/** A non-finite figure (an exploding gradient) becomes null, as JSON would write it anyway; `nonfinite` counts them. */
const finite = (x: number | null) => (x !== null && Number.isFinite(x) ? x : null);

export function layerStatsJson(stats: LayerStat[]): LayerStatJson[] {
  return stats.map((s) => ({
    epoch: s.epoch,
    batch: s.batch,
    layer: s.layer,
    name: s.name,
    grad_norm: finite(s.gradNorm),
    bias_grad_norm: finite(s.biasGradNorm),
    weight_norm: finite(s.weightNorm),
    update_ratio: finite(s.updateRatio),
    act_mean: finite(s.actMean),
    act_std: finite(s.actStd),
    dead_fraction: finite(s.deadFraction),
    saturated_fraction: finite(s.saturatedFraction),
    nonfinite: s.nonfinite,
  }));
}

/** Epoch 0 in the snake_case words of the epochs in `--json`. */
export interface BaselineJson {
  epoch: 0;
  loss: number;
  accuracy: number;
  val_loss: number | null;
  val_accuracy: number | null;
  seconds: number;
}

export function baselineJson(b: EpochMetrics | null): BaselineJson | null {
  if (!b) return null;
  return { epoch: 0, loss: b.loss, accuracy: b.accuracy, val_loss: b.valLoss, val_accuracy: b.valAccuracy, seconds: b.seconds };
}

/**
 * `run_id,run,epoch,batch,layer,name,grad_norm,…,nonfinite`: every layer signal of
 * every run, in the order they were taken (epoch 0 first); `run` is the legend
 * label, an empty cell a figure that does not apply (or was not finite).
 */
export function layerStatsCsv(runs: RunDetail[]): string {
  const labels = runLabels(runs);
  const lines = [LAYER_STATS_CSV_HEADER.join(',')];
  runs.forEach((run, i) => {
    for (const s of layerStatsJson(run.layerStats)) {
      lines.push(
        [
          run.id,
          labels[i],
          s.epoch,
          s.batch,
          s.layer,
          s.name,
          s.grad_norm,
          s.bias_grad_norm,
          s.weight_norm,
          s.update_ratio,
          s.act_mean,
          s.act_std,
          s.dead_fraction,
          s.saturated_fraction,
          s.nonfinite,
        ]
          .map(csvField)
          .join(','),
      );
    }
  });
  return `${lines.join('\n')}\n`;
}

export interface ChartDataRun {
  id: number;
  name: string;
  /** The user gave the run its name: the label starts with it. */
  named: boolean;
  /** The legend label: the run's name when the user named it, beside what differs from the other runs ("Baseline — lr=0.01"). */
  label: string;
  /** The repeat or sweep the run belongs to (its values of the swept settings, its repeat), null when trained on its own. */
  group: { groupId: number; sweepValues: Record<string, string | number> | null; repeatIndex: number | null } | null;
  color: string;
  status: RunDetail['status'];
  presetId: string | null;
  architecture: string;
  parameters: number;
  settings: RunDetail['config'];
  /** What the run trained on: id, name, content hash, image shape and class names (null for runs recorded before training started). */
  dataset: RunDetail['dataset'];
  backend: string | null;
  testAccuracy: number | null;
  testLoss: number | null;
  /** The epoch of the lowest validation loss, and of the highest validation accuracy. */
  bestEpoch: number | null;
  bestAccuracyEpoch: number | null;
  /** Epoch 0, before the first step (not among `epochs`, which are 1..n); null when not recorded. */
  baseline: Record<Metric, number | null> | null;
  layer_stats: LayerStatJson[];
  epochs: {
    epoch: number;
    /** Training time up to the end of this epoch. */
    seconds: number;
    values: Record<Metric, { value: number | null; smoothed: number | null }>;
  }[];
}

/** A repeat or sweep: per epoch and metric, the mean over its runs that reached it, its smoothed curve, sample std and n. */
export interface ChartDataGroup {
  id: number;
  name: string;
  kind: RunGroup['kind'];
  /** Its runs, in the group's order. */
  runIds: number[];
  /** After the runs' colours, as the comparison draws it. */
  color: string;
  epochs: {
    epoch: number;
    /** Mean training time up to the end of this epoch over the runs that reached it. */
    seconds: number | null;
    values: Record<Metric, { mean: number | null; smoothed: number | null; std: number | null; n: number }>;
  }[];
}

export interface ChartData {
  format: 'layerlab-chart-data';
  version: 1;
  smoothing: number;
  metrics: { key: Metric; label: string }[];
  runs: ChartDataRun[];
  /** Repeats and sweeps compared beside the runs (none: []). */
  groups: ChartDataGroup[];
}

/** The same data as tidyCsv, as objects, with each run's label and settings, and each group's mean ± std. */
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
        named: run.named,
        label: labels[i],
        group: run.groupId === null ? null : { groupId: run.groupId, sweepValues: run.sweepValues, repeatIndex: run.repeatIndex },
        color: runColor(i),
        status: run.status,
        presetId: run.presetId,
        architecture: architectureSummary(run.model),
        parameters: summarizeModel(run.model).totalParams,
        settings: { ...run.config },
        dataset: run.dataset,
        backend: run.backend,
        testAccuracy: run.testAccuracy,
        testLoss: run.testLoss,
        bestEpoch: run.bestEpoch,
        bestAccuracyEpoch: run.bestAccuracyEpoch,
        baseline: run.baseline ? (Object.fromEntries(METRICS.map((m) => [m, metricValue(run.baseline!, m)])) as Record<Metric, number | null>) : null,
        layer_stats: layerStatsJson(run.layerStats),
        epochs: run.epochs.map((e, j) => ({
          epoch: e.epoch,
          seconds: seconds[j],
          values: Object.fromEntries(
            METRICS.map((m) => [m, { value: metrics[m].raw[j], smoothed: metrics[m].smoothed[j] }]),
          ) as ChartDataRun['epochs'][number]['values'],
        })),
      };
    }),
    groups: (o.groups ?? []).map(({ group, runs: members }, i) => {
      const { epochs, seconds, metrics } = groupSeriesOf(members, smoothing);
      return {
        id: group.id,
        name: group.name,
        kind: group.kind,
        runIds: members.map((r) => r.id),
        color: runColor(runs.length + i),
        epochs: epochs.map((epoch, j) => ({
          epoch,
          seconds: seconds[j],
          values: Object.fromEntries(
            METRICS.map((m) => {
              const p = metrics[m].points[j];
              return [m, { mean: p?.mean ?? null, smoothed: metrics[m].smoothed[j], std: p?.std ?? null, n: p?.n ?? 0 }];
            }),
          ) as ChartDataGroup['epochs'][number]['values'],
        })),
      };
    }),
  };
}
