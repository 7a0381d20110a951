/** State of the link to the core, for the "Connecting…/Reconnecting…" banner and the status bar. */
import { onLinkState, type LinkState } from '../transport/api';

class Connection {
  status = $state<LinkState['status']>('open');
  /** Failed attempts since the link was last open. */
  attempt = $state(0);
  /** Milliseconds until the next attempt, when one is scheduled. */
  retryInMs = $state<number | null>(null);
  /** When the status last changed (ms since epoch), to count down to the next attempt. */
  since = $state(Date.now());
  /** Browser mode: whether the page address carried the access token. */
  hasToken = $state(true);

  constructor() {
    onLinkState((link) => {
      if (link.status !== this.status || link.attempt !== this.attempt || link.retryInMs !== this.retryInMs) this.since = Date.now();
      this.status = link.status;
      this.attempt = link.attempt;
      this.retryInMs = link.retryInMs;
      this.hasToken = link.hasToken;
    });
  }
}

export const connection = new Connection();
