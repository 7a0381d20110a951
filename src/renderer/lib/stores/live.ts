/** Wires pushed events and reconnects into the stores; started once by App. */
import { onEvent, onReconnect, onTransportError } from '../transport/api';
import { comparison } from './comparison.svelte';
import { dataset } from './dataset.svelte';
import { datasets } from './datasets.svelte';
import { problems } from './errors.svelte';
import { runs } from './runs.svelte';

export function startLiveUpdates(): () => void {
  const offEvent = onEvent((event) => {
    runs.handle(event);
    dataset.handle(event);
    datasets.handle(event);
    comparison.handle(event);
  });
  const offReconnect = onReconnect(() => {
    void runs.reload();
    void comparison.load(true);
    void dataset.load();
    void datasets.load();
  });
  const offError = onTransportError((message) => problems.report('Talking to the Layerlab server', message));
  return () => {
    offEvent();
    offReconnect();
    offError();
  };
}
