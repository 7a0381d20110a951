/**
 * The maths of a comparison, shared by the renderer, the HTML report and the CLI:
 * colours, smoothing, legend names by what differs, the settings / architecture /
 * summary tables and the chart series. Pure: no DOM, no Node.
 */
import { architectureSummary } from '../model/architecture';
import { summarizeModel } from '../model/model-math';
import type { LayerSpec } from '../model/model-spec';
import type { EpochMetrics, RunDetail } from '../contract/runs';

// ───────────────────────────── colours ─────────────────────────────

/**
 * One colour per run, in selection order. Okabe & Ito's colour-blind-safe set
 * first (without its yellow, which vanishes on white), then Paul Tol's muted
 * scheme: the first six stay apart for every kind of colour blindness, the rest
 * at least stay apart from each other in hue and lightness.
 */
export const RUN_COLORS: string[] = [
  '#0072B2', // blue
  '#D55E00', // vermillion
  '#009E73', // bluish green
  '#CC79A7', // reddish purple
  '#E69F00', // orange
  '#56B4E9', // sky blue
  '#332288', // indigo
  '#882255', // wine
  '#117733', // green
  '#AA4499', // purple
  '#44AA99', // teal
  '#999933', // olive
  '#CC6677', // rose
  '#661100', // brown
  '#6699CC', // light blue
  '#555555', // grey
];

/** The colour of the run at this position of the selection (the same in every chart). */
export function runColor(index: number): string {
  const n = RUN_COLORS.length;
  return RUN_COLORS[((Math.trunc(index) % n) + n) % n];
}

// ───────────────────────────── smoothing ─────────────────────────────

/**
 * TensorBoard's smoothing: an exponential moving average debiased for its
 * start (so the first points are not dragged towards 0). Weight 0 gives the raw
 * values back; weight is clamped to [0, 0.999]. Nulls (and non-finite values)
 * pass through and do not take part in the average.
 */
export function smooth(values: (number | null)[], weight: number): (number | null)[] {
  const w = Number.isFinite(weight) ? Math.min(Math.max(weight, 0), 0.999) : 0;
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  // A constant series stays exactly constant (no floating-point wobble from the debiasing).
  if (w === 0 || finite.every((v) => v === finite[0])) return [...values];
  let last = 0;
  let count = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    count += 1;
    return last / (1 - w ** count);
  });
}

/** Below this many points a curve is shown raw by default: every point is a reading worth seeing. */
export const SMOOTHING_MIN_POINTS = 10;
/** The default smoothing never goes beyond this (the slider can). */
export const MAX_DEFAULT_SMOOTHING = 0.9;

/**
 * The smoothing weight a curve of `points` points gets until the user picks one:
 * none below 10 points, then w = 1 − 10/points, capped at 0.9 and rounded to
 * two decimals. An exponential moving average of weight w averages over about
 * 1/(1 − w) points, so this smooths each point over about a tenth of the curve:
 * 0 at 10 points, 0.5 at 20, 0.8 at 50, 0.9 from 100 points on. The raw curve is
 * always drawn as well.
 */
export function defaultSmoothing(points: number): number {
  if (!Number.isFinite(points) || points < SMOOTHING_MIN_POINTS) return 0;
  return Math.round(Math.min(MAX_DEFAULT_SMOOTHING, 1 - SMOOTHING_MIN_POINTS / points) * 100) / 100;
}

// ───────────────────────────── layers in words ─────────────────────────────

const pair = (p: readonly number[]) => p.join('×');

/** A layer's parameters with Keras's defaults filled in, so absent and default compare equal. */
export function normalizedLayer(l: LayerSpec): Record<string, unknown> {
  const reg = (r: { l1: number; l2: number } | null | undefined) => (r && (r.l1 || r.l2) ? { l1: r.l1, l2: r.l2 } : null);
  switch (l.type) {
    case 'Dense':
      return {
        type: l.type,
        units: l.units,
        activation: l.activation,
        useBias: l.useBias ?? true,
        kernelInitializer: l.kernelInitializer ?? 'glorot_uniform',
        kernelRegularizer: reg(l.kernelRegularizer),
      };
    case 'Conv2D':
      return {
        type: l.type,
        filters: l.filters,
        kernelSize: l.kernelSize,
        strides: l.strides ?? [1, 1],
        padding: l.padding ?? 'valid',
        activation: l.activation,
        useBias: l.useBias ?? true,
        kernelInitializer: l.kernelInitializer ?? 'glorot_uniform',
        kernelRegularizer: reg(l.kernelRegularizer),
      };
    case 'MaxPooling2D':
      return { type: l.type, poolSize: l.poolSize, strides: l.strides ?? l.poolSize, padding: l.padding ?? 'valid' };
    case 'BatchNormalization':
      return { type: l.type, momentum: l.momentum ?? 0.99, epsilon: l.epsilon ?? 0.001 };
    case 'Dropout':
      return { type: l.type, rate: l.rate };
    case 'Activation':
      return { type: l.type, activation: l.activation };
    case 'Reshape':
      return { type: l.type, targetShape: l.targetShape };
    case 'Flatten':
      return { type: l.type };
  }
}

function weightWords(l: { useBias?: boolean; kernelInitializer?: string; kernelRegularizer?: { l1: number; l2: number } | null }): string[] {
  const words: string[] = [];
  if (l.useBias === false) words.push('no bias');
  if (l.kernelInitializer && l.kernelInitializer !== 'glorot_uniform') words.push(l.kernelInitializer);
  if (l.kernelRegularizer?.l1) words.push(`L1 ${l.kernelRegularizer.l1}`);
  if (l.kernelRegularizer?.l2) words.push(`L2 ${l.kernelRegularizer.l2}`);
  return words;
}

/** A layer as the settings table shows it: "Dense 256 relu", "Conv2D 32 3×3 relu, same", "Dropout 0.2". */
export function layerText(l: LayerSpec): string {
  const withExtras = (head: string, extras: string[]) => (extras.length ? `${head}, ${extras.join(', ')}` : head);
  switch (l.type) {
    case 'Dense':
      return withExtras(`Dense ${l.units} ${l.activation}`, weightWords(l));
    case 'Conv2D': {
      const extras: string[] = [];
      if (l.strides && (l.strides[0] !== 1 || l.strides[1] !== 1)) extras.push(`stride ${pair(l.strides)}`);
      if (l.padding === 'same') extras.push('same');
      return withExtras(`Conv2D ${l.filters} ${pair(l.kernelSize)} ${l.activation}`, [...extras, ...weightWords(l)]);
    }
    case 'MaxPooling2D': {
      const extras: string[] = [];
      if (l.strides && (l.strides[0] !== l.poolSize[0] || l.strides[1] !== l.poolSize[1])) extras.push(`stride ${pair(l.strides)}`);
      if (l.padding === 'same') extras.push('same');
      return withExtras(`MaxPooling2D ${pair(l.poolSize)}`, extras);
    }
    case 'BatchNormalization': {
      const extras: string[] = [];
      if (l.momentum !== undefined && l.momentum !== 0.99) extras.push(`momentum ${l.momentum}`);
      if (l.epsilon !== undefined && l.epsilon !== 0.001) extras.push(`epsilon ${l.epsilon}`);
      return withExtras('BatchNormalization', extras);
    }
    case 'Dropout':
      return `Dropout ${l.rate}`;
    case 'Activation':
      return `Activation ${l.activation}`;
    case 'Reshape':
      return `Reshape ${pair(l.targetShape)}`;
    case 'Flatten':
      return 'Flatten';
  }
}

const same = <T>(xs: T[]) => xs.every((x) => x === xs[0]);
const json = (x: unknown) => JSON.stringify(x);

// ───────────────────────────── architecture diff ─────────────────────────────

export interface ArchitectureDiffRow {
  /** 0-based position in the stack. */
  index: number;
  /** The layer in words per run; null where a run has no layer at this position. */
  values: (string | null)[];
  differs: boolean;
  /**
   * The parameters that differ among the runs that have this layer ("units",
   * "activation", …); just ["type"] when the layers are of different kinds.
   * A layer missing from some runs differs even when this list is empty.
   */
  changedFields: string[];
}

/** Layer by layer (aligned by position): which layers, and which of their parameters, differ. */
export function architectureDiff(runs: RunDetail[]): ArchitectureDiffRow[] {
  const depth = Math.max(0, ...runs.map((r) => r.model.layers.length));
  const rows: ArchitectureDiffRow[] = [];
  for (let index = 0; index < depth; index++) {
    const layers = runs.map((r) => r.model.layers[index] ?? null);
    const present = layers.filter((l): l is LayerSpec => l !== null).map(normalizedLayer);
    let changedFields: string[] = [];
    if (!same(present.map((p) => p.type))) changedFields = ['type'];
    else {
      const keys = Object.keys(present[0] ?? {}).filter((k) => k !== 'type');
      changedFields = keys.filter((k) => !same(present.map((p) => json(p[k]))));
    }
    const missing = present.length < runs.length;
    rows.push({
      index,
      values: layers.map((l) => (l ? layerText(l) : null)),
      differs: missing || changedFields.length > 0,
      changedFields,
    });
  }
  return rows;
}

// ───────────────────────────── legend names ─────────────────────────────

/** The activations of the hidden layers (everything but the output layer). */
function hiddenActivations(r: RunDetail): string[] {
  const acts: string[] = [];
  const layers = r.model.layers;
  const lastDense = layers.map((l) => l.type).lastIndexOf('Dense');
  layers.forEach((l, i) => {
    if (i === lastDense && i === layers.length - 1) return;
    if (l.type === 'Dense' || l.type === 'Conv2D' || l.type === 'Activation') acts.push(l.activation);
  });
  return acts;
}

/** "relu, sigmoid×4" */
function activationSequence(acts: string[]): string {
  const groups: [string, number][] = [];
  for (const a of acts) {
    const last = groups[groups.length - 1];
    if (last && last[0] === a) last[1] += 1;
    else groups.push([a, 1]);
  }
  return groups.map(([a, n]) => (n > 1 ? `${a}×${n}` : a)).join(', ');
}

/** The activation most hidden layers use (the first of those tied). */
function dominantActivation(acts: string[]): string {
  const counts = new Map<string, number>();
  for (const a of acts) counts.set(a, (counts.get(a) ?? 0) + 1);
  let best = '';
  let bestCount = 0;
  for (const [a, n] of counts) if (n > bestCount) [best, bestCount] = [a, n];
  return best;
}

const distinct = (xs: string[]) => new Set(xs).size;

/** What tells the runs' networks apart, per run (empty strings when nothing does). */
function networkWords(runs: RunDetail[]): string[] {
  const archs = runs.map((r) => architectureSummary(r.model));
  const withoutActivations = runs.map((r) =>
    json(
      r.model.layers.map((l) => {
        const { activation: _a, ...rest } = normalizedLayer(l);
        return rest;
      }),
    ),
  );
  if (!same(archs)) {
    if (!same(withoutActivations)) return archs;
    const acts = runs.map(hiddenActivations);
    const sequences = acts.map(activationSequence);
    const dominant = acts.map(dominantActivation);
    return distinct(dominant) === distinct(sequences) ? dominant : sequences;
  }
  // Same summary: the difference is in a detail (initializer, regularizer, output activation, …).
  const detail = architectureDiff(runs)
    .filter((d) => d.differs)
    .slice(0, 2);
  if (!detail.length) return runs.map(() => '');
  return runs.map((r) =>
    detail
      .map((d) => {
        const layer = r.model.layers[d.index];
        if (!layer) return `L${d.index + 1} none`;
        const n = normalizedLayer(layer);
        if (d.changedFields.includes('type') || d.changedFields.length === 0) return `L${d.index + 1} ${layerText(layer)}`;
        return `L${d.index + 1} ${d.changedFields.map((f) => `${snake(f)}=${fieldWord(n[f])}`).join(' ')}`;
      })
      .join(' '),
  );
}

/** Keras's argument names: kernelInitializer → kernel_initializer. */
const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function fieldWord(v: unknown): string {
  if (Array.isArray(v)) return v.join('×');
  if (v && typeof v === 'object') {
    const r = v as { l1: number; l2: number };
    return [r.l1 ? `l1:${r.l1}` : '', r.l2 ? `l2:${r.l2}` : ''].filter(Boolean).join(',');
  }
  return v === null ? 'none' : String(v);
}

interface Facet {
  words: (runs: RunDetail[]) => string[];
}

const simpleFacet = (word: (r: RunDetail) => string): Facet => ({ words: (runs) => runs.map(word) });

/** In the order a legend reads them. */
const FACETS: Facet[] = [
  {
    // The optimizer and its learning rate go together ("adam lr=0.001"); a learning rate alone is "lr=0.01".
    words: (runs) => {
      if (!same(runs.map((r) => r.config.optimizer))) return runs.map((r) => `${r.config.optimizer} lr=${r.config.learningRate}`);
      if (!same(runs.map((r) => r.config.learningRate))) return runs.map((r) => `lr=${r.config.learningRate}`);
      return runs.map(() => '');
    },
  },
  simpleFacet((r) => `momentum=${r.config.momentum}`),
  { words: networkWords },
  simpleFacet((r) => `batch=${r.config.batchSize}`),
  simpleFacet((r) => `epochs=${r.config.epochs}`),
  simpleFacet((r) => `val_split=${r.config.validationSplit}`),
  simpleFacet((r) => `images=${r.config.limit ?? 'all'}`),
  simpleFacet((r) => `seed=${r.config.seed}`),
  simpleFacet((r) => r.dataset?.id ?? ''),
  simpleFacet((r) => r.backend ?? ''),
];

/** What tells each run apart from the others, in Keras-ish words ("" where nothing does, or for a single run). */
export function differenceLabels(runs: RunDetail[]): string[] {
  const parts: string[][] = runs.map(() => []);
  if (runs.length > 1) {
    for (const facet of FACETS) {
      const words = facet.words(runs);
      if (same(words)) continue;
      words.forEach((w, i) => w && parts[i].push(w));
    }
  }
  return parts.map((p) => p.join(', '));
}

/** The separator between a run's own name and what differs: "Baseline — lr=0.01, adam". */
export const NAME_SEPARATOR = ' — ';

/**
 * Legend names, names first. A run the user named (`named`) is called by its name,
 * with what differs from the other runs beside it ("Baseline — adam lr=0.001"; just
 * "Baseline" when nothing does). Any other run is called by what differs, in
 * Keras-ish words: "adam lr=0.001" / "sgd lr=0.01", "sgd lr=0.01, sigmoid",
 * "Dense 64-128 relu"; by its (made-up) name when nothing differs. Always unique
 * (" #id" is added where needed).
 */
export function runLabels(runs: RunDetail[]): string[] {
  const differs = differenceLabels(runs);
  const fallback = (r: RunDetail) => r.name.trim() || `Run ${r.id}`;
  const labels = runs.map((r, i) => {
    if (r.named && r.name.trim()) return differs[i] ? `${r.name.trim()}${NAME_SEPARATOR}${differs[i]}` : r.name.trim();
    return differs[i] || fallback(r);
  });
  return unique(labels, runs);
}

function unique(labels: string[], runs: RunDetail[]): string[] {
  const count = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
  const first = count(labels);
  const withIds = labels.map((l, i) => (first.get(l)! > 1 ? `${l} #${runs[i].id}` : l));
  // The same run twice in one selection: number the copies.
  const second = count(withIds);
  const seen = new Map<string, number>();
  return withIds.map((l) => {
    if (second.get(l)! === 1) return l;
    const k = (seen.get(l) ?? 0) + 1;
    seen.set(l, k);
    return `${l} (${k})`;
  });
}

// ───────────────────────────── settings table ─────────────────────────────

export interface SettingsRow {
  key: string;
  label: string;
  /** One cell per run, in selection order. */
  values: string[];
  /** Not every run has the same value. */
  differs: boolean;
}

const count = (n: number) => n.toLocaleString('en-US');

const HYPERPARAMETERS: { key: string; label: string; value: (r: RunDetail) => string }[] = [
  { key: 'optimizer', label: 'Optimizer', value: (r) => r.config.optimizer },
  { key: 'learningRate', label: 'Learning rate', value: (r) => String(r.config.learningRate) },
  { key: 'momentum', label: 'Momentum', value: (r) => String(r.config.momentum) },
  { key: 'epochs', label: 'Epochs', value: (r) => String(r.config.epochs) },
  { key: 'batchSize', label: 'Batch size', value: (r) => String(r.config.batchSize) },
  { key: 'validationSplit', label: 'Validation split', value: (r) => String(r.config.validationSplit) },
  { key: 'limit', label: 'Training images', value: (r) => (r.config.limit === null ? 'all' : count(r.config.limit)) },
  { key: 'seed', label: 'Seed', value: (r) => String(r.config.seed) },
  { key: 'dataset', label: 'Dataset', value: (r) => (r.dataset ? (r.dataset.name ?? r.dataset.id) : '—') },
  { key: 'backend', label: 'Backend', value: (r) => r.backend ?? '—' },
  { key: 'preset', label: 'Preset', value: (r) => r.presetId ?? 'custom' },
  { key: 'inputShape', label: 'Input', value: (r) => pair(r.model.inputShape) },
];

/**
 * Every hyperparameter and every layer as a row, runs as columns, then the
 * parameter count. Layer rows are keyed "layer-<index>" and labelled "Layer 3";
 * a run with fewer layers shows "—".
 */
export function settingsTable(runs: RunDetail[]): SettingsRow[] {
  const row = (key: string, label: string, values: string[]): SettingsRow => ({ key, label, values, differs: !same(values) });
  const rows = HYPERPARAMETERS.map((h) => row(h.key, h.label, runs.map(h.value)));
  const depth = Math.max(0, ...runs.map((r) => r.model.layers.length));
  for (let i = 0; i < depth; i++) {
    rows.push(
      row(
        `layer-${i}`,
        `Layer ${i + 1}`,
        runs.map((r) => (r.model.layers[i] ? layerText(r.model.layers[i]) : '—')),
      ),
    );
  }
  rows.push(
    row(
      'params',
      'Parameters',
      runs.map((r) => count(summarizeModel(r.model).totalParams)),
    ),
  );
  return rows;
}

/** The rows where the runs differ (the "only differences" switch). */
export function onlyDifferences<T extends { differs: boolean }>(rows: T[]): T[] {
  return rows.filter((r) => r.differs);
}

// ───────────────────────────── metrics ─────────────────────────────

export const METRICS = ['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const;
export type Metric = (typeof METRICS)[number];

export const METRIC_LABELS: Record<Metric, string> = {
  loss: 'Loss',
  accuracy: 'Accuracy',
  val_loss: 'Validation loss',
  val_accuracy: 'Validation accuracy',
};

/** Accuracies are better high, losses low. */
export const higherIsBetter = (metric: Metric) => metric === 'accuracy' || metric === 'val_accuracy';

export function metricValue(e: EpochMetrics, metric: Metric): number | null {
  switch (metric) {
    case 'loss':
      return e.loss;
    case 'accuracy':
      return e.accuracy;
    case 'val_loss':
      return e.valLoss;
    case 'val_accuracy':
      return e.valAccuracy;
  }
}

/** Wall-clock seconds from the start of training to the end of each epoch (to the microsecond, without summing noise). */
export function cumulativeSeconds(epochs: EpochMetrics[]): number[] {
  let total = 0;
  return epochs.map((e) => Math.round((total += e.seconds) * 1e6) / 1e6);
}

/** Index of the best value (earliest on a tie); -1 when there is none. */
function bestIndex(values: (number | null)[], higher: boolean): number {
  let best = -1;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) return;
    if (best < 0 || (higher ? v > values[best]! : v < values[best]!)) best = i;
  });
  return best;
}

// ───────────────────────────── summary table ─────────────────────────────

export interface SummaryRow {
  key: string;
  label: string;
  values: (number | string | null)[];
  /** Index of the best run for a row where higher or lower is better; null when there is no best (or all tie). */
  best: number | null;
}

/**
 * The figures that answer "which is better": best and final validation accuracy
 * and loss, test accuracy, epochs, time per epoch, parameters, backend. The best
 * epoch is the one with the lowest validation loss (Keras's EarlyStopping default);
 * where any run's highest validation accuracy came at another epoch, a row says
 * which (as text: an epoch number, not a figure to compare).
 */
export function summaryTable(runs: RunDetail[]): SummaryRow[] {
  const col = (metric: Metric) => runs.map((r) => r.epochs.map((e) => metricValue(e, metric)));
  const valAcc = col('val_accuracy');
  const valLoss = col('val_loss');
  const bestOf = (series: (number | null)[], higher: boolean) => {
    const i = bestIndex(series, higher);
    return i < 0 ? null : (series[i] as number);
  };
  const last = (series: (number | null)[]) => (series.length ? series[series.length - 1] : null);
  const epochAt = (r: RunDetail, index: number) => (index < 0 ? null : r.epochs[index].epoch);
  const bestLossEpoch = runs.map((r, i) => epochAt(r, bestIndex(valLoss[i], false)));
  const bestAccEpoch = runs.map((r, i) => epochAt(r, bestIndex(valAcc[i], true)));
  const accuracyDiffers = runs.some((_, i) => bestAccEpoch[i] !== null && bestAccEpoch[i] !== bestLossEpoch[i]);

  const rows: { key: string; label: string; values: (number | string | null)[]; better?: 'higher' | 'lower' }[] = [
    { key: 'bestValAccuracy', label: 'Best val accuracy', values: valAcc.map((s) => bestOf(s, true)), better: 'higher' },
    { key: 'bestEpoch', label: 'Best epoch (lowest val loss)', values: bestLossEpoch },
    ...(accuracyDiffers
      ? [{ key: 'bestAccuracyEpoch', label: 'Best epoch by val accuracy', values: bestAccEpoch.map((e) => (e === null ? null : String(e))) }]
      : []),
    { key: 'finalValAccuracy', label: 'Final val accuracy', values: valAcc.map(last), better: 'higher' },
    { key: 'bestValLoss', label: 'Best val loss', values: valLoss.map((s) => bestOf(s, false)), better: 'lower' },
    { key: 'finalValLoss', label: 'Final val loss', values: valLoss.map(last), better: 'lower' },
    { key: 'testAccuracy', label: 'Test accuracy', values: runs.map((r) => r.testAccuracy), better: 'higher' },
    { key: 'epochs', label: 'Epochs', values: runs.map((r) => `${r.epochs.length}/${r.config.epochs}`) },
    {
      key: 'secondsPerEpoch',
      label: 'Seconds per epoch',
      values: runs.map((r) => (r.epochs.length ? r.epochs.reduce((a, e) => a + e.seconds, 0) / r.epochs.length : null)),
      better: 'lower',
    },
    { key: 'params', label: 'Parameters', values: runs.map((r) => summarizeModel(r.model).totalParams) },
    { key: 'backend', label: 'Backend', values: runs.map((r) => r.backend) },
  ];
  return rows.map(({ key, label, values, better }) => ({ key, label, values, best: better ? bestRun(values, better === 'higher') : null }));
}

function bestRun(values: (number | string | null)[], higher: boolean): number | null {
  const nums = values.map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : null));
  const present = nums.filter((v): v is number => v !== null);
  // One figure, or all equal: nothing to single out.
  if (present.length < 2 || same(present)) return null;
  return bestIndex(nums, higher);
}

// ───────────────────────────── chart series ─────────────────────────────

export interface ChartPoint {
  /** Epoch number, or seconds of training up to the end of the epoch. */
  x: number;
  /** Smoothed value (the raw one when smoothing is 0). */
  y: number | null;
  raw: number | null;
}

export interface ChartSeries {
  runId: number;
  label: string;
  color: string;
  points: ChartPoint[];
  /** The best epoch (highest accuracy, lowest loss) at its raw value; null without values. */
  best: { x: number; y: number } | null;
}

export interface ChartOptions {
  xAxis?: 'epoch' | 'time';
  /** TensorBoard smoothing weight in [0, 1); 0 = raw. */
  smoothing?: number;
}

/** One series per run for one metric: colour by position, label by what differs. */
export function chartSeries(runs: RunDetail[], metric: Metric, o: ChartOptions = {}): ChartSeries[] {
  const labels = runLabels(runs);
  return runs.map((r, i) => {
    const xs = o.xAxis === 'time' ? cumulativeSeconds(r.epochs) : r.epochs.map((e) => e.epoch);
    const raw = r.epochs.map((e) => metricValue(e, metric));
    const smoothed = smooth(raw, o.smoothing ?? 0);
    const b = bestIndex(raw, higherIsBetter(metric));
    return {
      runId: r.id,
      label: labels[i],
      color: runColor(i),
      points: xs.map((x, j) => ({ x, y: smoothed[j], raw: raw[j] })),
      best: b < 0 ? null : { x: xs[b], y: raw[b] as number },
    };
  });
}
