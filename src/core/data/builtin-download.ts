/**
 * The pieces of a verified download that do not depend on the dataset: fetching a URL into a
 * hidden temporary file while hashing it, checking MD5 and/or SHA-256, and progress over
 * several steps. A file only gets its real name from the caller, after every check passed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DownloadProgress } from '../../shared/contract/dataset';
import { DownloadError } from './download';

/** What a downloaded file must hash to; either or both. Lower-case hex. */
export interface FileChecksum {
  md5?: string;
  sha256?: string;
}

// Progress goes to the window over IPC; ten updates a second are plenty.
const PROGRESS_INTERVAL_MS = 100;

const megabytes = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

export function errorCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: string } } | null)?.cause;
  return cause?.code ?? (err as NodeJS.ErrnoException | null)?.code;
}

export const cancelled = (name: string): DownloadError => new DownloadError(`Downloading ${name} was cancelled`, 'cancelled');

/** A name in `folder` that no locator looks for, for a file on its way in. */
export function partPath(folder: string, name: string): string {
  return join(folder, `.${name}.${process.pid}-${randomBytes(4).toString('hex')}.part`);
}

/**
 * The overall fraction over steps of different weights (a file's share of the whole), sent at
 * most ten times a second except where forced (a step's start and end).
 */
export class StepProgress {
  private doneWeight = 0;
  private lastSent = 0;

  constructor(
    private readonly totalWeight: number,
    private readonly onProgress?: (p: DownloadProgress) => void,
  ) {}

  /** `expected` is what `received` counts up to when `totalBytes` is unknown. */
  update(file: string, weight: number, receivedBytes: number, totalBytes: number | null, expected: number, force = false): void {
    if (!this.onProgress) return;
    const now = Date.now();
    if (!force && now - this.lastSent < PROGRESS_INTERVAL_MS) return;
    this.lastSent = now;
    // Clamp: a server may send more than it announced (or announce nothing).
    const stepFraction = Math.min(1, receivedBytes / Math.max(1, totalBytes ?? expected));
    const fraction = Math.min(1, (this.doneWeight + stepFraction * weight) / this.totalWeight);
    this.onProgress({ file, receivedBytes, totalBytes, fraction });
  }

  stepDone(file: string, weight: number, bytes: number): void {
    this.doneWeight += weight;
    if (!this.onProgress) return;
    this.lastSent = Date.now();
    const fraction = this.doneWeight >= this.totalWeight ? 1 : this.doneWeight / this.totalWeight;
    this.onProgress({ file, receivedBytes: bytes, totalBytes: bytes, fraction });
  }
}

/** The digests `checksum` asks for, of `bytes` fed in pieces. */
class Digests {
  private readonly md5;
  private readonly sha256;

  constructor(checksum: FileChecksum | null) {
    this.md5 = checksum?.md5 ? createHash('md5') : null;
    this.sha256 = checksum?.sha256 ? createHash('sha256') : null;
  }

  update(piece: Uint8Array): void {
    this.md5?.update(piece);
    this.sha256?.update(piece);
  }

  /** The first mismatch as "MD5 check (expected …, got …)", or null when all match. */
  mismatch(checksum: FileChecksum | null): string | null {
    const md5 = this.md5?.digest('hex');
    const sha256 = this.sha256?.digest('hex');
    if (checksum?.md5 && md5 !== checksum.md5) return `MD5 check (expected ${checksum.md5}, got ${md5})`;
    if (checksum?.sha256 && sha256 !== checksum.sha256) return `SHA-256 check (expected ${checksum.sha256}, got ${sha256})`;
    return null;
  }
}

/** Whether the file at `path` matches `checksum`; false when it cannot be read. A null checksum matches nothing. */
export async function fileMatches(path: string, checksum: FileChecksum | null): Promise<boolean> {
  if (!checksum?.md5 && !checksum?.sha256) return false;
  try {
    const digests = new Digests(checksum);
    digests.update(await readFile(path));
    return digests.mismatch(checksum) === null;
  } catch {
    return false;
  }
}

export interface FetchJob {
  /** The file's name, as messages and progress call it. */
  name: string;
  url: string;
  /** Where the temporary file goes (the dataset's folder). */
  folder: string;
  checksum: FileChecksum | null;
  /** What the user can do instead when the server cannot be reached. */
  otherwise: string;
  signal?: AbortSignal;
  fetchImpl: typeof fetch;
  onBytes(received: number, total: number | null, force: boolean): void;
}

async function fetchOrExplain(job: FetchJob): Promise<Response> {
  let response: Response;
  try {
    response = await job.fetchImpl(job.url, { signal: job.signal });
  } catch (err) {
    if (job.signal?.aborted) throw cancelled(job.name);
    const code = errorCode(err);
    throw new DownloadError(
      `Downloading ${job.name} failed: could not reach ${new URL(job.url).host}${code ? ` (${code})` : ''}. Check the internet connection, or ${job.otherwise}.`,
      'network',
    );
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new DownloadError(`Downloading ${job.name} failed: HTTP ${response.status} from ${job.url}`, 'http');
  }
  return response;
}

/**
 * Downloads `job.url` into a temporary file in `job.folder`, hashing it on the way, and checks
 * the checksum. Returns the temporary file's path and size; the caller renames it into place
 * (or reads it) and removes it. On any failure the temporary file is already gone.
 */
export async function fetchVerified(job: FetchJob): Promise<{ tmp: string; bytes: number }> {
  const response = await fetchOrExplain(job);
  const header = response.headers.get('content-length');
  const totalBytes = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  const tmp = partPath(job.folder, job.name);
  const digests = new Digests(job.checksum);
  let received = 0;
  try {
    let file;
    try {
      file = await open(tmp, 'wx');
    } catch (err) {
      throw new DownloadError(`Cannot save ${job.name} in ${job.folder}: ${errorCode(err) ?? String(err)}`, 'disk');
    }
    job.onBytes(0, totalBytes, true);
    try {
      for await (const chunk of response.body ?? []) {
        try {
          await file.write(chunk);
        } catch (err) {
          throw new DownloadError(`Cannot save ${job.name} in ${job.folder}: ${errorCode(err) ?? String(err)}`, 'disk');
        }
        digests.update(chunk);
        received += chunk.length;
        job.onBytes(received, totalBytes, false);
      }
    } catch (err) {
      if (err instanceof DownloadError) throw err;
      if (job.signal?.aborted) throw cancelled(job.name);
      const of = totalBytes === null ? '' : ` of ${megabytes(totalBytes)}`;
      const code = errorCode(err);
      throw new DownloadError(
        `Downloading ${job.name} failed: the connection broke after ${megabytes(received)}${of}${code ? ` (${code})` : ''}`,
        'network',
      );
    } finally {
      await file.close();
    }
    if (job.signal?.aborted) throw cancelled(job.name);
    const mismatch = digests.mismatch(job.checksum);
    if (mismatch !== null) throw new DownloadError(`${job.name} from ${job.url} failed its ${mismatch}; nothing was saved`, 'checksum');
    return { tmp, bytes: received };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
