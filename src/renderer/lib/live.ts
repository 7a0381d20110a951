/** Wires pushed events and reconnects into the stores; started once by App. */
import { onEvent, onReconnect } from './api';
import { dataset } from './dataset.svelte';
import { runs } from './runs.svelte';

export function startLiveUpdates(): () => void {
  const offEvent = onEvent((event) => {
    runs.handle(event);
    dataset.handle(event);
  });
  const offReconnect = onReconnect(() => {
    void runs.reload();
    void dataset.load();
  });
  return () => {
    offEvent();
    offReconnect();
  };
}
