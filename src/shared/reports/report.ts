/**
 * A comparison as one self-contained HTML file: the four charts as inline SVG
 * (each repeat or sweep as its mean curve in a ± std band), the summary (groups as
 * mean ± std), settings and architecture tables, and for each run evaluated its
 * confusion matrix, per-class figures and most confused pairs. No scripts and no external
 * references of any kind, so it opens offline, in a mail client or an archive,
 * and prints to PDF as it is.
 */
import {
  architectureDiff,
  chartSeries,
  higherIsBetter,
  METRIC_LABELS,
  METRICS,
  runColor,
  runLabels,
  settingsTable,
  smooth,
  summaryTable,
  type Metric,
  type SummaryRow,
} from './compare';
import type { RunDetail } from '../contract/runs';
import type { RunEvaluation } from '../contract/evaluation';
import { confusedPairText, confusionSvg } from './evaluation';
import type { ComparedGroup } from './export-data';
import { formatMeanStd, groupCurves, groupSummary, type GroupSummaryRow } from './groups';
import { escapeXml, svgLineChart, type LineSeries } from './svg-chart';

export interface ReportOptions {
  title?: string;
  /** TensorBoard smoothing weight in [0, 1); 0 = raw. */
  smoothing?: number;
  /** When the report was made (ISO); shown under the title. */
  generatedAt?: string;
  /**
   * Evaluations of the runs' predictions: a section for each one whose run is in the
   * report (in the runs' order), with its confusion matrix, per-class table and most
   * confused pairs. Evaluations of other runs are left out.
   */
  evaluations?: RunEvaluation[];
  /**
   * Repeats and sweeps compared beside the runs, coloured after them: each a mean
   * curve in a ± std band in the charts, and a mean ± std column in the summary.
   */
  groups?: ComparedGroup[];
}

/**
 * A group's mean curve (epochs on x) with its band from mean − std to mean + std
 * (groupCurves), smoothed as the runs' curves are; the raw mean stays faint behind and
 * the marker sits on the best raw mean.
 */
export function groupLineSeries(g: ComparedGroup, metric: Metric, color: string, smoothing = 0): LineSeries {
  const curve = groupCurves(g.runs, metric);
  const raw = curve.map((p) => p.mean);
  const mean = smooth(raw, smoothing);
  const upper = smooth(
    curve.map((p) => p.mean + p.std),
    smoothing,
  );
  const lower = smooth(
    curve.map((p) => p.mean - p.std),
    smoothing,
  );
  let best = -1;
  raw.forEach((v, i) => {
    if (best < 0 || (higherIsBetter(metric) ? v > raw[best] : v < raw[best])) best = i;
  });
  return {
    label: g.group.name,
    color,
    points: curve.map((p, i) => ({ x: p.epoch, y: mean[i], raw: raw[i] })),
    best: best < 0 ? null : { x: curve[best].epoch, y: raw[best] },
    band: curve.map((p, i) => ({ x: p.epoch, lower: lower[i], upper: upper[i] })),
  };
}

const esc = escapeXml;

const STYLE = `
  :root { color-scheme: light; }
  * { box-sizing: border-box; }
  body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; color: #1f2328; background: #ffffff; margin: 0; padding: 24px 32px 48px; max-width: 1400px; }
  h1 { font-size: 22px; margin: 0 0 4px; }
  h2 { font-size: 17px; margin: 32px 0 10px; border-bottom: 1px solid #d8dee4; padding-bottom: 4px; }
  .meta { color: #59636e; margin: 0 0 16px; }
  .runs { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 6px 20px; }
  .runs li { display: flex; align-items: center; gap: 6px; }
  .swatch { display: inline-block; width: 14px; height: 14px; border-radius: 3px; flex: none; }
  .swatch.band { opacity: 0.5; }
  .muted { color: #59636e; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; }
  .charts figure { margin: 0; border: 1px solid #d8dee4; border-radius: 6px; padding: 4px; }
  .charts svg { width: 100%; height: auto; display: block; }
  table { border-collapse: collapse; margin: 0 0 8px; font-variant-numeric: tabular-nums; }
  th, td { border: 1px solid #d8dee4; padding: 4px 10px; text-align: left; vertical-align: top; }
  thead th { background: #f6f8fa; }
  td.num { text-align: right; }
  td.best { font-weight: 700; background: #dafbe1; }
  tr.differs td { background: #fff8c5; }
  tr.differs th { background: #fff8c5; }
  .changed { color: #9a6700; font-size: 12px; }
  .toggle { display: inline-flex; gap: 6px; align-items: center; margin: 0 0 8px; cursor: pointer; }
  #only-differences:checked ~ table tr.same { display: none; }
  .notes { white-space: pre-wrap; }
  .evaluation { display: flex; flex-wrap: wrap; gap: 16px 32px; align-items: flex-start; margin: 0 0 16px; }
  .evaluation figure { margin: 0; border: 1px solid #d8dee4; border-radius: 6px; padding: 4px; flex: 0 1 660px; }
  .evaluation svg { width: 100%; height: auto; display: block; }
  .evaluation ol { margin: 4px 0 0; padding-left: 22px; }
  h3 { font-size: 15px; margin: 20px 0 6px; }
  @media print {
    body { padding: 0; }
    .toggle { display: none; }
    .charts { grid-template-columns: 1fr 1fr; }
    figure, table, .evaluation { break-inside: avoid; }
  }
`;

const fmt = (v: number | string | null, key?: string): string => {
  if (v === null) return '—';
  if (typeof v === 'string') return v;
  if (key === 'params') return v.toLocaleString('en-US');
  if (key === 'bestEpoch') return String(v);
  if (key === 'secondsPerEpoch') return v.toFixed(1);
  if (/Accuracy$/.test(key ?? '')) return `${(v * 100).toFixed(2)}%`;
  return v.toFixed(4);
};

/** A group's figure as mean ± std (n), as the Compare view's summary shows it: accuracies in percent. */
function groupCell(key: string, row: GroupSummaryRow | undefined): string {
  if (!row || row.mean === null || row.n === 0) return '—';
  if (!/Accuracy$/.test(key)) return formatMeanStd(row.mean, row.std, row.n, row.digits);
  // formatMeanStd's layout, in percent.
  const percent = (v: number) => `${(v * 100).toFixed(2)}%`;
  return row.n === 1 || row.std === null ? `${percent(row.mean)} (n=${row.n})` : `${percent(row.mean)} ± ${percent(row.std)} (n=${row.n})`;
}

const groupHeader = (groups: ComparedGroup[], colors: string[]) =>
  groups
    .map(
      (g, i) =>
        `<th scope="col" class="group"><span class="swatch band" style="background:${esc(colors[i])}"></span> ${esc(g.group.name)}<br><span class="muted">${esc(g.group.kind)} · mean ± std</span></th>`,
    )
    .join('');

/** Beside a run's label: "#7 adam run" — only "#7" for a named run, whose label already starts with its name. */
function idAndName(r: RunDetail): string {
  return r.named && r.name.trim() ? `#${r.id}` : `#${r.id} ${esc(r.name)}`;
}

function runHeader(runs: RunDetail[], labels: string[]): string {
  return runs
    .map(
      (r, i) =>
        `<th scope="col"><span class="swatch" style="background:${esc(runColor(i))}"></span> ${esc(labels[i])}<br><span class="muted">${idAndName(r)}</span></th>`,
    )
    .join('');
}

function summarySection(runs: RunDetail[], labels: string[], rows: SummaryRow[], groups: ComparedGroup[], groupColors: string[]): string {
  // Over each group's completed runs, as the Compare view counts them.
  const groupRows = groups.map((g) => new Map(groupSummary(g.runs.filter((r) => r.status === 'completed')).map((row) => [row.key as string, row])));
  const body = rows
    .map((row) => {
      const groupCells = groupRows.map((byKey) => `<td class="num group-cell">${esc(groupCell(row.key, byKey.get(row.key)))}</td>`).join('');
      const cells = row.values
        .map((v, i) => {
          const cls = [typeof v === 'number' ? 'num' : '', row.best === i ? 'best' : ''].filter(Boolean).join(' ');
          return `<td${cls ? ` class="${cls}"` : ''}>${esc(fmt(v, row.key))}</td>`;
        })
        .join('');
      return `<tr data-key="${esc(row.key)}"><th scope="row">${esc(row.label)}</th>${cells}${groupCells}</tr>`;
    })
    .join('\n');
  const groupNote = groups.length ? ' A repeat’s or sweep’s column: mean ± sample standard deviation over its completed runs, and how many (n).' : '';
  return `<table class="summary"><thead><tr><th></th>${runHeader(runs, labels)}${groupHeader(groups, groupColors)}</tr></thead><tbody>\n${body}\n</tbody></table>
<p class="muted">Bold: the best run for that figure. The best epoch is the one with the lowest validation loss (as Keras's EarlyStopping picks it).${groupNote}</p>`;
}

function settingsSection(runs: RunDetail[], labels: string[]): string {
  const rows = settingsTable(runs);
  const body = rows
    .map((row) => {
      const cells = row.values.map((v) => `<td>${esc(v)}</td>`).join('');
      return `<tr class="${row.differs ? 'differs' : 'same'}"><th scope="row">${esc(row.label)}</th>${cells}</tr>`;
    })
    .join('\n');
  const n = rows.filter((r) => r.differs).length;
  return `<input type="checkbox" id="only-differences"><label class="toggle" for="only-differences">Only differences (${n} of ${rows.length} rows)</label>
<table class="settings"><thead><tr><th></th>${runHeader(runs, labels)}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function architectureSection(runs: RunDetail[], labels: string[]): string {
  const rows = architectureDiff(runs);
  const body = rows
    .map((row) => {
      const cells = row.values.map((v) => `<td>${v === null ? '<span class="muted">none</span>' : esc(v)}</td>`).join('');
      const changed = row.differs ? (row.changedFields.length ? row.changedFields.join(', ') : 'present in some runs only') : '';
      return `<tr class="${row.differs ? 'differs' : 'same'}"><th scope="row">${row.index + 1}</th>${cells}<td class="changed">${esc(changed)}</td></tr>`;
    })
    .join('\n');
  const differing = rows.filter((r) => r.differs).length;
  const note = differing ? `${differing} of ${rows.length} layers differ.` : 'The networks are the same layer for layer.';
  return `<p class="muted">${note}</p>
<table class="architecture"><thead><tr><th>Layer</th>${runHeader(runs, labels)}<th>What differs</th></tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function chartsSection(runs: RunDetail[], smoothing: number, groups: ComparedGroup[], groupColors: string[]): string {
  const figures = METRICS.map((metric) => {
    const svg = svgLineChart({
      title: METRIC_LABELS[metric],
      xLabel: 'Epoch',
      yLabel: METRIC_LABELS[metric],
      series: [
        ...chartSeries(runs, metric, { xAxis: 'epoch', smoothing }),
        ...groups.map((g, i) => groupLineSeries(g, metric, groupColors[i], smoothing)),
      ],
      bestLabel: (s, best) => `${s.label}: best ${higherIsBetter(metric) ? 'highest' : 'lowest'} at epoch ${best.x}, ${best.y.toFixed(4)}`,
      width: 640,
      height: 400,
      standalone: false,
    });
    return `<figure>${svg}</figure>`;
  });
  return `<div class="charts">\n${figures.join('\n')}\n</div>`;
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

function perClassTable(e: RunEvaluation): string {
  const body = e.perClass
    .map(
      (f) =>
        `<tr><td class="num">${f.class}</td><th scope="row">${esc(f.name)}</th><td class="num">${f.precision.toFixed(4)}</td><td class="num">${f.recall.toFixed(4)}</td><td class="num">${f.f1.toFixed(4)}</td><td class="num">${f.support}</td></tr>`,
    )
    .join('\n');
  return `<table class="per-class"><thead><tr><th>Class</th><th>Name</th><th>Precision</th><th>Recall</th><th>F1</th><th>Support</th></tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function evaluationSection(run: RunDetail, label: string, e: RunEvaluation): string {
  const split = e.split === 'test' ? 'test set' : 'validation split';
  const pairs = e.confusedPairs.length
    ? `<ol class="confused-pairs">\n${e.confusedPairs.map((p) => `<li>${esc(confusedPairText(p, e.classNames))}</li>`).join('\n')}\n</ol>`
    : '<p class="muted">No image is taken for another class.</p>';
  const svg = confusionSvg(e, { standalone: false, title: `${label}: confusion matrix (${split})` });
  return `<h3 class="evaluation-title">${esc(label)} <span class="muted">${idAndName(run)} · ${split}, ${e.count.toLocaleString('en-US')} images</span></h3>
<p>Accuracy ${pct(e.accuracy)} · top-2 accuracy ${pct(e.top2Accuracy)}</p>
<div class="evaluation">
<figure>${svg}</figure>
<div>
${perClassTable(e)}
<p class="muted">Precision is 0 for a class never predicted, recall 0 for a class with no images.</p>
<h4>Most confused</h4>
${pairs}
</div>
</div>`;
}

function evaluationsSection(runs: RunDetail[], labels: string[], evaluations: RunEvaluation[]): string {
  return runs.flatMap((run, i) => evaluations.filter((e) => e.runId === run.id).map((e) => evaluationSection(run, labels[i], e))).join('\n');
}

/** The whole comparison in one HTML file that needs nothing else to be read. */
export function comparisonReportHtml(runs: RunDetail[], o: ReportOptions = {}): string {
  const labels = runLabels(runs);
  const smoothing = o.smoothing ?? 0;
  const groups = o.groups ?? [];
  const groupColors = groups.map((_, i) => runColor(runs.length + i));
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const counted = [
    runs.length || !groups.length ? count(runs.length, 'run', 'runs') : '',
    groups.length ? count(groups.length, 'group', 'groups') : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const title = o.title?.trim() || `Comparison of ${counted}`;
  const meta = [
    o.generatedAt ? `Made ${esc(o.generatedAt)}` : '',
    smoothing > 0 ? `curves smoothed (weight ${smoothing}), raw values faint behind them` : 'raw curves, no smoothing',
    'dots mark each run’s best epoch',
    groups.length ? 'each repeat or sweep is its mean over its runs in a band of ± one standard deviation' : '',
  ].filter(Boolean);
  const runList = runs
    .map(
      (r, i) =>
        `<li><span class="swatch" style="background:${esc(runColor(i))}"></span><strong>${esc(labels[i])}</strong> <span class="muted">${idAndName(r)} · ${esc(r.status)} · ${r.epochs.length}/${r.config.epochs} epochs</span></li>`,
    )
    .join('\n');
  const groupList = groups
    .map(
      (g, i) =>
        `<li class="group"><span class="swatch band" style="background:${esc(groupColors[i])}"></span><strong>${esc(g.group.name)}</strong> <span class="muted">${esc(g.group.kind)} · mean ± std over ${count(g.runs.length, 'run', 'runs')} (${g.runs.map((r) => `#${r.id}`).join(' ')})</span></li>`,
    )
    .join('\n');
  const evaluations = evaluationsSection(runs, labels, o.evaluations ?? []);
  const notes = runs
    .map((r, i) => (r.notes.trim() ? `<li><strong>${esc(labels[i])}</strong>: <span class="notes">${esc(r.notes)}</span></li>` : ''))
    .filter(Boolean);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Layerlab">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">${meta.join(' · ')}</p>
<ul class="runs">
${[runList, groupList].filter(Boolean).join('\n')}
</ul>
<h2>Curves</h2>
${chartsSection(runs, smoothing, groups, groupColors)}
<h2>Summary</h2>
${summarySection(runs, labels, summaryTable(runs), groups, groupColors)}
${runs.length ? `<h2>Settings</h2>\n${settingsSection(runs, labels)}\n<h2>Architecture</h2>\n${architectureSection(runs, labels)}` : ''}
${evaluations ? `<h2>Predictions</h2>\n${evaluations}` : ''}
${notes.length ? `<h2>Notes</h2>\n<ul>\n${notes.join('\n')}\n</ul>` : ''}
</body>
</html>
`;
}
