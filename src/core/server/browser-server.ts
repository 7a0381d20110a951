import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { WS_MAX_MESSAGE_BYTES, WS_PATH, type WireEvent, type WireResponse } from '../../shared/contract/wire';
import { dispatch } from '../dispatch';
import type { EventHub } from '../events';
import type { LayerlabService } from '../layerlab-service';

export interface BrowserServerOptions {
  service: LayerlabService;
  events: EventHub;
  /** The built renderer (out/renderer). */
  staticDir: string;
  /** 127.0.0.1 unless the user asks otherwise. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Random when not given. */
  token?: string;
}

export interface BrowserServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

const COOKIE = 'layerlab_token';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/**
 * Browser mode: the renderer over HTTP and the contract over a WebSocket, on
 * loopback. Every request needs the token (in the URL once, then a cookie
 * scoped to this origin); a WebSocket from another Origin is refused.
 */
export function startBrowserServer(o: BrowserServerOptions): Promise<BrowserServer> {
  const host = o.host ?? '127.0.0.1';
  const token = o.token ?? randomBytes(24).toString('base64url');
  const tokenBytes = Buffer.from(token);
  const validToken = (candidate: string | null | undefined) => {
    if (!candidate) return false;
    const b = Buffer.from(candidate);
    return b.length === tokenBytes.length && timingSafeEqual(b, tokenBytes);
  };
  const requestToken = (req: IncomingMessage, url: URL) => url.searchParams.get('token') ?? readCookie(req.headers.cookie, cookieName());

  let port = 0;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const allowedOrigins = () => new Set([`http://${urlHost}:${port}`, `http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  // Cookies ignore the port: two servers on one machine must not overwrite each other's token.
  const cookieName = () => `${COOKIE}_${port}`;
  // A page on another site can't read our responses, but it could send requests: refuse foreign Origins outright.
  const foreignOrigin = (req: IncomingMessage) => req.headers.origin !== undefined && !allowedOrigins().has(req.headers.origin);

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (foreignOrigin(req)) return plain(res, 403, 'Forbidden: requests from another origin are refused');
    const supplied = requestToken(req, url);
    if (!validToken(supplied)) return plain(res, 401, 'Unauthorized: open the URL printed by `layerlab serve` (it carries the token)');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed');
    if (url.searchParams.has('token')) {
      res.setHeader('Set-Cookie', `${cookieName()}=${supplied}; HttpOnly; SameSite=Strict; Path=/`);
    }
    serveStatic(o.staticDir, url.pathname, res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_MESSAGE_BYTES });
  wss.on('error', (e) => console.error('WebSocket server error:', e.message));
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== WS_PATH) return refuse(404, 'Not Found');
    if (foreignOrigin(req)) return refuse(403, 'Forbidden');
    if (!validToken(requestToken(req, url))) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, o));
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      port = (server.address() as AddressInfo).port;
      resolve({
        url: `http://${urlHost}:${port}/?token=${token}`,
        port,
        token,
        close: () =>
          new Promise<void>((done) => {
            for (const client of wss.clients) client.terminate();
            wss.close();
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

function serveSocket(ws: WebSocket, o: BrowserServerOptions): void {
  // An oversized or malformed frame ends this socket only, never the server.
  ws.on('error', () => ws.terminate());
  const unsubscribe = o.events.subscribe((event) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event } satisfies WireEvent));
  });
  ws.on('close', unsubscribe);
  ws.on('message', async (data) => {
    let request: { id?: unknown; method?: unknown; args?: unknown };
    try {
      request = JSON.parse(data.toString());
    } catch {
      ws.send(JSON.stringify({ id: -1, ok: false, error: 'The message is not JSON' }));
      return;
    }
    const id = typeof request?.id === 'number' ? request.id : -1;
    const result = await dispatch(o.service, request?.method, request?.args ?? []);
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, ...result } satisfies WireResponse));
  });
}

function serveStatic(root: string, pathname: string, res: ServerResponse): void {
  let relative: string;
  try {
    relative = decodeURIComponent(pathname);
  } catch {
    return plain(res, 400, 'Bad request');
  }
  if (relative === '/' || relative === '') relative = '/index.html';
  const file = normalize(join(root, relative));
  if (!file.startsWith(normalize(root) + sep)) return plain(res, 404, 'Not found');
  if (!existsSync(file) || !statSync(file).isFile()) return plain(res, 404, 'Not found');
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
  createReadStream(file).pipe(res);
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function readCookie(header: string | undefined, name: string): string | null {
  for (const part of header?.split(';') ?? []) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return null;
}
