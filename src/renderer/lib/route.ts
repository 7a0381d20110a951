/**
 * The view and the comparison in the address, as text and back (pure; the store
 * in stores/route.svelte.ts keeps the address in step with the app).
 */
import type { View } from './view';

export interface CompareOptions {
  xAxis: 'epoch' | 'time';
  logScale: boolean;
  /** TensorBoard smoothing weight in [0, 1). */
  smoothing: number;
  onlyDifferences: boolean;
}

export const DEFAULT_OPTIONS: CompareOptions = { xAxis: 'epoch', logScale: false, smoothing: 0.6, onlyDifferences: false };
/** The slider's top: beyond this the curve is mostly its own past. */
export const MAX_SMOOTHING = 0.95;

/** Options from anything (a saved comparison, the address), each one checked. */
export function cleanOptions(o: Partial<CompareOptions> | undefined): CompareOptions {
  const s = Number(o?.smoothing);
  return {
    xAxis: o?.xAxis === 'time' ? 'time' : 'epoch',
    logScale: o?.logScale === true,
    smoothing: Number.isFinite(s) ? Math.min(Math.max(s, 0), MAX_SMOOTHING) : DEFAULT_OPTIONS.smoothing,
    onlyDifferences: o?.onlyDifferences === true,
  };
}

export interface Route {
  view: View;
  runIds: number[];
  options: CompareOptions;
}

export function parseHash(hash: string): Route | null {
  const text = hash.replace(/^#/, '');
  const [path, query = ''] = text.split('?', 2);
  if (path !== 'train' && path !== 'runs' && path !== 'compare') return null;
  const q = new URLSearchParams(query);
  const runIds = (q.get('runs') ?? '')
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
  const smoothing = q.get('smooth');
  return {
    view: path,
    runIds,
    options: cleanOptions({
      xAxis: q.get('x') === 'time' ? 'time' : 'epoch',
      logScale: q.get('log') === '1',
      smoothing: smoothing === null ? undefined : Number(smoothing),
      onlyDifferences: q.get('diff') === '1',
    }),
  };
}

export function hashOf(view: View, runIds: number[], o: CompareOptions): string {
  if (view === 'train') return '';
  if (view === 'runs') return '#runs';
  const q = [
    `runs=${runIds.join(',')}`,
    `x=${o.xAxis}`,
    `smooth=${Number(o.smoothing.toFixed(3))}`,
    `log=${o.logScale ? 1 : 0}`,
    `diff=${o.onlyDifferences ? 1 : 0}`,
  ];
  return `#compare?${q.join('&')}`;
}
