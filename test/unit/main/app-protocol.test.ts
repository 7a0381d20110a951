/**
 * The app:// handler as Electron would call it, with Electron's protocol module
 * faked (its binary cannot run in plain Node): real files from a real folder,
 * real Request and Response objects.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CustomScheme } from 'electron';
import { afterAll, describe, expect, it, vi } from 'vitest';

const registered: CustomScheme[] = [];
let handler: ((request: Request) => Promise<Response>) | null = null;
vi.mock('electron', () => ({
  protocol: {
    registerSchemesAsPrivileged: (schemes: CustomScheme[]) => registered.push(...schemes),
    handle: (scheme: string, h: typeof handler) => {
      if (scheme === 'app') handler = h;
    },
  },
}));

const { registerAppScheme, serveAppScheme } = await import('../../../src/main/app-protocol');

const top = mkdtempSync(join(tmpdir(), 'layerlab-app-protocol-'));
const root = join(top, 'renderer');
mkdirSync(join(root, 'assets'), { recursive: true });
writeFileSync(join(root, 'index.html'), '<!doctype html><title>Layerlab</title>');
writeFileSync(join(root, 'assets', 'index-abc.js'), 'console.log(1)');
writeFileSync(join(root, 'assets', 'index-abc.css'), 'body{}');
writeFileSync(join(top, 'secret.txt'), 'not for the page');
afterAll(() => rmSync(top, { recursive: true, force: true }));

registerAppScheme();
serveAppScheme(root);
const get = (url: string, method = 'GET') => handler!(new Request(url, { method }));

describe('the app:// scheme', () => {
  it('is registered standard, secure and with fetch, and does not bypass the CSP', () => {
    const app = registered.find((s) => s.scheme === 'app');
    expect(app?.privileges).toMatchObject({ standard: true, secure: true, supportFetchAPI: true });
    expect(app?.privileges?.bypassCSP).toBeFalsy();
    expect(app?.privileges?.allowServiceWorkers).toBeFalsy();
  });

  it('serves the built page and its assets with their types, and nosniff', async () => {
    const page = await get('app://layerlab/index.html');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('<title>Layerlab</title>');
    const script = await get('app://layerlab/assets/index-abc.js');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toBe('console.log(1)');
    expect((await get('app://layerlab/assets/index-abc.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('refuses what lies outside the folder, and answers 404 for what is not there', async () => {
    for (const url of ['app://layerlab/..%2fsecret.txt', 'app://layerlab/assets/..%2f..%2fsecret.txt', 'app://layerlab/..%5csecret.txt']) {
      const response = await get(url);
      expect(response.status, url).toBe(403);
      expect(await response.text()).not.toContain('not for the page');
    }
    // The Request parser folds a written `..` away before the handler sees it: what is left is looked up inside.
    expect((await get('app://layerlab/../secret.txt')).status).toBe(404);
    expect((await get('app://layerlab/missing.js')).status).toBe(404);
    expect((await get('app://layerlab/assets')).status).toBe(404);
    expect((await get('app://evil/index.html')).status).toBe(404);
  });

  it('answers only GET and HEAD', async () => {
    expect((await get('app://layerlab/index.html', 'POST')).status).toBe(405);
    const head = await get('app://layerlab/index.html', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
