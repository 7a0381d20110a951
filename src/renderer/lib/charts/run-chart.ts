/**
 * A run's charts as the live views (Train view, run detail) draw them: loss and
 * accuracy (from epoch 0, chance level, best epoch), and per layer the gradient
 * norm and activation health; each can shade a finding's evidence.
 */
import type { BatchLoss, EpochMetrics, LayerStat } from '../../../shared/contract/runs';
import type { Evidence } from '../../../shared/diagnostics/findings';
import type { LinePoint, LineSeries } from '../../../shared/reports/svg-chart';
import { formatAccuracy, formatNorm } from '../format';
import type { Band, ChartLine, Guide, LineChartSpec } from './line-chart';

const TRAINING = '#1d4ed8';
const VALIDATION = '#c2410c';

/** The chance-level guide of a loss or accuracy chart among `classes` classes (guessing scores 1/N and cross-entropy ln N); `fit` stretches the axis to it (right when the curves start there). */
export function chanceGuide(kind: 'loss' | 'accuracy', fit: boolean, classes = 10): Guide {
  const loss = Math.log(classes);
  return kind === 'loss'
    ? { y: loss, label: 'Chance', value: loss.toFixed(3), fit }
    : { y: 1 / classes, label: 'Chance', value: `${Math.round(1000 / classes) / 10}%`, fit };
}

/** The best epoch as Keras's EarlyStopping picks it: lowest validation loss (earliest on a tie); null without one. */
export function lowestValLossEpoch(epochs: EpochMetrics[]): number | null {
  let best: EpochMetrics | null = null;
  for (const e of epochs)
    if (typeof e.valLoss === 'number' && Number.isFinite(e.valLoss) && (best === null || e.valLoss < (best.valLoss as number))) best = e;
  return best?.epoch ?? null;
}

/** The epoch of the highest validation accuracy (earliest on a tie); null without one. */
export function highestValAccuracyEpoch(epochs: EpochMetrics[]): number | null {
  let best: EpochMetrics | null = null;
  for (const e of epochs)
    if (typeof e.valAccuracy === 'number' && Number.isFinite(e.valAccuracy) && (best === null || e.valAccuracy > (best.valAccuracy as number)))
      best = e;
  return best?.epoch ?? null;
}

/** What the run charts add to the epochs: the point before training, and the best epoch to mark. */
export interface RunChartExtras {
  /** Epoch 0: the training curve's point is the probe batch's, the validation curve's the validation split's. */
  baseline?: EpochMetrics | null;
  /** Marked on the validation curve. */
  bestEpoch?: number | null;
}

/** The baseline as epoch 0, then the epochs. */
export function withBaseline(epochs: EpochMetrics[], baseline: EpochMetrics | null | undefined): EpochMetrics[] {
  return baseline ? [{ ...baseline, epoch: 0 }, ...epochs.filter((e) => e.epoch > 0)] : epochs;
}

const bestPoint = (points: LinePoint[], epoch: number | null | undefined) => {
  const p = epoch === null || epoch === undefined ? undefined : points.find((q) => q.x === epoch);
  return p && typeof p.y === 'number' ? { x: p.x, y: p.y } : null;
};

const finitePoints = (epochs: EpochMetrics[], pick: (e: EpochMetrics) => number | null): LinePoint[] =>
  epochs.flatMap((e) => {
    const y = pick(e);
    return typeof y === 'number' && Number.isFinite(y) ? [{ x: e.epoch, y }] : [];
  });

/**
 * Batch losses at fractional epochs: batch b of B in epoch k sits at k-1 + b/B.
 * B comes from the run when known, otherwise from the last batch sampled in that
 * epoch (the trainer always samples an epoch's last batch).
 */
export function batchPoints(batches: BatchLoss[], batchesPerEpoch: number | null): LinePoint[] {
  const lastBatch = new Map<number, number>();
  if (!batchesPerEpoch) for (const b of batches) lastBatch.set(b.epoch, Math.max(lastBatch.get(b.epoch) ?? 0, b.batch));
  return batches.flatMap((b) => {
    const of = batchesPerEpoch ?? lastBatch.get(b.epoch) ?? b.batch;
    return Number.isFinite(b.loss) && of > 0 ? [{ x: b.epoch - 1 + b.batch / of, y: b.loss }] : [];
  });
}

export function lossSeries(epochs: EpochMetrics[], batches: BatchLoss[], batchesPerEpoch: number | null, o: RunChartExtras = {}): LineSeries[] {
  const all = withBaseline(epochs, o.baseline);
  const validation = finitePoints(all, (e) => e.valLoss);
  return [
    { label: 'Training loss', color: TRAINING, points: finitePoints(all, (e) => e.loss) },
    { label: 'Validation loss', color: VALIDATION, points: validation, best: bestPoint(validation, o.bestEpoch) },
    // The trainer reports, for sampled batches, the epoch's mean loss so far (as Keras's progress bar shows it).
    { label: 'Batch loss (sampled)', color: TRAINING, points: batchPoints(batches, batchesPerEpoch), faint: true },
  ];
}

/** The best epoch is the one of lowest validation loss here too: its validation accuracy is marked, not the highest. */
export function accuracySeries(epochs: EpochMetrics[], o: RunChartExtras = {}): LineSeries[] {
  const all = withBaseline(epochs, o.baseline);
  const validation = finitePoints(all, (e) => e.valAccuracy);
  return [
    { label: 'Training accuracy', color: TRAINING, points: finitePoints(all, (e) => e.accuracy) },
    { label: 'Validation accuracy', color: VALIDATION, points: validation, best: bestPoint(validation, o.bestEpoch) },
  ];
}

/** Dashed chance level, best-epoch note, and the evidence band: what a run chart draws besides its curves. */
export interface RunChartDecor {
  guides?: Guide[];
  band?: Band | null;
  bestNote?: string;
}

/** The x axis spans the whole planned run, so the lines grow into it. */
export function runChartSpec(
  series: LineSeries[],
  epochsPlanned: number,
  format: (y: number | null | undefined) => string,
  yMax?: number,
  decor: RunChartDecor = {},
): LineChartSpec {
  return {
    series,
    x: { title: 'Epoch', min: 0, max: Math.max(1, epochsPlanned) },
    y: { max: yMax, tick: format, value: format },
    hover: 'nearest',
    legend: 'top',
    guides: decor.guides,
    band: decor.band ?? null,
    bestNote: decor.bestNote,
  };
}

// ---- Per-layer charts: kernel gradient norm (log scale) and activation health (dead / saturated
// fraction), one line per layer, coloured from input to output, measured on the probe batch at
// epoch 0 and after every epoch.

/**
 * matplotlib's "plasma" (a perceptually uniform sequential palette), its stops at
 * 0, 0.1, …, 1. Layers take it from 0.7 (orange, the input side: light, yet still
 * readable on white) down to 0 (deep blue, the output side), so lightness says how
 * deep a layer is and hue tells neighbours apart.
 */
const PLASMA = ['#0d0887', '#41049d', '#6a00a8', '#8f0da4', '#b12a90', '#cc4778', '#e16462', '#f2844b', '#fca636', '#fcce25', '#f0f921'];
const INPUT_END = 0.7;
const OUTPUT_END = 0;

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const hex = (c: number[]) => `#${c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;

/** plasma at t in [0, 1], interpolated between its stops. */
export function plasma(t: number): string {
  const at = Math.min(1, Math.max(0, t)) * (PLASMA.length - 1);
  const i = Math.min(PLASMA.length - 2, Math.floor(at));
  const [a, b] = [rgb(PLASMA[i]), rgb(PLASMA[i + 1])];
  return hex(a.map((v, k) => v + (b[k] - v) * (at - i)));
}

/** The colour of the rank-th of `count` layers, from the input (0) to the output; a single layer is the output's. */
export function layerColor(rank: number, count: number): string {
  const depth = count <= 1 ? 1 : rank / (count - 1);
  return plasma(INPUT_END + (OUTPUT_END - INPUT_END) * depth);
}

/** End-of-epoch probes (epoch 0 included); the optional finer probes within an epoch are left out. */
const epochProbes = (stats: LayerStat[]) => stats.filter((s) => s.batch === null);

/** Every layer the stats mention, in model order, each with its colour: the same in both layer charts. */
export function layerColors(stats: LayerStat[]): Map<number, { name: string; color: string }> {
  const names = new Map<number, string>();
  for (const s of epochProbes(stats)) names.set(s.layer, s.name);
  const layers = [...names.keys()].sort((a, b) => a - b);
  return new Map(layers.map((layer, rank) => [layer, { name: names.get(layer)!, color: layerColor(rank, layers.length) }]));
}

type Figure = (s: LayerStat) => number | null;
const usable = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** The layers with at least one usable figure, each with its points by epoch. */
function perLayer(stats: LayerStat[], pick: Figure): { layer: number; points: { x: number; y: number | null }[] }[] {
  const byLayer = new Map<number, Map<number, number | null>>();
  for (const s of epochProbes(stats)) {
    const v = pick(s);
    if (!byLayer.has(s.layer)) byLayer.set(s.layer, new Map());
    byLayer.get(s.layer)!.set(s.epoch, usable(v) ? v : null);
  }
  return [...byLayer.entries()]
    .filter(([, points]) => [...points.values()].some(usable))
    .sort(([a], [b]) => a - b)
    .map(([layer, points]) => ({
      layer,
      points: [...points.entries()].sort(([a], [b]) => a - b).map(([x, y]) => ({ x, y })),
    }));
}

/** Only a highlight on this chart that names at least one of its layers thickens some lines and dims the rest. */
function emphasis(lines: { layer: number }[], highlight: Evidence | null, chart: Evidence['chart']) {
  const named = highlight?.chart === chart ? new Set(highlight.layers) : new Set<number>();
  const any = lines.some((l) => named.has(l.layer));
  return (layer: number): Pick<ChartLine, 'width' | 'dim'> => (!any ? {} : named.has(layer) ? { width: 3.5 } : { dim: true });
}

export interface LayerLine extends ChartLine {
  layer: number;
}

/** One line per layer with weights: the L2 norm of its kernel's gradient. */
export function gradientSeries(stats: LayerStat[], highlight: Evidence | null = null): LayerLine[] {
  const colors = layerColors(stats);
  const lines = perLayer(stats, (s) => s.gradNorm);
  const style = emphasis(lines, highlight, 'gradients');
  return lines.map(({ layer, points }) => ({ layer, label: colors.get(layer)!.name, color: colors.get(layer)!.color, points, ...style(layer) }));
}

/** Which figure of activation health applies to a layer: dead units (ReLU) or saturated outputs (sigmoid, tanh, softmax). */
export const ACTIVATION_FIGURES = [
  { key: 'deadFraction', what: 'dead' },
  { key: 'saturatedFraction', what: 'saturated' },
] as const;

/** Per layer, its dead fraction or its saturated fraction, where the figure applies (a layer without either is left out). */
export function activationSeries(stats: LayerStat[], highlight: Evidence | null = null): LayerLine[] {
  const colors = layerColors(stats);
  const lines = ACTIVATION_FIGURES.flatMap(({ key, what }) => perLayer(stats, (s) => s[key]).map((l) => ({ ...l, what })));
  lines.sort((a, b) => a.layer - b.layer);
  const style = emphasis(lines, highlight, 'activations');
  return lines.map(({ layer, points, what }) => ({
    layer,
    label: `${colors.get(layer)!.name} · ${what}`,
    color: colors.get(layer)!.color,
    points,
    ...style(layer),
  }));
}

/** The evidence band, on the chart the evidence names only. */
export function bandFor(highlight: Evidence | null, chart: Evidence['chart']): Band | null {
  return highlight?.chart === chart ? { from: highlight.fromEpoch, to: highlight.toEpoch } : null;
}

/** Over more than two decades only powers of ten are labelled; within fewer, 1, 2 and 5 of each decade too. */
export function logTick(values: number[]): (y: number) => string {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  const wide = positive.length > 0 && Math.max(...positive) / Math.min(...positive) >= 100;
  return (y) => {
    if (!(y > 0)) return '';
    const mantissa = Number((y / 10 ** Math.floor(Math.log10(y) + 1e-9)).toFixed(6));
    return mantissa === 1 || (!wide && (mantissa === 2 || mantissa === 5)) ? formatNorm(y, 1) : '';
  };
}

const common = (epochsPlanned: number, epochsDone: number) => ({
  x: { title: 'Epoch', min: 0, max: Math.max(1, epochsPlanned, epochsDone) },
  hover: 'nearest' as const,
  legend: 'top' as const,
});

export function gradientChartSpec(stats: LayerStat[], epochsPlanned: number, highlight: Evidence | null = null): LineChartSpec {
  const series = gradientSeries(stats, highlight);
  const values = series.flatMap((s) => s.points.map((p) => p.y ?? NaN));
  return {
    series,
    ...common(epochsPlanned, Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.x)))),
    y: { title: 'Kernel gradient norm (log)', log: true, tick: logTick(values), value: (v) => formatNorm(v) },
    band: bandFor(highlight, 'gradients'),
  };
}

export function activationChartSpec(stats: LayerStat[], epochsPlanned: number, highlight: Evidence | null = null): LineChartSpec {
  const series = activationSeries(stats, highlight);
  return {
    series,
    ...common(epochsPlanned, Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.x)))),
    y: { title: 'Dead units / saturated outputs', min: 0, max: 1, tick: (v) => formatAccuracy(v, 0), value: (v) => formatAccuracy(v, 1) },
    band: bandFor(highlight, 'activations'),
  };
}

/** The numbers behind a layer chart, for its screen-reader table: one row per epoch, one column per line. */
export function layerTable(series: LayerLine[]): { columns: string[]; rows: { epoch: number; values: (number | null)[] }[] } {
  const epochs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  return {
    columns: series.map((s) => s.label),
    rows: epochs.map((epoch) => ({ epoch, values: series.map((s) => s.points.find((p) => p.x === epoch)?.y ?? null) })),
  };
}
