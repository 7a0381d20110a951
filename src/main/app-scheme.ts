/**
 * The pure half of the `app://` scheme the window's page is served from: which
 * file a URL names (never one outside the built renderer folder), its MIME type,
 * and whether a URL is the app's own page. Plain Node, so it is unit tested
 * without Electron; `app-protocol.ts` wires it into Electron's protocol module.
 */
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'layerlab';
/** The page the window loads in a built app. */
export const APP_PAGE_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
};

/** The Content-Type for a file by its extension; unknown ones are opaque bytes (and, with nosniff, never run). */
export function mimeType(file: string): string {
  return MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type AppFile = { ok: true; file: string; mime: string } | { ok: false; status: 400 | 403 | 404; reason: string };

const refuse = (status: 400 | 403 | 404, reason: string): AppFile => ({ ok: false, status, reason });

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * The file under `root` that an `app://layerlab/...` URL names, or why it is refused.
 * The URL is checked as written as well as parsed: a WHATWG parser folds `/../`
 * and `/%2e%2e/` away, but `..%2f` survives parsing and decodes to a traversal,
 * so any segment that is or decodes to `.`/`..`, any encoded slash or backslash,
 * and any NUL is refused, and the result must still lie inside `root`.
 */
export function resolveAppFile(url: string, root: string): AppFile {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse(400, 'Not a URL');
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return refuse(404, 'Not an app:// URL of Layerlab');
  // The path as written, before any normalisation.
  const written = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^?#]*)/i.exec(url)?.[1] ?? '';
  for (const path of [written, parsed.pathname]) {
    if (/%(2f|5c|00)/i.test(path) || path.includes('\\') || path.includes('\0')) return refuse(403, 'Refused: encoded separator in the path');
    for (const segment of path.split('/')) {
      const decoded = decode(segment);
      if (decoded === null) return refuse(400, 'Malformed percent-encoding in the path');
      if (decoded === '.' || decoded === '..') return refuse(403, 'Refused: the path leaves the app folder');
    }
  }
  const relativePath = parsed.pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decode(s) ?? '')
    .join('/');
  const base = resolve(root);
  const file = resolve(base, relativePath === '' ? 'index.html' : relativePath);
  const inside = relative(base, file);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside))
    return refuse(403, 'Refused: the path leaves the app folder');
  return { ok: true, file, mime: mimeType(file) };
}

/**
 * The origin of a URL as a browser sees it, or null for an opaque one. Node's URL
 * gives `null` for any non-special scheme, but Chromium gives `app://layerlab`
 * for a scheme registered as standard, so that one is built by hand.
 */
export function originOf(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol === `${APP_SCHEME}:`) return u.host ? `${APP_SCHEME}://${u.host}` : null;
  return u.origin === 'null' ? null : u.origin;
}

/**
 * True when `url` shows the same page as `pageUrl` (query and fragment aside):
 * same origin and same path. A `file:` page (the PDF printer's) has an opaque
 * origin, so there the path alone must match.
 */
export function isSamePage(url: string, pageUrl: string): boolean {
  let a: URL;
  let b: URL;
  try {
    a = new URL(url);
    b = new URL(pageUrl);
  } catch {
    return false;
  }
  if (a.pathname !== b.pathname) return false;
  if (b.protocol === 'file:') return a.protocol === 'file:' && a.host === b.host;
  const origin = originOf(pageUrl);
  return origin !== null && originOf(url) === origin;
}

/**
 * The page the window loads and whether DevTools are on. A packaged build always
 * loads its own `app://` page with DevTools off: ELECTRON_RENDERER_URL is honoured
 * only in an unpackaged (development) run, or anyone who can set an environment
 * variable could point the window, bridge and all, at a page of their choosing.
 */
export function shellMode(isPackaged: boolean, env: Record<string, string | undefined>): { pageUrl: string; devTools: boolean } {
  const devUrl = isPackaged ? undefined : env.ELECTRON_RENDERER_URL;
  return { pageUrl: devUrl || APP_PAGE_URL, devTools: !isPackaged };
}
