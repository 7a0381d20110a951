/**
 * The view and the comparison in the address, so a reload (or a copied link)
 * opens the same thing: "#runs", "#compare?runs=3,5&groups=2&x=epoch&smooth=0.6&log=0&diff=0".
 * Only the fragment changes: the query (browser mode's ?token=) stays as it is.
 */
import { comparison } from './comparison.svelte';
import { hashOf, parseHash } from '../route';
import { nav } from './nav.svelte';

function apply(hash: string) {
  const route = parseHash(hash);
  if (!route) return;
  if (route.view === 'compare') comparison.restore(route.runIds, route.options, route.groupIds);
  nav.view = route.view;
}

/** Read the address once, then keep it in step with the view and the comparison. */
export function startRouting(): () => void {
  apply(window.location.hash);
  const onHashChange = () => apply(window.location.hash);
  window.addEventListener('hashchange', onHashChange);
  const stopEffect = $effect.root(() => {
    $effect(() => {
      const hash = hashOf(nav.view, comparison.runIds, { ...comparison.options }, comparison.groupIds);
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
