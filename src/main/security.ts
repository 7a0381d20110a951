import { session, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';

/**
 * Electron's security checklist, in one place: deny navigation, new windows and
 * permission requests; accept IPC only from our own window and page.
 */
export function lockDown(win: BrowserWindow, appUrl: string): void {
  const sameApp = (url: string) => new URL(url).origin === new URL(appUrl).origin && new URL(url).pathname === new URL(appUrl).pathname;
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event, url) => {
    if (!sameApp(url)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

/** True when an IPC call comes from the app's window showing the app's page. */
export function isTrustedSender(event: IpcMainInvokeEvent, win: BrowserWindow | null, appUrl: string): boolean {
  if (!win || event.sender !== win.webContents) return false;
  const frameUrl = event.senderFrame?.url;
  if (!frameUrl) return false;
  try {
    const a = new URL(frameUrl);
    const b = new URL(appUrl);
    return a.origin === b.origin && a.pathname === b.pathname;
  } catch {
    return false;
  }
}
