/**
 * The `app://` scheme the desktop window's page is served from: which file each
 * URL reaches (never one outside the built renderer folder), with what type,
 * and which page the window loads with DevTools on or off.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APP_PAGE_URL, isSamePage, mimeType, originOf, resolveAppFile, shellMode } from '../../../src/main/app-scheme';

// A renderer folder with a secret beside it, which no app:// URL may reach.
const top = mkdtempSync(join(tmpdir(), 'layerlab-app-scheme-'));
const root = join(top, 'renderer');
mkdirSync(join(root, 'assets'), { recursive: true });
writeFileSync(join(root, 'index.html'), '<!doctype html>');
writeFileSync(join(root, 'assets', 'index-abc.js'), '');
writeFileSync(join(top, 'secret.txt'), 'not for the page');
afterAll(() => rmSync(top, { recursive: true, force: true }));

describe('resolveAppFile: app:// URL to a file of the built renderer', () => {
  it('serves the page and its assets from the renderer folder, with their types', () => {
    expect(resolveAppFile(APP_PAGE_URL, root)).toEqual({ ok: true, file: join(root, 'index.html'), mime: 'text/html; charset=utf-8' });
    expect(resolveAppFile('app://layerlab/assets/index-abc.js', root)).toEqual({
      ok: true,
      file: join(root, 'assets', 'index-abc.js'),
      mime: 'text/javascript; charset=utf-8',
    });
    expect(resolveAppFile('app://layerlab/', root)).toMatchObject({ ok: true, file: join(root, 'index.html') });
    expect(resolveAppFile('app://layerlab', root)).toMatchObject({ ok: true, file: join(root, 'index.html') });
    expect(resolveAppFile('app://layerlab/index.html?x=1#/runs', root)).toMatchObject({ ok: true, file: join(root, 'index.html') });
    expect(resolveAppFile('app://layerlab/assets/a%20b.css', root)).toMatchObject({ ok: true, file: join(root, 'assets', 'a b.css') });
  });

  it('refuses every way of climbing out of the folder, as written or percent-encoded', () => {
    const attacks = [
      'app://layerlab/../../etc/passwd',
      'app://layerlab/../secret.txt',
      'app://layerlab/assets/../../secret.txt',
      'app://layerlab/./../secret.txt',
      'app://layerlab/%2e%2e/%2e%2e/etc/passwd',
      'app://layerlab/%2E%2E/secret.txt',
      'app://layerlab/.%2e/secret.txt',
      'app://layerlab/..%2f..%2fetc%2fpasswd',
      'app://layerlab/..%2F..%2Fsecret.txt',
      'app://layerlab/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      'app://layerlab/..%5c..%5csecret.txt',
      'app://layerlab/..\\..\\secret.txt',
      'app://layerlab/%2fetc%2fpasswd',
      'app://layerlab/%2Fetc/passwd',
      'app://layerlab/index.html%00.js',
      'app://layerlab/%E0%A4%A',
    ];
    for (const url of attacks) {
      const result = resolveAppFile(url, root);
      expect(result.ok, url).toBe(false);
      if (!result.ok) expect([400, 403], url).toContain(result.status);
    }
  });

  it('never names a file outside the folder, whatever the path', () => {
    // Absolute-looking paths stay inside: the leading slashes are the URL's, not the file system's.
    // A double-encoded dot is decoded once only: it names a file called `%2e%2e`, inside.
    for (const url of [
      'app://layerlab//etc/passwd',
      'app://layerlab/etc/passwd',
      'app://layerlab/C:/Windows/win.ini',
      'app://layerlab/%252e%252e/secret.txt',
    ]) {
      const result = resolveAppFile(url, root);
      if (result.ok) expect(result.file.startsWith(join(root, '/')), url).toBe(true);
    }
  });

  it('refuses other hosts, other schemes and non-URLs', () => {
    for (const url of ['app://evil/index.html', 'file:///etc/passwd', 'https://layerlab/index.html', 'not a url', '']) {
      expect(resolveAppFile(url, root).ok, url).toBe(false);
    }
  });
});

describe('mimeType', () => {
  it('names the types the page needs, and unknown files as opaque bytes', () => {
    expect(mimeType('a/index.html')).toBe('text/html; charset=utf-8');
    expect(mimeType('index-X.JS')).toBe('text/javascript; charset=utf-8');
    expect(mimeType('x.mjs')).toBe('text/javascript; charset=utf-8');
    expect(mimeType('x.css')).toBe('text/css; charset=utf-8');
    expect(mimeType('x.wasm')).toBe('application/wasm');
    expect(mimeType('x.svg')).toBe('image/svg+xml');
    expect(mimeType('x.png')).toBe('image/png');
    expect(mimeType('x.woff2')).toBe('font/woff2');
    expect(mimeType('x.json')).toBe('application/json; charset=utf-8');
    expect(mimeType('x.exe')).toBe('application/octet-stream');
    expect(mimeType('Makefile')).toBe('application/octet-stream');
  });
});

describe('origins and pages', () => {
  it("gives app:// the origin Chromium gives a standard scheme, which Node's URL does not", () => {
    expect(new URL(APP_PAGE_URL).origin).toBe('null');
    expect(originOf(APP_PAGE_URL)).toBe('app://layerlab');
    expect(originOf('http://localhost:5173/x')).toBe('http://localhost:5173');
    expect(originOf('file:///tmp/x.html')).toBeNull();
    expect(originOf('data:text/html,hi')).toBeNull();
    expect(originOf('nonsense')).toBeNull();
  });

  it('a page is the same page only with the same origin and path', () => {
    expect(isSamePage('app://layerlab/index.html#/compare', APP_PAGE_URL)).toBe(true);
    expect(isSamePage('app://layerlab/other.html', APP_PAGE_URL)).toBe(false);
    expect(isSamePage('app://evil/index.html', APP_PAGE_URL)).toBe(false);
    expect(isSamePage('file:///index.html', APP_PAGE_URL)).toBe(false);
    expect(isSamePage('https://layerlab/index.html', APP_PAGE_URL)).toBe(false);
    expect(isSamePage('file:///tmp/report.html', 'file:///tmp/report.html')).toBe(true);
    expect(isSamePage('file:///tmp/other.html', 'file:///tmp/report.html')).toBe(false);
    expect(isSamePage('data:text/html,x', 'data:text/html,x')).toBe(false);
  });
});

describe('shellMode: the page the window loads, and DevTools', () => {
  it('a packaged build loads app:// with DevTools off, whatever the environment says', () => {
    expect(shellMode(true, {})).toEqual({ pageUrl: APP_PAGE_URL, devTools: false });
    expect(shellMode(true, { ELECTRON_RENDERER_URL: 'https://evil.example/' })).toEqual({ pageUrl: APP_PAGE_URL, devTools: false });
  });

  it('an unpackaged run has DevTools, and loads the dev server when electron-vite names one', () => {
    expect(shellMode(false, {})).toEqual({ pageUrl: APP_PAGE_URL, devTools: true });
    expect(shellMode(false, { ELECTRON_RENDERER_URL: 'http://localhost:5173/' })).toEqual({ pageUrl: 'http://localhost:5173/', devTools: true });
  });
});
