/**
 * The desktop shell's IPC and navigation guards, with the window, its frames
 * and the IPC event faked: Electron's binary cannot run in plain Node, and these
 * checks only read a few fields of those objects.
 */
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import { describe, expect, it } from 'vitest';
import { isTrustedSender, lockDown } from '../../../src/main/security';

const APP_URL = 'file:///opt/layerlab/out/renderer/index.html';

interface FakeFrame {
  url: string;
  destroyed: boolean;
  isDestroyed(): boolean;
}

const frame = (url: string): FakeFrame => ({
  url,
  destroyed: false,
  isDestroyed() {
    return this.destroyed;
  },
});

/** A window whose main frame shows `url`, with an iframe inside it. */
function fakeWindow(url = APP_URL) {
  const mainFrame = frame(url);
  const subframe = frame(url);
  const webContents = { mainFrame };
  return { win: { webContents } as unknown as BrowserWindow, webContents, mainFrame, subframe };
}

const ipcEvent = (sender: object, senderFrame: FakeFrame | null) => ({ sender, senderFrame }) as unknown as IpcMainInvokeEvent;

describe('isTrustedSender: which IPC calls reach the core', () => {
  it("accepts a call from the main frame of the app's window showing the app's page", () => {
    const w = fakeWindow();
    expect(isTrustedSender(ipcEvent(w.webContents, w.mainFrame), w.win, APP_URL)).toBe(true);
  });

  it("refuses an iframe inside the app's page, even one showing the app's own URL", () => {
    const w = fakeWindow();
    expect(isTrustedSender(ipcEvent(w.webContents, w.subframe), w.win, APP_URL)).toBe(false);
  });

  it('refuses another window, even one showing the same page', () => {
    const w = fakeWindow();
    const other = fakeWindow();
    expect(isTrustedSender(ipcEvent(other.webContents, other.mainFrame), w.win, APP_URL)).toBe(false);
  });

  it('refuses the main frame when it shows another page', () => {
    for (const url of ['https://example.com/index.html', 'file:///tmp/evil/index.html', '', 'not a url']) {
      const w = fakeWindow(url);
      expect(isTrustedSender(ipcEvent(w.webContents, w.mainFrame), w.win, APP_URL), url).toBe(false);
    }
  });

  it('refuses a call whose frame is gone (navigated away or destroyed)', () => {
    const w = fakeWindow();
    expect(isTrustedSender(ipcEvent(w.webContents, null), w.win, APP_URL)).toBe(false);
    w.mainFrame.destroyed = true;
    expect(isTrustedSender(ipcEvent(w.webContents, w.mainFrame), w.win, APP_URL)).toBe(false);
  });

  it('refuses every call once the window is closed', () => {
    const w = fakeWindow();
    expect(isTrustedSender(ipcEvent(w.webContents, w.mainFrame), null, APP_URL)).toBe(false);
  });

  it('accepts the dev server page by origin and path, whatever its query', () => {
    const dev = 'http://localhost:5173/';
    const w = fakeWindow('http://localhost:5173/?reload=1');
    expect(isTrustedSender(ipcEvent(w.webContents, w.mainFrame), w.win, dev)).toBe(true);
  });
});

describe('lockDown: what the window may do', () => {
  function lockedWindow() {
    const handlers: Record<string, (event: { preventDefault(): void }, url?: string) => void> = {};
    let openHandler: () => { action: string } = () => ({ action: 'allow' });
    let permissionRequest: (wc: unknown, permission: string, callback: (granted: boolean) => void) => void = () => undefined;
    let permissionCheck: () => boolean = () => true;
    const webContents = {
      setWindowOpenHandler: (h: typeof openHandler) => (openHandler = h),
      on: (name: string, h: (typeof handlers)[string]) => (handlers[name] = h),
      session: {
        setPermissionRequestHandler: (h: typeof permissionRequest) => (permissionRequest = h),
        setPermissionCheckHandler: (h: typeof permissionCheck) => (permissionCheck = h),
      },
    };
    lockDown({ webContents } as unknown as BrowserWindow, APP_URL);
    /** Whether the window let the event through. */
    const allows = (name: string, url?: string) => {
      let prevented = false;
      handlers[name]({ preventDefault: () => (prevented = true) }, url);
      return !prevented;
    };
    const grants = (permission: string) => {
      let granted: boolean | undefined;
      permissionRequest(webContents, permission, (g) => (granted = g));
      return granted;
    };
    return { allows, grants, opens: () => openHandler().action, checks: () => permissionCheck() };
  }

  it('denies new windows, webviews, permissions and navigation away from the app', () => {
    const w = lockedWindow();
    expect(w.opens()).toBe('deny');
    expect(w.allows('will-attach-webview')).toBe(false);
    expect(w.allows('will-navigate', 'https://example.com/')).toBe(false);
    expect(w.allows('will-navigate', 'file:///etc/passwd')).toBe(false);
    expect(w.grants('media')).toBe(false);
    expect(w.grants('notifications')).toBe(false);
    expect(w.checks()).toBe(false);
  });

  it("lets the app's own page reload", () => {
    expect(lockedWindow().allows('will-navigate', `${APP_URL}#/runs`)).toBe(true);
  });
});
