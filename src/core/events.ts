import type { LayerlabEvent } from '../shared/contract/api';

/** Fan-out of pushed events to every connected window or socket. */
export class EventHub {
  private readonly listeners = new Set<(e: LayerlabEvent) => void>();

  subscribe(listener: (e: LayerlabEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: LayerlabEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (e) {
        // One broken window must not stop the others from hearing about training.
        console.error('event listener failed:', e);
      }
    }
  }
}
