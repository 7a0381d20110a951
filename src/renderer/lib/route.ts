/**
 * The view and the comparison in the address, as text and back (pure; the store
 * in stores/route.svelte.ts keeps the address in step with the app).
 */
import type { View } from './view';

export interface CompareOptions {
  xAxis: 'epoch' | 'time';
  logScale: boolean;
  /** TensorBoard smoothing weight in [0, 1); null until the user picks one: then it follows the curves' length (defaultSmoothing). */
  smoothing: number | null;
  onlyDifferences: boolean;
}

export const DEFAULT_OPTIONS: CompareOptions = { xAxis: 'epoch', logScale: false, smoothing: null, onlyDifferences: false };
/** The slider's top: beyond this the curve is mostly its own past. */
export const MAX_SMOOTHING = 0.95;

/** Options from anything (a saved comparison, the address), each one checked. */
export function cleanOptions(o: Partial<CompareOptions> | undefined): CompareOptions {
  const s = o?.smoothing === null || o?.smoothing === undefined ? NaN : Number(o.smoothing);
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
  /** Repeats and sweeps compared beside the runs. */
  groupIds: number[];
  options: CompareOptions;
}

export function parseHash(hash: string): Route | null {
  const text = hash.replace(/^#/, '');
  const [path, query = ''] = text.split('?', 2);
  if (path !== 'train' && path !== 'runs' && path !== 'compare' && path !== 'datasets') return null;
  const q = new URLSearchParams(query);
  const ids = (key: string) =>
    (q.get(key) ?? '')
      .split(',')
      .map((s) => Number(s.trim()))
      .filter((n) => Number.isInteger(n) && n > 0);
  const runIds = ids('runs');
  const groupIds = ids('groups');
  const smoothing = q.get('smooth');
  return {
    view: path,
    runIds,
    groupIds,
    options: cleanOptions({
      xAxis: q.get('x') === 'time' ? 'time' : 'epoch',
      logScale: q.get('log') === '1',
      smoothing: smoothing === null ? undefined : Number(smoothing),
      onlyDifferences: q.get('diff') === '1',
    }),
  };
}

export function hashOf(view: View, runIds: number[], o: CompareOptions, groupIds: number[] = []): string {
  if (view === 'train') return '';
  if (view === 'runs') return '#runs';
  if (view === 'datasets') return '#datasets';
  const q = [
    `runs=${runIds.join(',')}`,
    ...(groupIds.length ? [`groups=${groupIds.join(',')}`] : []),
    `x=${o.xAxis}`,
    ...(o.smoothing === null ? [] : [`smooth=${Number(o.smoothing.toFixed(3))}`]),
    `log=${o.logScale ? 1 : 0}`,
    `diff=${o.onlyDifferences ? 1 : 0}`,
  ];
  return `#compare?${q.join('&')}`;
}
