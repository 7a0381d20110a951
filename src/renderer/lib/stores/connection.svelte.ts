/** State of the link to the core, for the "Connecting…/Reconnecting…" banner. */
export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting';

class Connection {
  status = $state<ConnectionStatus>('open');
  /** Failed attempts since the link was last open. */
  attempt = $state(0);
  /** Milliseconds until the next attempt, when one is scheduled. */
  retryInMs = $state<number | null>(null);
  /** When the status last changed (ms since epoch), to count down to the next attempt. */
  since = $state(Date.now());
  /** Browser mode: whether the page address carried the access token. */
  hasToken = $state(true);

  set(status: ConnectionStatus, attempt: number, retryInMs: number | null) {
    this.status = status;
    this.attempt = attempt;
    this.retryInMs = retryInMs;
    this.since = Date.now();
  }
}

export const connection = new Connection();
