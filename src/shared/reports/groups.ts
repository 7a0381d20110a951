/**
 * The figures of a group of runs: mean ± standard deviation over seeds, per epoch
 * and per summary figure, and a sweep's settings ranked and laid out as a grid.
 * Pure: the window, the HTML report and the CLI share it.
 *
 * The spread is the SAMPLE standard deviation (divided by n − 1), what numpy's
 * `std(ddof=1)` and a spreadsheet's STDEV give: the runs are a sample of what the
 * seeds could give. With one run it is 0 (there is no spread to measure), and
 * `formatMeanStd` then prints the figure without "±".
 */
import type { RunDetail, RunGroup, RunSummary } from '../contract/runs';
import { sweepValuesText } from '../model/sweep';
import { metricValue, type Metric } from './compare';

/** Mean and spread of one figure over the runs that have it. */
export interface MeanStd {
  /** Null when no run has the figure. */
  mean: number | null;
  /** Sample standard deviation (n − 1); 0 for one run, null for none. */
  std: number | null;
  /** How many runs have the figure. */
  n: number;
  min: number | null;
  max: number | null;
}

/** Mean, sample standard deviation, count, min and max of the finite values (nulls and NaN are left out). */
export function meanStd(values: (number | null | undefined)[]): MeanStd {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: null, std: null, n: 0, min: null, max: null };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n === 1 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  return { mean, std, n, min: Math.min(...xs), max: Math.max(...xs) };
}

/** "0.8731 ± 0.0042 (n=3)"; one run: "0.8731 (n=1)"; none: "—". */
export function formatMeanStd(mean: number | null, std: number | null, n: number, digits = 4): string {
  if (mean === null || n === 0) return '—';
  if (n === 1 || std === null) return `${mean.toFixed(digits)} (n=${n})`;
  return `${mean.toFixed(digits)} ± ${std.toFixed(digits)} (n=${n})`;
}

/** formatMeanStd of a MeanStd. */
export const meanStdText = (s: MeanStd, digits = 4) => formatMeanStd(s.mean, s.std, s.n, digits);

// ───────────────────────────── curves ─────────────────────────────

export interface GroupCurvePoint extends MeanStd {
  epoch: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

/**
 * One point per epoch (1-based) that at least one run reached with the figure: the
 * mean, spread, min and max over the runs that reached it (`n` falls where runs
 * stopped early or are still training).
 */
export function groupCurves(runs: RunDetail[], metric: Metric): GroupCurvePoint[] {
  const byEpoch = new Map<number, number[]>();
  for (const r of runs) {
    for (const e of r.epochs) {
      const v = metricValue(e, metric);
      if (v === null || !Number.isFinite(v)) continue;
      const list = byEpoch.get(e.epoch) ?? [];
      list.push(v);
      byEpoch.set(e.epoch, list);
    }
  }
  return [...byEpoch.keys()].sort((a, b) => a - b).map((epoch) => ({ ...(meanStd(byEpoch.get(epoch)!) as Omit<GroupCurvePoint, 'epoch'>), epoch }));
}

// ───────────────────────────── summary ─────────────────────────────

export interface GroupSummaryRow extends MeanStd {
  key: 'bestValAccuracy' | 'bestValLoss' | 'finalValAccuracy' | 'testAccuracy' | 'epochs' | 'secondsPerEpoch';
  label: string;
  /** Decimals that suit the figure (accuracies and losses 4, epochs 1, seconds 2). */
  digits: number;
  better: 'higher' | 'lower' | null;
}

const best = (xs: (number | null)[], higher: boolean) => {
  const f = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return f.length ? (higher ? Math.max(...f) : Math.min(...f)) : null;
};

/**
 * The comparison's summary figures over the runs, each as mean ± std and n: best and
 * final validation accuracy, best validation loss, test accuracy, epochs trained and
 * seconds per epoch. Each run's figure is taken from its epochs as the comparison's
 * summary table takes it; pass the runs to count (e.g. only the completed ones).
 */
export function groupSummary(runs: RunDetail[]): GroupSummaryRow[] {
  const per = (f: (r: RunDetail) => number | null) => meanStd(runs.map(f));
  const series = (r: RunDetail, m: Metric) => r.epochs.map((e) => metricValue(e, m));
  const last = (r: RunDetail) => (r.epochs.length ? r.epochs[r.epochs.length - 1] : null);
  const row = (key: GroupSummaryRow['key'], label: string, digits: number, better: GroupSummaryRow['better'], stat: MeanStd): GroupSummaryRow => ({
    key,
    label,
    digits,
    better,
    ...stat,
  });
  return [
    row(
      'bestValAccuracy',
      'Best val accuracy',
      4,
      'higher',
      per((r) => best(series(r, 'val_accuracy'), true)),
    ),
    row(
      'bestValLoss',
      'Best val loss',
      4,
      'lower',
      per((r) => best(series(r, 'val_loss'), false)),
    ),
    row(
      'finalValAccuracy',
      'Final val accuracy',
      4,
      'higher',
      per((r) => last(r)?.valAccuracy ?? null),
    ),
    row(
      'testAccuracy',
      'Test accuracy',
      4,
      'higher',
      per((r) => r.testAccuracy),
    ),
    row(
      'epochs',
      'Epochs',
      1,
      null,
      per((r) => (r.epochs.length ? r.epochs.length : null)),
    ),
    row(
      'secondsPerEpoch',
      'Seconds per epoch',
      2,
      'lower',
      per((r) => (r.epochs.length ? r.epochs.reduce((a, e) => a + e.seconds, 0) / r.epochs.length : null)),
    ),
  ];
}

// ───────────────────────────── sweeps ─────────────────────────────

export interface SweepRankingRow {
  /** The setting's values by sweep key. */
  values: Record<string, string | number>;
  /** The values in words, in the axes' order: "lr=0.001 optimizer=adam". */
  label: string;
  /** The runs of this setting, in the group's order. */
  runIds: number[];
  /** Runs of this setting (any status). */
  n: number;
  /** Of those, completed: only they count in the figures below. */
  completed: number;
  bestValLoss: MeanStd;
  bestValAccuracy: MeanStd;
  testAccuracy: MeanStd;
  /** 1 = lowest mean best validation loss; null for a setting without a completed run. */
  rank: number | null;
}

/** A swept value compared as its setting reads it: "1e-3" is 0.001, "ADAM" is adam (a group may keep its axes as they were typed). */
const sameValue = (v: string | number | undefined) => {
  const text = String(v ?? '').trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? String(Number(text)) : text.toLowerCase();
};

const valueKey = (keys: string[], values: Record<string, string | number>) => JSON.stringify(keys.map((k) => sameValue(values[k])));

/** Every combination of the axes' values, the first axis slowest (the order the group queued them). */
function combinations(group: RunGroup): Record<string, string | number>[] {
  let out: Record<string, string | number>[] = [{}];
  for (const axis of group.axes) out = out.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.key]: v })));
  return out;
}

/** The group's runs (by its run ids, else by their groupId), in the group's order. */
function runsOf(group: RunGroup, runs: RunSummary[]): RunSummary[] {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const listed = group.runIds.map((id) => byId.get(id)).filter((r): r is RunSummary => r !== undefined);
  const listedIds = new Set(listed.map((r) => r.id));
  return [...listed, ...runs.filter((r) => r.groupId === group.id && !listedIds.has(r.id))];
}

/**
 * One row per setting (a combination of swept values, shared by its runs over seeds):
 * how many runs and how many completed, the mean ± std of their best validation loss,
 * best validation accuracy and test accuracy (completed runs only), ranked by mean best
 * validation loss, lowest first (ties: higher mean best validation accuracy, then the
 * grid's order). Settings without a completed run come last, unranked, in grid order.
 */
export function sweepRanking(group: RunGroup, runs: RunSummary[]): SweepRankingRow[] {
  const keys = group.axes.map((a) => a.key);
  const mine = runsOf(group, runs);
  const rows = new Map<string, SweepRankingRow & { runs: RunSummary[] }>();
  const add = (values: Record<string, string | number>) => {
    const k = valueKey(keys, values);
    if (!rows.has(k)) {
      rows.set(k, { values, label: sweepValuesText(values, group.axes) || 'all runs', runIds: [], n: 0, completed: 0, runs: [], ...emptyFigures() });
    }
    return rows.get(k)!;
  };
  for (const c of combinations(group)) add(c);
  for (const r of mine) {
    const values = r.sweepValues ?? {};
    const row = add(Object.fromEntries(keys.map((k) => [k, values[k] ?? '—'])));
    row.runs.push(r);
  }
  const out = [...rows.values()].map(({ runs: rs, ...row }) => {
    const done = rs.filter((r) => r.status === 'completed');
    return {
      ...row,
      runIds: rs.map((r) => r.id),
      n: rs.length,
      completed: done.length,
      bestValLoss: meanStd(done.map((r) => r.bestValLoss)),
      bestValAccuracy: meanStd(done.map((r) => r.bestValAccuracy)),
      testAccuracy: meanStd(done.map((r) => r.testAccuracy)),
    };
  });
  const ranked = out
    .map((row, order) => ({ row, order }))
    .filter(({ row }) => row.bestValLoss.mean !== null)
    .sort(
      (a, b) =>
        a.row.bestValLoss.mean! - b.row.bestValLoss.mean! ||
        (b.row.bestValAccuracy.mean ?? -Infinity) - (a.row.bestValAccuracy.mean ?? -Infinity) ||
        a.order - b.order,
    )
    .map(({ row }, i) => ({ ...row, rank: i + 1 }));
  const unranked = out.filter((row) => row.bestValLoss.mean === null);
  return [...ranked, ...unranked];
}

function emptyFigures() {
  const none = meanStd([]);
  return { bestValLoss: none, bestValAccuracy: none, testAccuracy: none, rank: null };
}

export interface SweepGridCell {
  x: string | number;
  y: string | number;
  /** Mean best validation loss of the completed runs at (x, y) (over every value of any other swept setting). */
  mean: number | null;
  std: number | null;
  n: number;
}

export interface SweepGrid {
  xKey: string;
  yKey: string;
  xValues: (string | number)[];
  yValues: (string | number)[];
  /** rows[y][x], in the axes' value order. */
  rows: SweepGridCell[][];
  /** The lowest and highest cell means (for a colour scale); null when no cell has one. */
  min: number | null;
  max: number | null;
}

/**
 * A heat map over two swept settings: each cell the mean best validation loss of the
 * completed runs with those two values (aggregated over any other swept setting), and n.
 */
export function sweepGrid(group: RunGroup, runs: RunSummary[], xKey: string, yKey: string): SweepGrid {
  const axis = (key: string) => {
    const a = group.axes.find((x) => x.key === key);
    if (!a) throw new Error(`"${key}" is not swept in this group (${group.axes.map((x) => x.key).join(', ') || 'nothing is'})`);
    return a;
  };
  if (xKey === yKey) throw new Error('a grid needs two different swept settings');
  const xs = axis(xKey).values;
  const ys = axis(yKey).values;
  const done = runsOf(group, runs).filter((r) => r.status === 'completed' && r.sweepValues);
  const rows = ys.map((y) =>
    xs.map((x) => {
      const at = done.filter((r) => sameValue(r.sweepValues![xKey]) === sameValue(x) && sameValue(r.sweepValues![yKey]) === sameValue(y));
      const s = meanStd(at.map((r) => r.bestValLoss));
      return { x, y, mean: s.mean, std: s.std, n: s.n };
    }),
  );
  const means = rows.flat().flatMap((c) => (c.mean === null ? [] : [c.mean]));
  return {
    xKey,
    yKey,
    xValues: xs,
    yValues: ys,
    rows,
    min: means.length ? Math.min(...means) : null,
    max: means.length ? Math.max(...means) : null,
  };
}
