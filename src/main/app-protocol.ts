/**
 * The `app://layerlab/` scheme the built page is served from, instead of
 * `file://`: a standard, secure origin of its own, so the page's CSP `'self'`,
 * `fetch` and storage behave as they do on the web, and the page can reach no
 * file but those of the built renderer folder.
 */
import { protocol } from 'electron';
import { readFile } from 'node:fs/promises';
import { APP_SCHEME, resolveAppFile } from './app-scheme';

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    // No bypassCSP, no service workers: the page's own CSP governs it.
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
}

const text = (status: number, body: string) =>
  new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' } });

/** Serves the files under `root` (the built renderer folder), and nothing else. Call once the app is ready. */
export function serveAppScheme(root: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'Method not allowed');
    const found = resolveAppFile(request.url, root);
    if (!found.ok) return text(found.status, found.reason);
    let body: Buffer;
    try {
      body = await readFile(found.file);
    } catch {
      return text(404, 'Not found');
    }
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: { 'content-type': found.mime, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' },
    });
  });
}
