/**
 * Messages on the browser-mode WebSocket (and the envelope the Electron
 * handlers return). The renderer's client and both transports share these.
 */
import type { ApiMethod, LayerlabEvent } from './api';

export interface WireRequest {
  id: number;
  method: ApiMethod;
  args: unknown[];
}

export type WireResult = { ok: true; result: unknown } | { ok: false; error: string };

export type WireResponse = { id: number } & WireResult;

export interface WireEvent {
  event: LayerlabEvent;
}

/** Electron IPC channel of a contract method. */
export const ipcChannel = (method: ApiMethod) => `layerlab:${method}`;
export const IPC_EVENT_CHANNEL = 'layerlab:event';

/** Path of the WebSocket endpoint in browser mode; the token travels as ?token=. */
export const WS_PATH = '/api';

/**
 * The largest message the browser-mode server takes: room for a bundle of
 * thousands of runs; past it the socket is closed rather than the server strained.
 */
export const WS_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
