/**
 * Parse an imported file in a Web Worker: reading the text, JSON.parse and the
 * checks all happen off the window's thread. One worker serves every import.
 * Where a worker cannot start (no Worker, or its script does not load), the
 * same parser runs here instead, so an import still works.
 */
import { runParse, type ParseKind, type ParseReply, type Parsed } from './import-parsers';

type Pending = { kind: ParseKind; file: File; resolve: (value: unknown) => void; reject: (err: Error) => void };

let worker: Worker | null = null;
let broken = typeof Worker === 'undefined';
let nextId = 1;
const pending = new Map<number, Pending>();

async function inline<K extends ParseKind>(kind: K, file: File): Promise<Parsed[K]> {
  return runParse(kind, await file.text(), file.name);
}

function giveUpOnWorker(reason: unknown): void {
  console.warn('Layerlab: the import worker is unavailable; parsing in the window instead', reason);
  broken = true;
  worker?.terminate();
  worker = null;
  const waiting = [...pending.values()];
  pending.clear();
  for (const p of waiting) inline(p.kind, p.file).then(p.resolve, p.reject);
}

function startWorker(): Worker {
  const w = new Worker(new URL('./import-worker.ts', import.meta.url), { type: 'module' });
  w.onmessage = (event: MessageEvent<ParseReply>) => {
    const reply = event.data;
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(new Error(reply.message));
  };
  w.onerror = (event) => {
    event.preventDefault();
    giveUpOnWorker(event.message || 'the worker script failed to load');
  };
  return w;
}

/** The parsed file, or an Error with the parser's own message. */
export function parseFile<K extends ParseKind>(kind: K, file: File): Promise<Parsed[K]> {
  if (!broken && !worker) {
    try {
      worker = startWorker();
    } catch (err) {
      giveUpOnWorker(err);
    }
  }
  if (broken || !worker) return inline(kind, file);
  const id = nextId++;
  return new Promise<Parsed[K]>((resolve, reject) => {
    pending.set(id, { kind, file, resolve: resolve as (value: unknown) => void, reject });
    worker!.postMessage({ id, kind, file });
  });
}
