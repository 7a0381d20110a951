/**
 * The view and the comparison in the address, so a reload (or a copied link)
 * opens the same thing: "#runs", "#compare?runs=3,5&x=epoch&smooth=0.6&log=0&diff=0".
 * Only the fragment changes: the query (browser mode's ?token=) stays as it is.
 */
import { cleanOptions, comparison, type CompareOptions } from './comparison.svelte';
import { nav } from './nav.svelte';
import type { View } from '../view';

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

function apply(hash: string) {
  const route = parseHash(hash);
  if (!route) return;
  if (route.view === 'compare') comparison.restore(route.runIds, route.options);
  nav.view = route.view;
}

/** Read the address once, then keep it in step with the view and the comparison. */
export function startRouting(): () => void {
  apply(window.location.hash);
  const onHashChange = () => apply(window.location.hash);
  window.addEventListener('hashchange', onHashChange);
  const stopEffect = $effect.root(() => {
    $effect(() => {
      const hash = hashOf(nav.view, comparison.runIds, { ...comparison.options });
      if (hash === window.location.hash) return;
      // replaceState: switching tabs and moving a slider are not pages to go back through.
      window.history.replaceState(window.history.state, '', `${window.location.pathname}${window.location.search}${hash}`);
    });
  });
  return () => {
    window.removeEventListener('hashchange', onHashChange);
    stopEffect();
  };
}
