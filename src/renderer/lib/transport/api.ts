/**
 * The renderer's only door to the core. In the desktop app the preload exposes
 * `window.layerlab`; in browser mode the same bridge is built over a WebSocket.
 * Components import `api` and `onEvent` from here and never touch `window.layerlab`.
 */
import type { LayerlabBridge, LayerlabClient, LayerlabEvent } from '../../../shared/contract/api';
import { WS_PATH } from '../../../shared/contract/wire';
import { connection } from '../stores/connection.svelte';
import { problems } from '../stores/errors.svelte';
import { createWsBridge } from './ws-client';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in browser mode. */
    layerlab?: LayerlabBridge;
  }
}

const reconnectListeners = new Set<() => void>();

/**
 * The page is opened at /?token=…; the server also sets a cookie, so after a
 * reload without the token the socket can still authenticate.
 */
function browserModeUrl(): string {
  const token = new URLSearchParams(window.location.search).get('token');
  connection.hasToken = token !== null && token !== '';
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${scheme}//${window.location.host}${WS_PATH}${query}`;
}

function makeBridge(): LayerlabBridge {
  if (window.layerlab) return window.layerlab;
  return createWsBridge({
    url: browserModeUrl(),
    onState: (state, info) => connection.set(state, info.attempt, info.retryInMs),
    onReconnected: () => {
      for (const listener of reconnectListeners) listener();
    },
    onError: (message) => problems.report('Talking to the Layerlab server', message),
  });
}

const bridge = makeBridge();

/** Every contract method, asynchronous. */
export const api: LayerlabClient = bridge;

/** Subscribe to events pushed by the core; returns the unsubscribe function. */
export function onEvent(listener: (event: LayerlabEvent) => void): () => void {
  return bridge.onEvent(listener);
}

/** Called when a lost connection is back: whatever was pushed meanwhile was missed, so reload. */
export function onReconnect(listener: () => void): () => void {
  reconnectListeners.add(listener);
  return () => {
    reconnectListeners.delete(listener);
  };
}
