/**
 * The one chart.js configuration every on-screen chart is drawn from (live run
 * charts, comparison charts, and the comparison's PNG export). Pure: chart.js
 * types only, so it runs in plain Node for the tests; chartjs.ts registers and draws.
 */
import type { ChartConfiguration, ChartDataset, ChartType, Plugin, TooltipItem } from 'chart.js';
import type { LineSeries } from '../../../shared/reports/svg-chart';

export interface XY {
  x: number;
  y: number | null;
}

/** A curve with how it is drawn beyond its colour: the layer charts thicken and dim lines to point at evidence. */
export interface ChartLine extends LineSeries {
  /** Line width in CSS pixels; default 2. */
  width?: number;
  /** Drawn pale and thin: a line the highlighted evidence is not about. */
  dim?: boolean;
  /** Drawn faintly and left out of the legend and the tooltip: a group's own runs behind its mean. */
  quiet?: boolean;
  /** Added to the tooltip's line for the point at this index: "± 0.012 (n=3)". */
  note?: (index: number) => string;
}

/** A translucent area between two curves in a series' colour: a group's mean ± standard deviation. */
export interface SpreadBand {
  /** "lr=0.01 (mean ± std)". */
  label: string;
  color: string;
  points: { x: number; lower: number | null; upper: number | null }[];
}

/** A dashed horizontal reference line, such as chance level. */
export interface Guide {
  y: number;
  /** Written beside the line: "Chance". */
  label: string;
  /** The value as the axis writes it, for the note when the line is off the plot: "Chance 2.303 ↑". */
  value: string;
  /** The y axis reaches the line even where no curve does; otherwise it is drawn only where the axis already is. */
  fit?: boolean;
}

/** Epochs to shade (inclusive), where a finding's evidence lies. */
export interface Band {
  from: number;
  to: number;
}

/** What the annotations plugin draws, passed in the chart's options (so a live chart can change it in place). */
export interface Annotations {
  guides: Guide[];
  band: Band | null;
  /** The guides' lines and words; the light look when absent. */
  color?: string;
}

/**
 * The colours of a chart's frame: axes, grid, guides, tooltip, the outline of the
 * best-epoch marker. On screen they come from the theme's CSS tokens (chartjs.ts);
 * a file (PNG) keeps the light look, which is what gets pasted into documents.
 */
export interface ChartChrome {
  text: string;
  grid: string;
  guide: string;
  /** Around the best-epoch marker: the colour behind the plot, so the marker stands out of its curve. */
  marker: string;
  tooltip: string;
  tooltipText: string;
  /** Series colours swapped for ones that show on this background (the dark theme's lighter shades). */
  series?: Record<string, string>;
}

export const LIGHT_CHROME: ChartChrome = {
  text: '#4b5563',
  grid: '#e5e7eb',
  guide: '#6b7280',
  marker: '#ffffff',
  tooltip: 'rgba(0, 0, 0, 0.8)',
  tooltipText: '#ffffff',
};

/**
 * The run colours that fall under 3:1 on the dark panel (#1b1f25), each as a lighter
 * shade of its hue that reaches it; the others (Okabe & Ito's, most of Tol's) show as they are.
 */
export const DARK_SERIES: Record<string, string> = {
  '#332288': '#7b6fe0', // indigo 1.4 → 4.1
  '#882255': '#c0508a', // wine 1.9 → 3.8
  '#117733': '#2e9e50', // green 2.9 → 4.8
  '#661100': '#a8582a', // brown 1.3 → 3.2
  '#555555': '#8c8c8c', // grey 2.2 → 4.9
  '#1d4ed8': '#5b8def', // a run's training curve 2.5 → 5.1
};

export interface LineChartSpec {
  series: ChartLine[];
  x: {
    title: string;
    min: number;
    max?: number;
    /** Ticks for an axis that is not in epochs (training time); the tooltip then says when, too. */
    format?: (x: number) => string;
  };
  y: {
    title?: string;
    min?: number;
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
  /** Dashed reference lines across the plot. */
  guides?: Guide[];
  /** A translucent band over these epochs: the evidence of the finding being looked at. */
  band?: Band | null;
  /** Mean ± std areas, drawn under the curves (their edges count in the y axis's range). */
  spreads?: SpreadBand[];
}

type Role = 'line' | 'raw' | 'best' | 'quiet' | 'upper' | 'lower';

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

export const ANNOTATIONS_ID = 'layerlabAnnotations';
export const SPREADS_ID = 'layerlabSpreads';
/** Which datasets bound each spread band, and its fill. */
export interface SpreadFills {
  fills: { upper: number; lower: number; color: string }[];
}
declare module 'chart.js' {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- chart.js declares it with this parameter
  interface PluginOptionsByType<TType extends ChartType> {
    layerlabAnnotations: Annotations;
    layerlabSpreads: SpreadFills;
  }
}
const BAND_FILL = 'rgba(245, 158, 11, 0.16)';
const BAND_EDGE = 'rgba(217, 119, 6, 0.55)';

/** The band's x range: the epochs themselves, or half an epoch either side of a single one (so it shows). */
export function bandExtent(band: Band): { from: number; to: number } {
  const from = Math.min(band.from, band.to);
  const to = Math.max(band.from, band.to);
  return from === to ? { from: from - 0.5, to: to + 0.5 } : { from, to };
}

/**
 * Draws the evidence band and the guides under the curves. One plugin object for
 * every chart; what it draws comes from options.plugins.layerlabAnnotations, which
 * the live chart swaps in place like the rest of its options.
 */
export const annotationsPlugin: Plugin<'line'> = {
  id: ANNOTATIONS_ID,
  beforeDatasetsDraw(chart, _args, options: Partial<Annotations> | undefined) {
    const { ctx, chartArea: area } = chart;
    const { x, y } = chart.scales;
    if (!area || !x || !y) return;
    const clampX = (px: number) => Math.min(area.right, Math.max(area.left, px));
    ctx.save();
    if (options?.band) {
      const { from, to } = bandExtent(options.band);
      const left = clampX(x.getPixelForValue(from));
      const right = clampX(x.getPixelForValue(to));
      if (right > left) {
        ctx.fillStyle = BAND_FILL;
        ctx.fillRect(left, area.top, right - left, area.bottom - area.top);
        ctx.strokeStyle = BAND_EDGE;
        ctx.lineWidth = 1;
        ctx.strokeRect(left, area.top, right - left, area.bottom - area.top);
      }
    }
    ctx.font = `11px ${chart.options.font?.family ?? 'system-ui, sans-serif'}`;
    ctx.fillStyle = options?.color ?? LIGHT_CHROME.guide;
    ctx.strokeStyle = options?.color ?? LIGHT_CHROME.guide;
    ctx.textAlign = 'right';
    for (const g of options?.guides ?? []) {
      const py = y.getPixelForValue(g.y);
      if (!Number.isFinite(py)) continue;
      if (py < area.top - 0.5 || py > area.bottom + 0.5) {
        // Off the plot: say where it is rather than stretch the axis over it.
        const above = py < area.top;
        ctx.textBaseline = above ? 'top' : 'bottom';
        ctx.fillText(`${g.label} ${g.value} ${above ? '↑' : '↓'}`, area.right - 4, above ? area.top + 2 : area.bottom - 2);
        continue;
      }
      ctx.lineWidth = 1;
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(area.left, py);
      ctx.lineTo(area.right, py);
      ctx.stroke();
      ctx.setLineDash([]);
      // Above the line, unless that would leave the plot.
      const below = py - area.top < 14;
      ctx.textBaseline = below ? 'top' : 'bottom';
      ctx.fillText(g.label, area.right - 4, below ? py + 2 : py - 2);
    }
    ctx.restore();
  },
};

/**
 * Fills each spread band between its upper and lower datasets (as chart.js's Filler
 * would, without registering it): one polygon per stretch of epochs where both
 * edges have a value, clipped to the plot, under the curves.
 */
export const spreadsPlugin: Plugin<'line'> = {
  id: SPREADS_ID,
  beforeDatasetsDraw(chart, _args, options: Partial<SpreadFills> | undefined) {
    const area = chart.chartArea;
    if (!area || !options?.fills?.length) return;
    const ctx = chart.ctx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
    ctx.clip();
    for (const fill of options.fills) {
      const upper = chart.getDatasetMeta(fill.upper);
      const lower = chart.getDatasetMeta(fill.lower);
      if (!upper?.data || !lower?.data || upper.hidden || lower.hidden) continue;
      const n = Math.min(upper.data.length, lower.data.length);
      const usable = (j: number) => {
        const u = upper.data[j] as unknown as { x: number; y: number; skip?: boolean };
        const l = lower.data[j] as unknown as { x: number; y: number; skip?: boolean };
        return !u.skip && !l.skip && Number.isFinite(u.y) && Number.isFinite(l.y);
      };
      ctx.fillStyle = fill.color;
      let j = 0;
      while (j < n) {
        if (!usable(j)) {
          j++;
          continue;
        }
        let end = j;
        while (end + 1 < n && usable(end + 1)) end++;
        ctx.beginPath();
        for (let k = j; k <= end; k++) {
          const p = upper.data[k];
          if (k === j) ctx.moveTo(p.x, p.y);
          else ctx.lineTo(p.x, p.y);
        }
        for (let k = end; k >= j; k--) ctx.lineTo(lower.data[k].x, lower.data[k].y);
        ctx.closePath();
        ctx.fill();
        j = end + 1;
      }
    }
    ctx.restore();
  },
};

// clip > 0: markers on the first and last epoch (the plot's edges) show whole.
const lineStyle = (color: string, width = 2) => ({
  borderColor: color,
  backgroundColor: color,
  borderWidth: width,
  pointHoverRadius: 4,
  tension: 0,
  clip: 6,
  order: 1,
});
const faintStyle = (color: string) => ({ ...lineStyle(faint(color)), borderWidth: 1.2, pointRadius: 0, pointHoverRadius: 0, order: 2 });
const bestStyle = (color: string, marker: string) => ({
  borderColor: marker,
  backgroundColor: color,
  borderWidth: 1.5,
  pointRadius: 6,
  pointHoverRadius: 7,
  pointStyle: 'rectRot' as const,
  showLine: false,
  clip: 8,
  order: 0,
});

export function lineChartConfig(spec: LineChartSpec, chrome: ChartChrome = LIGHT_CHROME): ChartConfiguration<'line', XY[]> {
  const shown = (color: string) => chrome.series?.[color.toLowerCase()] ?? color;
  const datasets: ChartDataset<'line', XY[]>[] = [];
  const roles: Role[] = [];
  const seriesOf: number[] = [];
  const add = (role: Role, i: number, dataset: ChartDataset<'line', XY[]>) => {
    datasets.push(dataset);
    roles.push(role);
    seriesOf.push(i);
  };
  const usable = (y: number | null | undefined): y is number => typeof y === 'number' && Number.isFinite(y) && (!spec.y.log || y > 0);
  spec.series.forEach((line, i) => {
    const s = { ...line, color: shown(line.color) };
    const data = s.points.map((p) => ({ x: p.x, y: usable(p.y) ? p.y : null }));
    // Dots help read a short run; on a long one they would hide the line.
    if (s.quiet) {
      add('quiet', i, { label: `${s.label} (run)`, data, ...faintStyle(s.color), borderWidth: 1, order: 3 });
      return;
    }
    const style = s.faint
      ? faintStyle(s.color)
      : s.dim
        ? { ...lineStyle(faint(s.color, 0.3), 1.2), pointRadius: 0, order: 2 }
        : { ...lineStyle(s.color, s.width), pointRadius: (c: { dataset: { data: unknown[] } }) => (c.dataset.data.length > 40 ? 0 : 2) };
    add('line', i, { label: s.label, data, ...style });
    if (spec.raw)
      add('raw', i, { label: `${s.label} (raw)`, data: s.points.map((p) => ({ x: p.x, y: usable(p.raw) ? p.raw : null })), ...faintStyle(s.color) });
    if (s.best && usable(s.best.y))
      add('best', i, { label: `${s.label} (best)`, data: [{ x: s.best.x, y: s.best.y }], ...bestStyle(s.color, chrome.marker) });
  });
  const fills: SpreadFills['fills'] = [];
  for (const band of spec.spreads ?? []) {
    const edge = (role: 'upper' | 'lower') => {
      add(role, -1, {
        label: `${band.label} (${role === 'upper' ? 'mean + std' : 'mean − std'})`,
        data: band.points.map((p) => ({ x: p.x, y: usable(p[role]) ? p[role] : null })),
        borderColor: 'transparent',
        backgroundColor: 'transparent',
        borderWidth: 0,
        pointRadius: 0,
        pointHoverRadius: 0,
        tension: 0,
        order: 4,
      });
      return datasets.length - 1;
    };
    const upper = edge('upper');
    const lower = edge('lower');
    fills.push({ upper, lower, color: faint(shown(band.color), 0.18) });
  }
  // The legend and the tooltip name the series; a raw curve and a marker belong to theirs.
  const named = (datasetIndex: number | undefined) => roles[datasetIndex ?? -1] === 'line';

  const { x, y } = spec;
  const max = x.max ?? Infinity;
  const guides = (spec.guides ?? []).filter((g) => Number.isFinite(g.y) && (!y.log || g.y > 0));
  const fitted = guides.filter((g) => g.fit).map((g) => g.y);
  const annotations: Annotations = { guides, band: spec.band ?? null, color: chrome.guide };
  const axis = { ticks: { color: chrome.text }, grid: { color: chrome.grid }, border: { color: chrome.grid } };
  return {
    type: 'line',
    data: { datasets },
    plugins: spec.background ? [backgroundPlugin(spec.background), annotationsPlugin, spreadsPlugin] : [annotationsPlugin, spreadsPlugin],
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
          ...axis,
          title: { display: true, text: x.title, color: chrome.text },
          ticks: {
            color: chrome.text,
            ...(x.format
              ? { callback: (v: number | string) => x.format!(Number(v)), maxTicksLimit: 8 }
              : { stepSize: max <= 20 ? 1 : undefined, precision: 0 }),
          },
        },
        y: {
          type: y.log ? 'logarithmic' : 'linear',
          min: y.min,
          max: y.max,
          // Fitted guides pull the axis out to reach them (chance level on a run that starts there).
          suggestedMin: fitted.length ? Math.min(...fitted) : undefined,
          suggestedMax: fitted.length ? Math.max(...fitted) : undefined,
          ...axis,
          title: { display: y.title !== undefined, text: y.title, color: chrome.text },
          ticks: { color: chrome.text, callback: (v) => y.tick(Number(v)), maxTicksLimit: 8 },
        },
      },
      plugins: {
        layerlabAnnotations: annotations,
        layerlabSpreads: { fills },
        title: { display: spec.title !== undefined, text: spec.title, color: chrome.text, font: { size: 14, weight: 'bold' } },
        legend:
          spec.legend === 'top'
            ? {
                position: 'top',
                align: 'end',
                labels: { color: chrome.text, boxWidth: 12, boxHeight: 2, filter: (item) => named(item.datasetIndex) },
              }
            : {
                display: spec.legend === 'bottom',
                position: 'bottom',
                labels: { color: chrome.text, boxWidth: 18, boxHeight: 3, filter: (item) => named(item.datasetIndex) },
              },
        tooltip: {
          filter: (item: TooltipItem<'line'>) => named(item.datasetIndex),
          backgroundColor: chrome.tooltip,
          titleColor: chrome.tooltipText,
          bodyColor: chrome.tooltipText,
          footerColor: chrome.tooltipText,
          callbacks: {
            // On a time axis x is seconds, so the epoch is the point's place in its run.
            title: ([item]) => {
              if (!item) return '';
              const epoch = x.format ? item.dataIndex + 1 : Number((item.parsed.x ?? 0).toFixed(2));
              return epoch === 0 ? 'Epoch 0 (before training)' : `Epoch ${epoch}`;
            },
            label: (item) => {
              const s = spec.series[seriesOf[item.datasetIndex]];
              const p = s?.points[item.dataIndex];
              if (!s || !p) return '';
              const raw = spec.raw ? ` (raw ${y.value(p.raw)})` : '';
              const when = x.format ? ` at ${x.format(p.x)}` : '';
              const best = spec.bestNote && s.best?.x === p.x ? ` · ${spec.bestNote}` : '';
              const note = s.note ? s.note(item.dataIndex) : '';
              return `${s.label}: ${y.value(p.y)}${note}${raw}${when}${best}`;
            },
          },
        },
      },
    },
  };
}
