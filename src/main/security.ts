// Type-only, so that the checks below can be unit tested in plain Node, where
// importing 'electron' tries to download Electron's binary.
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';

/**
 * Electron's security checklist, in one place: deny navigation, new windows and
 * permission requests; accept IPC only from our own window's main frame and page.
 */
export function lockDown(win: BrowserWindow, appUrl: string): void {
  const sameApp = (url: string) => new URL(url).origin === new URL(appUrl).origin && new URL(url).pathname === new URL(appUrl).pathname;
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event, url) => {
    if (!sameApp(url)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  // The window's session is the default one (no partition), which the PDF printer window shares too.
  win.webContents.session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  win.webContents.session.setPermissionCheckHandler(() => false);
}

/**
 * True when an IPC call comes from the main frame of the app's window showing
 * the app's page. An iframe inside the page (whatever its origin) is refused,
 * as is a frame already gone by the time the call is handled.
 */
export function isTrustedSender(event: IpcMainInvokeEvent, win: BrowserWindow | null, appUrl: string): boolean {
  if (!win || event.sender !== win.webContents) return false;
  const frame = event.senderFrame;
  if (!frame || frame.isDestroyed() || frame !== win.webContents.mainFrame) return false;
  try {
    const a = new URL(frame.url);
    const b = new URL(appUrl);
    return a.origin === b.origin && a.pathname === b.pathname;
  } catch {
    return false;
  }
}
