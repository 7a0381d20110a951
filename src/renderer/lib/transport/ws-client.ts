/**
 * Browser-mode transport: the LayerlabBridge over one WebSocket (shared/wire.ts).
 * One function per contract method comes from clientOver, so adding an
 * operation to the contract needs no change here.
 */
import { clientOver, type ApiMethod, type LayerlabBridge, type LayerlabEvent } from '../../../shared/contract/api';
import type { WireRequest } from '../../../shared/contract/wire';

export type SocketState = 'connecting' | 'open' | 'reconnecting';

export interface SocketStateInfo {
  /** Failed attempts since the connection was last open. */
  attempt: number;
  /** When reconnecting: milliseconds until the next attempt. */
  retryInMs: number | null;
}

export interface WsClientOptions {
  url: string;
  onState?: (state: SocketState, info: SocketStateInfo) => void;
  /** The socket is open again after it was lost: events sent meanwhile were missed. */
  onReconnected?: () => void;
  /** Something the server sent could not be understood, or an event listener threw. */
  onError?: (message: string) => void;
}

export type WsBridge = LayerlabBridge & {
  /** Close the socket for good (no reconnect); pending calls are rejected. */
  close(): void;
};

interface Pending {
  method: ApiMethod;
  /** False while it waits in `unsent` for the first connection. */
  sent: boolean;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
const MAX_BACKOFF_MS = 10_000;

export function createWsBridge(options: WsClientOptions): WsBridge {
  const listeners = new Set<(event: LayerlabEvent) => void>();
  const pending = new Map<number, Pending>();
  /** Calls made before the socket first opened; sent as soon as it does. */
  const unsent: WireRequest[] = [];
  let socket: WebSocket | null = null;
  let state: SocketState = 'connecting';
  let everOpened = false;
  let closedForGood = false;
  let attempt = 0;
  let nextId = 1;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  const setState = (next: SocketState, retryInMs: number | null = null) => {
    state = next;
    options.onState?.(next, { attempt, retryInMs });
  };

  const send = (ws: WebSocket, request: WireRequest) => {
    const p = pending.get(request.id);
    if (p) p.sent = true;
    ws.send(JSON.stringify(request));
  };

  /** Rejects the calls that went out on a socket that is gone (or all, when closing for good). */
  const rejectAll = (why: string, includeUnsent = false) => {
    for (const [id, p] of pending) {
      if (!p.sent && !includeUnsent) continue;
      pending.delete(id);
      p.reject(new Error(`${why} before ${p.method} answered; try again once the connection is back.`));
    }
  };

  const handleMessage = (data: unknown) => {
    if (typeof data !== 'string') {
      options.onError?.('The server sent a binary message; Layerlab expects JSON text.');
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      options.onError?.(`The server sent a message that is not JSON: ${data.slice(0, 120)}`);
      return;
    }
    if (typeof message !== 'object' || message === null) {
      options.onError?.('The server sent a message that is neither a reply nor an event.');
      return;
    }
    if ('event' in message) {
      const event = (message as { event: LayerlabEvent }).event;
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (err) {
          options.onError?.(`Handling a ${event?.type ?? 'server'} event failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      return;
    }
    const reply = message as { id?: unknown; ok?: unknown; result?: unknown; error?: unknown };
    if (typeof reply.id !== 'number') {
      options.onError?.('The server sent a reply without a request id.');
      return;
    }
    const p = pending.get(reply.id);
    if (!p) return; // Its caller was already told the connection closed.
    pending.delete(reply.id);
    if (reply.ok === true) p.resolve(reply.result);
    else p.reject(new Error(typeof reply.error === 'string' && reply.error ? reply.error : `${p.method} failed without a message`));
  };

  const scheduleReconnect = () => {
    const delay = Math.min(BACKOFF_MS[attempt] ?? MAX_BACKOFF_MS, MAX_BACKOFF_MS);
    attempt += 1;
    setState(everOpened ? 'reconnecting' : 'connecting', delay);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect();
    }, delay);
  };

  const connect = () => {
    if (closedForGood) return;
    let ws: WebSocket;
    try {
      ws = new WebSocket(options.url);
    } catch (err) {
      options.onError?.(`Cannot open the connection to the Layerlab server: ${err instanceof Error ? err.message : String(err)}`);
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      if (socket !== ws) return;
      const wasReconnect = everOpened;
      everOpened = true;
      attempt = 0;
      setState('open');
      for (const request of unsent.splice(0)) send(ws, request);
      if (wasReconnect) options.onReconnected?.();
    };
    ws.onmessage = (ev) => {
      if (socket === ws) handleMessage(ev.data);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      rejectAll('The connection to the Layerlab server closed');
      if (!closedForGood) scheduleReconnect();
    };
    // An error is always followed by close, which does the work.
    ws.onerror = () => {};
  };

  const call = (method: ApiMethod, args: unknown[]): Promise<unknown> => {
    if (closedForGood) return Promise.reject(new Error('The connection to the Layerlab server was closed.'));
    if (state === 'reconnecting') {
      return Promise.reject(
        new Error(`Not connected to the Layerlab server (reconnecting…), so ${method} was not sent; try again once the connection is back.`),
      );
    }
    const request: WireRequest = { id: nextId++, method, args };
    return new Promise((resolve, reject) => {
      pending.set(request.id, { method, sent: false, resolve, reject });
      if (socket && socket.readyState === WebSocket.OPEN) send(socket, request);
      else unsent.push(request);
    });
  };

  const bridge: WsBridge = {
    ...clientOver(call),
    onEvent(listener: (event: LayerlabEvent) => void) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    close() {
      closedForGood = true;
      if (retryTimer) clearTimeout(retryTimer);
      const ws = socket;
      socket = null;
      ws?.close();
      unsent.length = 0;
      rejectAll('The connection to the Layerlab server was closed', true);
    },
  };

  setState('connecting');
  connect();
  return bridge;
}
