/**
 * The renderer's only door to the core. In the desktop app the preload exposes
 * `window.layerlab`; in browser mode the same bridge is built over a WebSocket.
 * Only the stores in lib/stores import this (a lint rule keeps components out);
 * the transport tells them about the link through listeners, never by importing them.
 */
import type { LayerlabBridge, LayerlabClient, LayerlabEvent } from '../../../shared/contract/api';
import { WS_PATH } from '../../../shared/contract/wire';
import { createWsBridge, type SocketState } from './ws-client';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in browser mode. */
    layerlab?: LayerlabBridge;
  }
}

/** The state of the link to the core, for the "Connecting…/Reconnecting…" banner. */
export interface LinkState {
  status: SocketState;
  /** Failed attempts since the link was last open. */
  attempt: number;
  /** Milliseconds until the next attempt, when one is scheduled. */
  retryInMs: number | null;
  /** Browser mode: whether the page address carried the access token. */
  hasToken: boolean;
}

let link: LinkState = { status: 'open', attempt: 0, retryInMs: null, hasToken: true };
const linkListeners = new Set<(state: LinkState) => void>();
const reconnectListeners = new Set<() => void>();
const errorListeners = new Set<(message: string) => void>();
/** Problems found before anyone listened (the socket opens as this module loads). */
const earlyErrors: string[] = [];

function setLink(next: Partial<LinkState>) {
  link = { ...link, ...next };
  for (const listener of linkListeners) listener(link);
}

function reportError(message: string) {
  if (errorListeners.size === 0) earlyErrors.push(message);
  for (const listener of errorListeners) listener(message);
}

/**
 * The page is opened at /?token=…; the server also sets a cookie, so after a
 * reload without the token the socket can still authenticate.
 */
function browserModeUrl(): string {
  const token = new URLSearchParams(window.location.search).get('token');
  setLink({ hasToken: token !== null && token !== '' });
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${scheme}//${window.location.host}${WS_PATH}${query}`;
}

function makeBridge(): LayerlabBridge {
  if (window.layerlab) return window.layerlab;
  return createWsBridge({
    url: browserModeUrl(),
    onState: (status, info) => setLink({ status, attempt: info.attempt, retryInMs: info.retryInMs }),
    onReconnected: () => {
      for (const listener of reconnectListeners) listener();
    },
    onError: reportError,
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
  return () => reconnectListeners.delete(listener);
}

/** Called with the link's state now and at every change. */
export function onLinkState(listener: (state: LinkState) => void): () => void {
  linkListeners.add(listener);
  listener(link);
  return () => linkListeners.delete(listener);
}

/** Called with each transport problem (a malformed message from the server, a socket that cannot open), including earlier ones. */
export function onTransportError(listener: (message: string) => void): () => void {
  errorListeners.add(listener);
  for (const message of earlyErrors.splice(0)) listener(message);
  return () => errorListeners.delete(listener);
}
