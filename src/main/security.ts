// Type-only, so that the checks below can be unit tested in plain Node, where
// importing 'electron' tries to download Electron's binary.
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import { isSamePage } from './app-scheme';

/** A navigation event: Electron passes its details as the event, and (deprecated) the URL again after it. */
interface NavigationEvent {
  url?: string;
  preventDefault(): void;
}

/**
 * Electron's security checklist, in one place, applied to every window the app
 * opens (the main window and the hidden PDF printer): deny navigation, redirects
 * and frame navigation anywhere but `pageUrl` itself, new windows, webviews and
 * permission requests. IPC is checked per call by `isTrustedSender`.
 */
export function lockDown(win: BrowserWindow, pageUrl: string): void {
  const wc = win.webContents;
  const guard = (event: NavigationEvent, url?: string) => {
    const target = event.url ?? url ?? '';
    if (!isSamePage(target, pageUrl)) event.preventDefault();
  };
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
  wc.on('will-navigate', guard);
  wc.on('will-redirect', guard);
  // Every frame, iframes included: the page has none of its own, so none may load anything else.
  wc.on('will-frame-navigate', (event) => guard(event));
  wc.on('will-attach-webview', (event) => event.preventDefault());
  // The windows share the default session (no partition); setting these again per window is harmless.
  wc.session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  wc.session.setPermissionCheckHandler(() => false);
  wc.session.setDevicePermissionHandler(() => false);
}

/**
 * True when an IPC call comes from the main frame of the app's window showing
 * the app's page. An iframe inside the page (whatever its origin) is refused,
 * as is a frame already gone by the time the call is handled.
 */
export function isTrustedSender(event: IpcMainInvokeEvent, win: BrowserWindow | null, pageUrl: string): boolean {
  if (!win || event.sender !== win.webContents) return false;
  const frame = event.senderFrame;
  if (!frame || frame.isDestroyed() || frame !== win.webContents.mainFrame) return false;
  return isSamePage(frame.url, pageUrl);
}
