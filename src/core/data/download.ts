/**
 * Downloads Fashion-MNIST into the app cache. A file only appears under its
 * real name after its checksum passed, so the locator never finds a partial
 * or wrong download.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { DownloadProgress } from '../../shared/contract/dataset';
import { cacheFolder, FASHION_MNIST_FILES, findFashionMnistFiles, type FashionMnistFile } from './fashion-mnist';

/** The official source, as given in the zalandoresearch/fashion-mnist README. */
export const FASHION_MNIST_BASE_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

/**
 * SHA-256 of each file's decompressed IDX content. Hashing the content, not the
 * .gz, accepts recompressed copies such as Debian's (same data, different gzip
 * header). Computed from dataset-fashion-mnist 0.0~git20200523.55506a9-1 with
 * `zcat FILE | sha256sum`. Those .gz files are the official ones with the gzip
 * header's file name and time stripped by Debian's build: putting back the name
 * and the time 2017-08-31 10:50:06/27 UTC reproduces the MD5s in the official
 * README byte for byte, so this is the official content.
 */
export const FASHION_MNIST_SHA256: Record<FashionMnistFile, string> = {
  trainImages: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
  trainLabels: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
  testImages: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
  testLabels: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
};

/** Sizes of the official .gz files; they weight each file's share of the overall fraction. */
const OFFICIAL_SIZES: Record<FashionMnistFile, number> = {
  trainImages: 26_421_880,
  trainLabels: 29_515,
  testImages: 4_422_102,
  testLabels: 5_148,
};

const FILE_KEYS = Object.keys(FASHION_MNIST_FILES) as FashionMnistFile[];
const TOTAL_WEIGHT = FILE_KEYS.reduce((sum, key) => sum + OFFICIAL_SIZES[key], 0);
// Progress goes to the window over IPC; ten updates a second are plenty.
const PROGRESS_INTERVAL_MS = 100;

export type DownloadFailure = 'http' | 'network' | 'checksum' | 'cancelled' | 'disk';

/** A download that did not finish; nothing partial was left in the cache. */
export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(
    message: string,
    readonly failure: DownloadFailure,
  ) {
    super(message);
  }
}

/** SHA-256 of a file's IDX content, decompressing it first when it is gzipped; null when the gzip is damaged. */
export async function idxContentSha256(path: string): Promise<string | null> {
  const bytes = await readFile(path);
  const hash = createHash('sha256');
  if (!(bytes[0] === 0x1f && bytes[1] === 0x8b)) return hash.update(bytes).digest('hex');
  const gunzip = createGunzip({ chunkSize: 1 << 18 });
  gunzip.end(bytes);
  try {
    for await (const piece of gunzip as AsyncIterable<Buffer>) hash.update(piece);
  } catch {
    return null;
  }
  return hash.digest('hex');
}

async function isVerified(path: string, key: FashionMnistFile): Promise<boolean> {
  try {
    return (await idxContentSha256(path)) === FASHION_MNIST_SHA256[key];
  } catch {
    return false;
  }
}

const megabytes = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

function errorCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: string } } | null)?.cause;
  return cause?.code ?? (err as NodeJS.ErrnoException | null)?.code;
}

/** Tracks the overall fraction, weighting each file by its official size. */
class ProgressReporter {
  private doneWeight = 0;
  private lastSent = 0;

  constructor(private readonly onProgress?: (p: DownloadProgress) => void) {}

  update(key: FashionMnistFile, receivedBytes: number, totalBytes: number | null, force = false): void {
    if (!this.onProgress) return;
    const now = Date.now();
    if (!force && now - this.lastSent < PROGRESS_INTERVAL_MS) return;
    this.lastSent = now;
    // Clamp: a server may send more than it announced (or announce nothing).
    const fileFraction = Math.min(1, receivedBytes / (totalBytes ?? OFFICIAL_SIZES[key]));
    const fraction = Math.min(1, (this.doneWeight + fileFraction * OFFICIAL_SIZES[key]) / TOTAL_WEIGHT);
    this.onProgress({ file: FASHION_MNIST_FILES[key], receivedBytes, totalBytes, fraction });
  }

  fileDone(key: FashionMnistFile, bytes: number): void {
    this.doneWeight += OFFICIAL_SIZES[key];
    if (!this.onProgress) return;
    this.lastSent = Date.now();
    this.onProgress({
      file: FASHION_MNIST_FILES[key],
      receivedBytes: bytes,
      totalBytes: bytes,
      fraction: this.doneWeight === TOTAL_WEIGHT ? 1 : this.doneWeight / TOTAL_WEIGHT,
    });
  }
}

interface FileJob {
  key: FashionMnistFile;
  url: string;
  target: string;
  signal?: AbortSignal;
  fetchImpl: typeof fetch;
  progress: ProgressReporter;
}

async function fetchOrExplain(job: FileJob, name: string): Promise<Response> {
  let response: Response;
  try {
    response = await job.fetchImpl(job.url, { signal: job.signal });
  } catch (err) {
    if (job.signal?.aborted) throw new DownloadError(`Downloading ${name} was cancelled`, 'cancelled');
    const host = new URL(job.url).host;
    const code = errorCode(err);
    throw new DownloadError(
      `Downloading ${name} failed: could not reach ${host}${code ? ` (${code})` : ''}. ` +
        'Check the internet connection, or install the Debian package dataset-fashion-mnist instead.',
      'network',
    );
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new DownloadError(`Downloading ${name} failed: HTTP ${response.status} from ${job.url}`, 'http');
  }
  return response;
}

/** Streams the body into `tmp`, reporting progress; returns the number of bytes written. */
async function saveBody(job: FileJob, name: string, response: Response, tmp: string): Promise<number> {
  const header = response.headers.get('content-length');
  const totalBytes = header !== null && /^\d+$/.test(header) ? Number(header) : null;
  let received = 0;
  job.progress.update(job.key, 0, totalBytes, true);
  let file;
  try {
    file = await open(tmp, 'wx');
  } catch (err) {
    throw new DownloadError(`Cannot save ${name} in ${join(tmp, '..')}: ${errorCode(err) ?? String(err)}`, 'disk');
  }
  try {
    if (response.body === null) return 0;
    for await (const chunk of response.body) {
      try {
        await file.write(chunk);
      } catch (err) {
        throw new DownloadError(`Cannot save ${name} in ${join(tmp, '..')}: ${errorCode(err) ?? String(err)}`, 'disk');
      }
      received += chunk.length;
      job.progress.update(job.key, received, totalBytes);
    }
  } catch (err) {
    if (err instanceof DownloadError) throw err;
    if (job.signal?.aborted) throw new DownloadError(`Downloading ${name} was cancelled`, 'cancelled');
    const of = totalBytes === null ? '' : ` of ${megabytes(totalBytes)}`;
    const code = errorCode(err);
    throw new DownloadError(
      `Downloading ${name} failed: the connection broke after ${megabytes(received)}${of}${code ? ` (${code})` : ''}`,
      'network',
    );
  } finally {
    await file.close();
  }
  return received;
}

async function downloadFile(job: FileJob): Promise<void> {
  const name = FASHION_MNIST_FILES[job.key];
  const response = await fetchOrExplain(job, name);
  // Next to the target (same file system, so the rename is atomic) under a
  // name the locator never looks for.
  const tmp = join(job.target, '..', `.${name}.${process.pid}-${randomBytes(4).toString('hex')}.part`);
  try {
    const bytes = await saveBody(job, name, response, tmp);
    const expected = FASHION_MNIST_SHA256[job.key];
    const got = await idxContentSha256(tmp);
    if (got !== expected) {
      throw new DownloadError(
        `${name} from ${job.url} failed its SHA-256 check (expected ${expected}, got ${got ?? 'a damaged gzip file'}); nothing was saved`,
        'checksum',
      );
    }
    if (job.signal?.aborted) throw new DownloadError(`Downloading ${name} was cancelled`, 'cancelled');
    await rename(tmp, job.target);
    job.progress.fileDone(job.key, bytes);
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Downloads the four Fashion-MNIST files into `<cacheDir>/fashion-mnist`,
 * skipping those already there and intact. Returns the folder.
 */
export async function downloadFashionMnist(opts: {
  cacheDir: string;
  baseUrl?: string;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  fetchImpl?: typeof fetch;
}): Promise<string> {
  const folder = cacheFolder(opts.cacheDir);
  try {
    await mkdir(folder, { recursive: true });
  } catch (err) {
    throw new DownloadError(`Cannot create the download folder ${folder}: ${errorCode(err) ?? String(err)}`, 'disk');
  }
  const base = opts.baseUrl ?? FASHION_MNIST_BASE_URL;
  const baseUrl = base.endsWith('/') ? base : `${base}/`;
  const progress = new ProgressReporter(opts.onProgress);
  const present = findFashionMnistFiles(folder);

  for (const key of FILE_KEYS) {
    const name = FASHION_MNIST_FILES[key];
    if (opts.signal?.aborted) throw new DownloadError(`Downloading ${name} was cancelled`, 'cancelled');
    const existing = present[key];
    if (existing !== null && (await isVerified(existing, key))) {
      progress.fileDone(key, (await stat(existing)).size);
      continue;
    }
    await downloadFile({
      key,
      url: new URL(name, baseUrl).href,
      target: join(folder, name),
      signal: opts.signal,
      fetchImpl: opts.fetchImpl ?? fetch,
      progress,
    });
  }
  return folder;
}
