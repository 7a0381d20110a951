import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { BlockList, isIP, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { networkInterfaces } from 'node:os';
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
  /** Required for a host that is not loopback: everything, the token included, then travels in clear text. */
  allowRemote?: boolean;
  /** Where one line per unexpected error goes (console.error when not given). */
  log?: (line: string) => void;
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

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** 127.0.0.0/8, ::1 (in any spelling, IPv4-mapped included) or localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  if (h === 'localhost') return true;
  const bare = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
  const family = isIP(bare);
  return family !== 0 && LOOPBACK.check(bare, family === 6 ? 'ipv6' : 'ipv4');
}

/** The part of a request target before `?`, and its query; null for what is not an origin-form target. */
export function parseTarget(target: string | undefined): { pathname: string; query: URLSearchParams } | null {
  if (typeof target !== 'string' || !target.startsWith('/')) return null;
  const withoutFragment = target.split('#', 1)[0];
  const q = withoutFragment.indexOf('?');
  const pathname = q === -1 ? withoutFragment : withoutFragment.slice(0, q);
  // URLSearchParams never throws: a bad percent-escape stays as written.
  return { pathname, query: new URLSearchParams(q === -1 ? '' : withoutFragment.slice(q + 1)) };
}

/**
 * Browser mode: the renderer over HTTP and the contract over a WebSocket, on
 * loopback. Every request needs the token (in the URL once, then a cookie
 * scoped to this origin); a WebSocket from another Origin is refused, and so is
 * any request whose Host header does not name this server (DNS rebinding).
 * Every handler is total: what cannot be parsed gets 400, and an unexpected
 * error ends that one request or socket with a line in the log, never the process.
 */
export function startBrowserServer(o: BrowserServerOptions): Promise<BrowserServer> {
  const host = o.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !o.allowRemote) {
    return Promise.reject(new Error(`${host} is not a loopback address: listening on it needs allowRemote`));
  }
  const log = o.log ?? ((line: string) => console.error(line));
  const token = o.token ?? randomBytes(24).toString('base64url');
  const tokenBytes = Buffer.from(token);
  const validToken = (candidate: string | null | undefined) => {
    if (!candidate) return false;
    const b = Buffer.from(candidate);
    return b.length === tokenBytes.length && timingSafeEqual(b, tokenBytes);
  };
  const requestToken = (req: IncomingMessage, query: URLSearchParams) => query.get('token') ?? readCookie(req.headers.cookie, cookieName());

  let port = 0;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  // A wildcard address is reached by one of the machine's own addresses.
  const wildcard = host === '0.0.0.0' || host === '::';
  const hostNames = (): string[] => {
    const names = ['127.0.0.1', 'localhost', '[::1]', urlHost.toLowerCase()];
    if (wildcard) {
      for (const a of Object.values(networkInterfaces()).flat()) if (a) names.push(a.family === 'IPv6' ? `[${a.address}]` : a.address);
    }
    return names;
  };
  // DNS rebinding: a page on evil.example whose name now points at 127.0.0.1 sends `Host: evil.example`.
  const allowedHosts = () => new Set(hostNames().flatMap((n) => (port === 80 ? [`${n}:${port}`, n] : [`${n}:${port}`])));
  const allowedOrigins = () => new Set(hostNames().map((n) => `http://${n}:${port}`));
  const badHost = (req: IncomingMessage) => {
    const given = hostHeaders(req);
    return given.length !== 1 || !allowedHosts().has(given[0].toLowerCase());
  };
  // Cookies ignore the port: two servers on one machine must not overwrite each other's token.
  const cookieName = () => `${COOKIE}_${port}`;
  // A page on another site can't read our responses, but it could send requests: refuse foreign Origins outright.
  const foreignOrigin = (req: IncomingMessage) => req.headers.origin !== undefined && !allowedOrigins().has(req.headers.origin);

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const target = parseTarget(req.url);
    if (!target) return plain(res, 400, 'Bad request: the request target is not a path');
    if (badHost(req)) return plain(res, 403, 'Forbidden: the Host header does not name this server');
    if (foreignOrigin(req)) return plain(res, 403, 'Forbidden: requests from another origin are refused');
    const supplied = requestToken(req, target.query);
    if (!validToken(supplied)) return plain(res, 401, 'Unauthorized: open the URL printed by `layerlab serve` (it carries the token)');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'Method not allowed');
    if (target.query.has('token')) {
      res.setHeader('Set-Cookie', `${cookieName()}=${supplied}; HttpOnly; SameSite=Strict; Path=/`);
    }
    serveStatic(o.staticDir, target.pathname, res);
  };

  const server: Server = createServer((req, res) => {
    try {
      onRequest(req, res);
    } catch (e) {
      log(`browser server: unexpected error answering ${describeRequest(req)}: ${errorText(e)}`);
      try {
        if (!res.headersSent) plain(res, 500, 'Internal server error');
        else res.destroy();
      } catch {
        res.destroy();
      }
    }
  });
  // A request Node cannot parse (bad request line, header too large, …): answer it, never crash.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    try {
      if (!socket.writable || (socket as Socket).destroyed) return void socket.destroy();
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    } catch {
      socket.destroy();
    }
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_MESSAGE_BYTES });
  wss.on('error', (e) => log(`WebSocket server error: ${errorText(e)}`));
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, text: string) => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const target = parseTarget(req.url);
    if (!target) return refuse(400, 'Bad Request');
    if (target.pathname !== WS_PATH) return refuse(404, 'Not Found');
    if (badHost(req)) return refuse(403, 'Forbidden');
    if (foreignOrigin(req)) return refuse(403, 'Forbidden');
    if (!validToken(requestToken(req, target.query))) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, o, log));
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node takes its own error listener off an upgraded socket: without one, a reset by the client is an uncaught error.
    socket.on('error', () => socket.destroy());
    try {
      onUpgrade(req, socket, head);
    } catch (e) {
      log(`browser server: unexpected error upgrading ${describeRequest(req)}: ${errorText(e)}`);
      socket.destroy();
    }
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

function serveSocket(ws: WebSocket, o: BrowserServerOptions, log: (line: string) => void): void {
  // An oversized or malformed frame ends this socket only, never the server.
  ws.on('error', () => ws.terminate());
  const send = (message: WireEvent | WireResponse) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const unsubscribe = o.events.subscribe((event) => {
    try {
      send({ event });
    } catch (e) {
      log(`browser server: could not send an event to a window: ${errorText(e)}`);
      ws.terminate();
    }
  });
  ws.on('close', unsubscribe);
  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
    answer(data).catch((e: unknown) => {
      log(`browser server: unexpected error answering a WebSocket message: ${errorText(e)}`);
      ws.terminate();
    });
  });
  async function answer(data: Buffer | ArrayBuffer | Buffer[]): Promise<void> {
    let request: { id?: unknown; method?: unknown; args?: unknown } | null;
    try {
      const text = Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data as ArrayBuffer).toString();
      request = JSON.parse(text) as typeof request;
    } catch {
      return send({ id: -1, ok: false, error: 'The message is not JSON' });
    }
    const fields = request !== null && typeof request === 'object' ? request : {};
    const id = typeof fields.id === 'number' ? fields.id : -1;
    const result = await dispatch(o.service, fields.method, fields.args ?? []);
    try {
      send({ id, ...result });
    } catch (e) {
      // A result JSON cannot carry: say so rather than leave the call unanswered.
      log(`browser server: could not send the answer to ${String(fields.method)}: ${errorText(e)}`);
      send({ id, ok: false, error: `The answer to ${String(fields.method)} could not be sent` });
    }
  }
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
  if (!existsSync(file) || !statSync(file, { throwIfNoEntry: false })?.isFile()) return plain(res, 404, 'Not found');
  res.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
  const stream = createReadStream(file);
  // The file vanished or became unreadable after the check: end this answer only.
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

/** Every Host header the client sent: more than one is as bad as a wrong one. */
function hostHeaders(req: IncomingMessage): string[] {
  const found: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === 'host') found.push(req.rawHeaders[i + 1].trim());
  return found;
}

function describeRequest(req: IncomingMessage): string {
  return JSON.stringify(`${String(req.method)} ${String(req.url)}`.slice(0, 200));
}

function errorText(e: unknown): string {
  try {
    const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return text.split('\n', 1)[0].slice(0, 300);
  } catch {
    return 'an error that cannot be described';
  }
}

function readCookie(header: string | undefined, name: string): string | null {
  for (const part of header?.split(';') ?? []) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return null;
}
