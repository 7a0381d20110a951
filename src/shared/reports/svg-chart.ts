/**
 * A line chart as a standalone SVG document: title, axis titles, nice ticks,
 * a legend naming every series, the raw curve faint behind the smoothed one,
 * best-epoch markers, and for a group of runs (a repeat or sweep) its mean curve
 * inside a translucent band from mean − std to mean + std. Pure string building (no DOM), so the renderer's "Save as
 * SVG", the HTML report and the CLI all draw the same picture.
 */

/** One point of a curve; y null where nothing was recorded (the curve breaks there). */
export interface LinePoint {
  x: number;
  y: number | null;
  /** The unsmoothed value, drawn faintly behind the curve where it differs from y. */
  raw?: number | null;
}

/** Where a group's band runs at one x: mean − std and mean + std; null where nothing was recorded (the band breaks there). */
export interface BandPoint {
  x: number;
  lower: number | null;
  upper: number | null;
}

/**
 * One curve as both renderers take it: chart.js on screen (lib/charts/line-chart)
 * and this SVG for files. The comparison's ChartSeries is one of these as it is.
 */
export interface LineSeries {
  label: string;
  color: string;
  points: LinePoint[];
  /** Drawn thin and pale, without dots: the sampled batch losses. */
  faint?: boolean;
  /** The best epoch (raw value), marked on the curve. */
  best?: { x: number; y: number } | null;
  /**
   * A group's spread: drawn as a translucent polygon in the series' colour behind
   * every curve, and the legend names the series "… (mean ± std)" with a band swatch.
   */
  band?: BandPoint[];
}

export interface SvgChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  /** A best-epoch marker's tooltip ("best at epoch 7, 0.881"). */
  bestLabel?: (series: LineSeries, best: { x: number; y: number }) => string;
  /** Default 800 × 480. */
  width?: number;
  height?: number;
  /** Logarithmic y-axis; values ≤ 0 cannot be drawn on it and are left out. */
  logScale?: boolean;
  /** Default white. */
  background?: 'white' | 'transparent';
  /**
   * Default true: an XML declaration and the SVG namespace, for a .svg file.
   * False for an <svg> inlined in HTML, which needs neither.
   */
  standalone?: boolean;
}

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const TEXT = '#222222';
const MUTED = '#666666';
const GRID = '#e3e3e3';
const AXIS = '#888888';

/** Text or attribute value safe inside XML (characters XML forbids are dropped). */
export function escapeXml(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const r2 = (v: number) => String(Math.round(v * 100) / 100);

function niceNum(range: number, round: boolean): number {
  const exp = Math.floor(Math.log10(range));
  const f = range / 10 ** exp;
  const nf = round ? (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) : f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * 10 ** exp;
}

const decimalsOf = (step: number) => Math.max(0, Math.min(12, -Math.floor(Math.log10(step) + 1e-9)));

/** Formats a tick value without floating-point noise (0.30000000000000004 → "0.3"). */
function tickText(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  return s === '-0' || /^-0\.0*$/.test(s) ? s.slice(1) : s;
}

export interface Axis {
  min: number;
  max: number;
  ticks: { value: number; text: string }[];
}

/**
 * Linear ticks at 1, 2 or 5 × 10^k. `expand` widens the domain to whole ticks
 * (the y-axis); otherwise the domain stays the data's and only ticks inside it are
 * kept (the x-axis). `integer` keeps steps whole (epochs).
 */
export function linearAxis(min: number, max: number, o: { count?: number; expand?: boolean; integer?: boolean } = {}): Axis {
  if (!Number.isFinite(min) || !Number.isFinite(max)) [min, max] = [0, 1];
  if (min === max) {
    const pad = o.integer ? 1 : Math.abs(min) * 0.1 || 1;
    [min, max] = [min - pad, max + pad];
  }
  const count = o.count ?? 6;
  let step = niceNum(niceNum(max - min, false) / (count - 1), true);
  if (o.integer) step = Math.max(1, Math.round(step));
  const decimals = o.integer ? 0 : decimalsOf(step);
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: Axis['ticks'] = [];
  for (let i = 0, v = lo; v <= hi + step * 1e-6; i++, v = lo + i * step) {
    const value = Number(v.toFixed(decimals + 2));
    if (!o.expand && (value < min - step * 1e-6 || value > max + step * 1e-6)) continue;
    ticks.push({ value, text: tickText(value, decimals) });
  }
  return o.expand ? { min: lo, max: hi, ticks } : { min, max, ticks };
}

/** Log ticks at 1, 2, 5 × 10^k (only powers of ten when that would crowd the axis). */
export function logAxis(min: number, max: number): Axis {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max)) [min, max] = [0.1, 1];
  if (min === max) [min, max] = [min / 2, max * 2];
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const candidates = (mantissas: number[]) => {
    const out: number[] = [];
    for (let k = lo; k <= hi; k++) for (const m of mantissas) out.push(Number((m * 10 ** k).toPrecision(6)));
    return out;
  };
  const fine = candidates([1, 2, 5]);
  const below = (xs: number[]) => Math.max(...xs.filter((v) => v <= min));
  const above = (xs: number[]) => Math.min(...xs.filter((v) => v >= max));
  let dMin = below(fine);
  let dMax = above(fine);
  let ticks = fine.filter((v) => v >= dMin && v <= dMax);
  if (ticks.length > 10) {
    const coarse = candidates([1]);
    dMin = below(coarse);
    dMax = above(coarse);
    ticks = coarse.filter((v) => v >= dMin && v <= dMax);
  }
  return { min: dMin, max: dMax, ticks: ticks.map((value) => ({ value, text: String(Number(value.toPrecision(3))) })) };
}

/** Rough width of text in the chart's font; enough to lay out margins and the legend. */
const textWidth = (s: string, size: number) => s.length * size * 0.56;

const usable = (y: number | null, log: boolean): y is number => y !== null && Number.isFinite(y) && (!log || y > 0);

export function svgLineChart(o: SvgChartOptions): string {
  const W = Math.max(200, Math.round(o.width ?? 800));
  const H = Math.max(150, Math.round(o.height ?? 480));
  const log = o.logScale ?? false;
  const markers = o.series.flatMap((s) =>
    s.best && Number.isFinite(s.best.x) && usable(s.best.y, log) ? [{ ...s.best, color: s.color, label: o.bestLabel?.(s, s.best) }] : [],
  );

  // Domains from everything drawn.
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of o.series) {
    for (const p of s.points) {
      if (!Number.isFinite(p.x)) continue;
      xs.push(p.x);
      for (const y of [p.y, p.raw ?? null]) if (usable(y, log)) ys.push(y);
    }
    for (const b of s.band ?? []) {
      if (!Number.isFinite(b.x)) continue;
      xs.push(b.x);
      // On a log axis a band reaching 0 or below is cut at the axis' bottom: only its top counts for the domain.
      for (const y of [b.lower, b.upper]) if (usable(y, log)) ys.push(y);
    }
  }
  for (const m of markers) ys.push(m.y);
  const empty = ys.length === 0;
  const xInteger = xs.length > 0 && xs.every(Number.isInteger);
  const xAxis = linearAxis(xs.length ? Math.min(...xs) : 0, xs.length ? Math.max(...xs) : 1, { integer: xInteger, count: 8 });
  const yMin = empty ? (log ? 0.1 : 0) : Math.min(...ys);
  const yMax = empty ? 1 : Math.max(...ys);
  const yAxis = log ? logAxis(yMin, yMax) : linearAxis(yMin, yMax, { expand: true });

  // Layout: title on top, y tick labels on the left, x ticks, x title and the legend below.
  const top = o.title ? 40 : 14;
  const left = 30 + Math.max(...yAxis.ticks.map((t) => textWidth(t.text, 11)), 10) + 8;
  const right = 20;
  const plotWidth = W - left - right;
  const legendItems = o.series.map((s) => {
    const maxChars = Math.max(4, Math.floor((W - 60) / (12 * 0.56)));
    const label = s.band ? `${s.label} (mean ± std)` : s.label;
    const text = label.length > maxChars ? `${label.slice(0, maxChars - 1)}…` : label;
    return { text, color: s.color, band: s.band !== undefined, width: 28 + textWidth(text, 12) + 18 };
  });
  const legendRows: (typeof legendItems)[] = [];
  for (const item of legendItems) {
    const row = legendRows[legendRows.length - 1];
    const used = row ? row.reduce((a, i) => a + i.width, 0) : Infinity;
    if (row && used + item.width <= W - 2 * 16) row.push(item);
    else legendRows.push([item]);
  }
  const legendHeight = legendRows.length * 20;
  const bottom = 22 + 22 + (legendHeight ? legendHeight + 10 : 0) + 6;
  const plotTop = top;
  const plotBottom = Math.max(plotTop + 40, H - bottom);
  const plotHeight = plotBottom - plotTop;

  const sx = (x: number) => left + ((x - xAxis.min) / (xAxis.max - xAxis.min)) * plotWidth;
  const sy = log
    ? (y: number) => plotBottom - ((Math.log10(y) - Math.log10(yAxis.min)) / (Math.log10(yAxis.max) - Math.log10(yAxis.min))) * plotHeight
    : (y: number) => plotBottom - ((y - yAxis.min) / (yAxis.max - yAxis.min)) * plotHeight;

  /** A band's unbroken stretches; on a log axis a lower edge at or below 0 is drawn at the axis' bottom. */
  const bandStretches = (band: BandPoint[]) => {
    const stretches: { x: number; lower: number; upper: number }[][] = [];
    let current: { x: number; lower: number; upper: number }[] = [];
    for (const b of band) {
      const lower = log && b.lower !== null && Number.isFinite(b.lower) && b.lower <= 0 ? yAxis.min : b.lower;
      if (!Number.isFinite(b.x) || !usable(lower, log) || !usable(b.upper, log)) {
        if (current.length) stretches.push(current);
        current = [];
        continue;
      }
      current.push({ x: b.x, lower, upper: b.upper });
    }
    if (current.length) stretches.push(current);
    return stretches;
  };

  /** Path data with a break at every missing value; lone points come back separately to be drawn as dots. */
  const trace = (points: LinePoint[], y: (p: LinePoint) => number | null) => {
    const segments: string[][] = [];
    let current: string[] = [];
    for (const p of points) {
      const v = y(p);
      if (!Number.isFinite(p.x) || !usable(v, log)) {
        if (current.length) segments.push(current);
        current = [];
        continue;
      }
      current.push(`${r2(sx(p.x))} ${r2(sy(v))}`);
    }
    if (current.length) segments.push(current);
    return {
      d: segments
        .filter((s) => s.length > 1)
        .map((s) => `M${s.join(' L')}`)
        .join(' '),
      dots: segments.filter((s) => s.length === 1).map((s) => s[0].split(' ').map(Number) as [number, number]),
    };
  };
  const faintPath = (d: string) => `<path class="raw" d="${d}" stroke-width="1.2" stroke-opacity="0.3"/>`;

  const out: string[] = [];
  const ns = o.standalone === false ? '' : ' xmlns="http://www.w3.org/2000/svg"';
  if (o.standalone !== false) out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<svg${ns} width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${escapeXml(FONT)}" font-size="12" role="img">`,
    `<title>${escapeXml(o.title)}</title>`,
  );
  if ((o.background ?? 'white') === 'white') out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  if (o.title)
    out.push(`<text x="${r2(W / 2)}" y="24" text-anchor="middle" font-size="16" font-weight="600" fill="${TEXT}">${escapeXml(o.title)}</text>`);

  // Grid and ticks.
  out.push('<g class="grid" stroke-width="1">');
  for (const t of yAxis.ticks)
    out.push(`<line x1="${r2(left)}" x2="${r2(left + plotWidth)}" y1="${r2(sy(t.value))}" y2="${r2(sy(t.value))}" stroke="${GRID}"/>`);
  for (const t of xAxis.ticks)
    out.push(`<line x1="${r2(sx(t.value))}" x2="${r2(sx(t.value))}" y1="${r2(plotTop)}" y2="${r2(plotBottom)}" stroke="${GRID}"/>`);
  out.push('</g>');
  out.push(`<g class="axes" fill="${MUTED}" font-size="11">`);
  out.push(`<line x1="${r2(left)}" x2="${r2(left + plotWidth)}" y1="${r2(plotBottom)}" y2="${r2(plotBottom)}" stroke="${AXIS}"/>`);
  out.push(`<line x1="${r2(left)}" x2="${r2(left)}" y1="${r2(plotTop)}" y2="${r2(plotBottom)}" stroke="${AXIS}"/>`);
  for (const t of yAxis.ticks) out.push(`<text x="${r2(left - 6)}" y="${r2(sy(t.value) + 4)}" text-anchor="end">${escapeXml(t.text)}</text>`);
  for (const t of xAxis.ticks) out.push(`<text x="${r2(sx(t.value))}" y="${r2(plotBottom + 16)}" text-anchor="middle">${escapeXml(t.text)}</text>`);
  out.push('</g>');
  out.push(
    `<text class="x-title" x="${r2(left + plotWidth / 2)}" y="${r2(plotBottom + 38)}" text-anchor="middle" font-size="13" fill="${TEXT}">${escapeXml(o.xLabel)}</text>`,
  );
  const yMid = plotTop + plotHeight / 2;
  out.push(
    `<text class="y-title" x="16" y="${r2(yMid)}" transform="rotate(-90 16 ${r2(yMid)})" text-anchor="middle" font-size="13" fill="${TEXT}">${escapeXml(o.yLabel)}</text>`,
  );
  if (empty) out.push(`<text x="${r2(left + plotWidth / 2)}" y="${r2(yMid)}" text-anchor="middle" fill="${MUTED}">No values recorded yet</text>`);

  // Bands behind every curve: one polygon per unbroken stretch, along the top left to right and back along the bottom.
  const bandSeries = o.series.filter((s) => s.band?.length);
  if (bandSeries.length) {
    out.push('<g class="bands">');
    for (const s of bandSeries) {
      out.push(`<g class="band" data-label="${escapeXml(s.label)}" fill="${escapeXml(s.color)}" stroke="${escapeXml(s.color)}">`);
      for (const stretch of bandStretches(s.band!)) {
        const top = stretch.map((b) => `${r2(sx(b.x))},${r2(sy(b.upper))}`);
        const bottom = stretch.map((b) => `${r2(sx(b.x))},${r2(sy(b.lower))}`).reverse();
        if (stretch.length === 1) {
          // One epoch: the spread as an error bar.
          const x = r2(sx(stretch[0].x));
          out.push(
            `<line class="band-bar" x1="${x}" x2="${x}" y1="${r2(sy(stretch[0].upper))}" y2="${r2(sy(stretch[0].lower))}" stroke-width="6" stroke-opacity="0.25"/>`,
          );
        } else out.push(`<polygon class="band" points="${[...top, ...bottom].join(' ')}" fill-opacity="0.18" stroke="none"/>`);
      }
      out.push('</g>');
    }
    out.push('</g>');
  }

  // Raw curves first (faint), then the smoothed ones over them.
  for (const s of o.series) {
    out.push(
      `<g class="series" data-label="${escapeXml(s.label)}" fill="none" stroke="${escapeXml(s.color)}" stroke-linejoin="round" stroke-linecap="round">`,
    );
    if (s.points.some((p) => p.raw !== undefined && p.raw !== p.y)) {
      const raw = trace(s.points, (p) => p.raw ?? null);
      if (raw.d) out.push(faintPath(raw.d));
    }
    const line = trace(s.points, (p) => p.y);
    if (line.d) out.push(s.faint ? faintPath(line.d) : `<path class="line" d="${line.d}" stroke-width="2"/>`);
    if (!s.faint)
      for (const [x, y] of line.dots)
        out.push(`<circle class="dot" cx="${r2(x)}" cy="${r2(y)}" r="2.5" fill="${escapeXml(s.color)}" stroke="none"/>`);
    out.push('</g>');
  }

  if (markers.length) {
    out.push('<g class="markers">');
    for (const m of markers) {
      const tip = m.label ? `<title>${escapeXml(m.label)}</title>` : '';
      out.push(
        `<circle class="best" cx="${r2(sx(m.x))}" cy="${r2(sy(m.y))}" r="5" fill="${escapeXml(m.color)}" stroke="#ffffff" stroke-width="1.5">${tip}</circle>`,
      );
    }
    out.push('</g>');
  }

  // Legend, centred in rows under the x-axis title.
  if (legendRows.length) {
    out.push(`<g class="legend" font-size="12" fill="${TEXT}">`);
    legendRows.forEach((row, r) => {
      const rowWidth = row.reduce((a, i) => a + i.width, 0) - 18;
      let x = Math.max(8, (W - rowWidth) / 2);
      const y = plotBottom + 62 + r * 20;
      for (const item of row) {
        const swatch = item.band
          ? `<rect class="band-swatch" x="${r2(x)}" y="${r2(y - 10)}" width="22" height="12" fill="${escapeXml(item.color)}" fill-opacity="0.18"/>`
          : '';
        out.push(
          `<g class="legend-item">${swatch}<line x1="${r2(x)}" x2="${r2(x + 22)}" y1="${r2(y - 4)}" y2="${r2(y - 4)}" stroke="${escapeXml(item.color)}" stroke-width="3"/>` +
            `<text x="${r2(x + 28)}" y="${r2(y)}">${escapeXml(item.text)}</text></g>`,
        );
        x += item.width;
      }
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
