/** Wires pushed events and reconnects into the stores; started once by App. */
import { onEvent, onReconnect } from '../transport/api';
import { comparison } from './comparison.svelte';
import { dataset } from './dataset.svelte';
import { runs } from './runs.svelte';

export function startLiveUpdates(): () => void {
  const offEvent = onEvent((event) => {
    runs.handle(event);
    dataset.handle(event);
    comparison.handle(event);
  });
  const offReconnect = onReconnect(() => {
    void runs.reload();
    void comparison.load(true);
    void dataset.load();
  });
  return () => {
    offEvent();
    offReconnect();
  };
}
