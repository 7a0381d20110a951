/**
 * The desktop shell's IPC and navigation guards, with the window, its frames
 * and the IPC event faked: Electron's binary cannot run in plain Node, and these
 * checks only read a few fields of those objects.
 */
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import { describe, expect, it } from 'vitest';
import { isTrustedSender, lockDown } from '../../../src/main/security';

const APP_URL = 'app://layerlab/index.html';
const PRINTER_URL = 'file:///tmp/layerlab-report-1-2.html';

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
    for (const url of [
      'https://example.com/index.html',
      'file:///opt/layerlab/out/renderer/index.html',
      'file:///tmp/evil/index.html',
      'app://evil/index.html',
      'app://layerlab/other.html',
      'http://layerlab/index.html',
      '',
      'not a url',
    ]) {
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

describe('lockDown: what a window may do', () => {
  type Listener = (event: { url?: string; preventDefault(): void }, url?: string) => void;

  function lockedWindow(pageUrl = APP_URL) {
    const handlers: Record<string, Listener> = {};
    let openHandler: () => { action: string } = () => ({ action: 'allow' });
    let permissionRequest: (wc: unknown, permission: string, callback: (granted: boolean) => void) => void = () => undefined;
    let permissionCheck: () => boolean = () => true;
    let devicePermission: () => boolean = () => true;
    const webContents = {
      setWindowOpenHandler: (h: typeof openHandler) => (openHandler = h),
      on: (name: string, h: Listener) => (handlers[name] = h),
      session: {
        setPermissionRequestHandler: (h: typeof permissionRequest) => (permissionRequest = h),
        setPermissionCheckHandler: (h: typeof permissionCheck) => (permissionCheck = h),
        setDevicePermissionHandler: (h: typeof devicePermission) => (devicePermission = h),
      },
    };
    lockDown({ webContents } as unknown as BrowserWindow, pageUrl);
    /** Whether the window let the event through, with the URL where Electron puts it today (the details) or as the old second argument. */
    const allows = (name: string, url?: string, where: 'details' | 'argument' = 'details') => {
      expect(handlers[name], `${name} has a handler`).toBeTypeOf('function');
      let prevented = false;
      const event = { preventDefault: () => (prevented = true), ...(where === 'details' ? { url } : {}) };
      handlers[name](event, where === 'argument' ? url : undefined);
      return !prevented;
    };
    const grants = (permission: string) => {
      let granted: boolean | undefined;
      permissionRequest(webContents, permission, (g) => (granted = g));
      return granted;
    };
    return { allows, grants, opens: () => openHandler().action, checks: () => permissionCheck(), devices: () => devicePermission() };
  }

  const NAVIGATIONS = ['will-navigate', 'will-redirect', 'will-frame-navigate'];
  const AWAY = [
    'https://example.com/',
    'http://localhost:5173/',
    'file:///etc/passwd',
    'file:///opt/layerlab/out/renderer/index.html',
    'app://evil/index.html',
    'app://layerlab/other.html',
    'data:text/html,<script>alert(1)</script>',
    'javascript:alert(1)',
    'about:blank',
    '',
    'not a url',
  ];

  it('denies new windows, webviews and every permission', () => {
    const w = lockedWindow();
    expect(w.opens()).toBe('deny');
    expect(w.allows('will-attach-webview')).toBe(false);
    expect(w.grants('media')).toBe(false);
    expect(w.grants('notifications')).toBe(false);
    expect(w.grants('clipboard-read')).toBe(false);
    expect(w.checks()).toBe(false);
    expect(w.devices()).toBe(false);
  });

  it('denies navigation, redirects and frame navigation away from the app', () => {
    const w = lockedWindow();
    for (const name of NAVIGATIONS) {
      for (const url of AWAY) {
        expect(w.allows(name, url), `${name} → ${url}`).toBe(false);
        expect(w.allows(name, url, 'argument'), `${name} → ${url} (old signature)`).toBe(false);
      }
    }
  });

  it("lets the app's own page reload, whatever its fragment or query", () => {
    const w = lockedWindow();
    for (const name of NAVIGATIONS) {
      expect(w.allows(name, `${APP_URL}#/runs`), name).toBe(true);
      expect(w.allows(name, `${APP_URL}?x=1`), name).toBe(true);
    }
  });

  it('locks the hidden PDF printer window to its own report file', () => {
    const w = lockedWindow(PRINTER_URL);
    expect(w.opens()).toBe('deny');
    expect(w.grants('media')).toBe(false);
    for (const name of NAVIGATIONS) {
      expect(w.allows(name, PRINTER_URL), name).toBe(true);
      for (const url of [...AWAY, APP_URL, 'file:///tmp/other-report.html']) expect(w.allows(name, url), `${name} → ${url}`).toBe(false);
    }
  });
});
