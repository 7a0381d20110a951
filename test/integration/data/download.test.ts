import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadProgress } from '../../../src/shared/contract/dataset';
import type { LayerlabEvent } from '../../../src/shared/contract/api';
import { openLayerlab, type Layerlab } from '../../../src/core/app';
import { DownloadError, FASHION_MNIST_SHA256, downloadFashionMnist } from '../../../src/core/data/download';
import { FASHION_MNIST_FILES, SYSTEM_DATASET_FOLDER, locateFashionMnist } from '../../../src/core/data/fashion-mnist';

const NAMES = Object.values(FASHION_MNIST_FILES);
const official = new Map<string, Buffer>(NAMES.map((name) => [name, readFileSync(join(SYSTEM_DATASET_FOLDER, name))]));

// The test labels with one label changed: still a valid gzip, but not Fashion-MNIST.
const corruptLabelsContent = gunzipSync(official.get('t10k-labels-idx1-ubyte.gz')!);
corruptLabelsContent[8] = (corruptLabelsContent[8] + 1) % 10;
const corruptLabels = gzipSync(corruptLabelsContent);
const corruptLabelsSha = createHash('sha256').update(corruptLabelsContent).digest('hex');

let server: Server;
let baseUrl = '';
const requests: string[] = [];
let stalledResponseStarted: () => void = () => undefined;

/**
 * /official/ serves the Debian files (train images in paced pieces, so progress
 * shows in between), /corrupt/ the same but with altered test labels,
 * /missing/ answers 404, /stall/ sends part of a file and then hangs, /slow/
 * sends the test images a little at a time (about 5 s in all) and the rest at once.
 */
function serve(): Promise<void> {
  server = createServer((req, res) => {
    const [, route, name] = (req.url ?? '').split('/');
    requests.push(`${route}/${name}`);
    const body = route === 'corrupt' && name === 't10k-labels-idx1-ubyte.gz' ? corruptLabels : official.get(name);
    if (route === 'missing' || body === undefined) {
      res.writeHead(404).end('Not Found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/x-gzip', 'content-length': body.length });
    if (route === 'stall') {
      res.write(body.subarray(0, 1 << 16), () => stalledResponseStarted());
      return;
    }
    if (route === 'slow' && name === 't10k-images-idx3-ubyte.gz') {
      let sent = 0;
      const drip = (): void => {
        if (res.destroyed) return;
        res.write(body.subarray(sent, sent + (1 << 14)));
        sent += 1 << 14;
        if (sent < body.length) setTimeout(drip, 20);
        else res.end();
      };
      drip();
      return;
    }
    if (name !== 'train-images-idx3-ubyte.gz') {
      res.end(body);
      return;
    }
    const pieces = 5;
    const size = Math.ceil(body.length / pieces);
    let sent = 0;
    const next = (): void => {
      res.write(body.subarray(sent * size, (sent + 1) * size));
      sent++;
      if (sent < pieces) setTimeout(next, 120);
      else res.end();
    };
    next();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve();
    }),
  );
}

const root = mkdtempSync(join(tmpdir(), 'layerlab-download-'));
beforeAll(serve);
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

let cacheCount = 0;
const newCacheDir = (): string => join(root, `cache-${++cacheCount}`);
const cachedFiles = (cacheDir: string): string[] => {
  const folder = join(cacheDir, 'fashion-mnist');
  return existsSync(folder) ? readdirSync(folder).sort() : [];
};
const noSystem = join(root, 'no-system-folder');

describe('downloading Fashion-MNIST into the app cache', () => {
  it('saves the four files, reports progress up to 1, and the locator finds them', async () => {
    const cacheDir = newCacheDir();
    const progress: DownloadProgress[] = [];
    const folder = await downloadFashionMnist({ cacheDir, baseUrl: `${baseUrl}/official/`, onProgress: (p) => progress.push(p) });

    expect(folder).toBe(join(cacheDir, 'fashion-mnist'));
    expect(cachedFiles(cacheDir)).toEqual([...NAMES].sort());
    for (const name of NAMES) expect(readFileSync(join(folder, name)).equals(official.get(name)!)).toBe(true);

    const fractions = progress.map((p) => p.fraction);
    expect(fractions.at(-1)).toBe(1);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1]);
    // The paced train images showed progress between start and end.
    const trainImages = progress.filter((p) => p.file === 'train-images-idx3-ubyte.gz');
    expect(trainImages.some((p) => p.receivedBytes > 0 && p.receivedBytes < p.totalBytes!)).toBe(true);
    expect(trainImages.at(-1)!.receivedBytes).toBe(official.get('train-images-idx3-ubyte.gz')!.length);
    expect(trainImages.every((p) => p.totalBytes === official.get('train-images-idx3-ubyte.gz')!.length)).toBe(true);

    const status = locateFashionMnist({ cacheDir, systemFolder: noSystem });
    expect([status.available, status.folder]).toEqual([true, folder]);
  });

  it('keeps a file that fails its checksum out of the cache, and says so', async () => {
    const cacheDir = newCacheDir();
    const url = `${baseUrl}/corrupt/t10k-labels-idx1-ubyte.gz`;
    await expect(downloadFashionMnist({ cacheDir, baseUrl: `${baseUrl}/corrupt/` })).rejects.toThrow(
      `t10k-labels-idx1-ubyte.gz from ${url} failed its SHA-256 check ` +
        `(expected ${FASHION_MNIST_SHA256.testLabels}, got ${corruptLabelsSha}); nothing was saved`,
    );
    // The three good files stay; the bad one (and any partial file) does not.
    expect(cachedFiles(cacheDir)).toEqual(['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz'].sort());
    const status = locateFashionMnist({ cacheDir, systemFolder: noSystem });
    expect(status.available).toBe(false);

    // Trying again fetches only what is missing.
    requests.length = 0;
    await downloadFashionMnist({ cacheDir, baseUrl: `${baseUrl}/official/` });
    expect(requests).toEqual(['official/t10k-labels-idx1-ubyte.gz']);
    expect(locateFashionMnist({ cacheDir, systemFolder: noSystem }).available).toBe(true);
  });

  it('replaces a wrong file already in the cache', async () => {
    const cacheDir = newCacheDir();
    const folder = join(cacheDir, 'fashion-mnist');
    mkdirSync(folder, { recursive: true });
    for (const name of NAMES) writeFileSync(join(folder, name), official.get(name)!);
    writeFileSync(join(folder, 'train-labels-idx1-ubyte.gz'), corruptLabels);

    requests.length = 0;
    await downloadFashionMnist({ cacheDir, baseUrl: `${baseUrl}/official/` });
    expect(requests).toEqual(['official/train-labels-idx1-ubyte.gz']);
    const labels = readFileSync(join(folder, 'train-labels-idx1-ubyte.gz'));
    expect(labels.equals(official.get('train-labels-idx1-ubyte.gz')!)).toBe(true);
  });

  it('reports an HTTP error with its status and URL, saving nothing', async () => {
    const cacheDir = newCacheDir();
    const failure = downloadFashionMnist({ cacheDir, baseUrl: `${baseUrl}/missing` });
    await expect(failure).rejects.toThrow(
      `Downloading train-images-idx3-ubyte.gz failed: HTTP 404 from ${baseUrl}/missing/train-images-idx3-ubyte.gz`,
    );
    await expect(failure).rejects.toMatchObject({ failure: 'http' });
    expect(cachedFiles(cacheDir)).toEqual([]);
  });

  it('reports a server that cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    const failure = downloadFashionMnist({ cacheDir: newCacheDir(), baseUrl: `http://127.0.0.1:${port}/` });
    await expect(failure).rejects.toThrow(`Downloading train-images-idx3-ubyte.gz failed: could not reach 127.0.0.1:${port} (ECONNREFUSED).`);
    await expect(failure).rejects.toBeInstanceOf(DownloadError);
  });

  it('leaves nothing behind when cancelled mid-file', async () => {
    const cacheDir = newCacheDir();
    const controller = new AbortController();
    stalledResponseStarted = () => setTimeout(() => controller.abort(), 50);
    const failure = downloadFashionMnist({ cacheDir, baseUrl: `${baseUrl}/stall/`, signal: controller.signal });
    await expect(failure).rejects.toThrow('Downloading train-images-idx3-ubyte.gz was cancelled');
    await expect(failure).rejects.toMatchObject({ failure: 'cancelled' });
    expect(cachedFiles(cacheDir)).toEqual([]);
  });
});

describe('cancelling a download from the app', () => {
  const SLOW_FILE = 't10k-images-idx3-ubyte.gz';
  const opened: Layerlab[] = [];
  afterAll(async () => {
    for (const app of opened) await app.close().catch(() => undefined);
  });

  /** The app over its own data folder, downloading from the slow route, with the train labels already in its cache. */
  function openApp() {
    const dataDir = join(root, `app-${++cacheCount}`);
    const folder = join(dataDir, 'cache', 'fashion-mnist');
    mkdirSync(folder, { recursive: true });
    const keptLabels = join(folder, 'train-labels-idx1-ubyte.gz');
    writeFileSync(keptLabels, official.get('train-labels-idx1-ubyte.gz')!);
    const app = openLayerlab({
      shell: 'browser',
      dataDir,
      databasePath: join(dataDir, 'layerlab.db'),
      datasetBaseUrl: `${baseUrl}/slow/`,
      launchTrainer: () => {
        throw new Error('no run is trained in these tests');
      },
    });
    opened.push(app);
    const events: LayerlabEvent[] = [];
    app.events.subscribe((e) => events.push(e));
    // Resolves once part, not all, of the slow file has arrived.
    const midway = new Promise<void>((resolve) =>
      app.events.subscribe((e) => {
        if (e.type !== 'dataset-progress' || e.progress.file !== SLOW_FILE) return;
        if (e.progress.receivedBytes > 0 && e.progress.receivedBytes < e.progress.totalBytes!) resolve();
      }),
    );
    return { app, events, midway, cacheDir: join(dataDir, 'cache'), keptLabels, labelsBefore: statSync(keptLabels).mtimeMs };
  }

  it('stops mid-file, keeps the files already verified, removes the partial one and says it was cancelled', async () => {
    const { app, events, midway, cacheDir, keptLabels, labelsBefore } = openApp();
    const downloading = app.service.downloadDataset();
    await midway;
    const answer = await app.service.cancelDownload();

    expect(answer.message).toMatch(/^The download was cancelled; no partial file was kept\./);
    expect(await downloading).toEqual(answer);
    expect(events.filter((e) => e.type === 'dataset-status').at(-1)).toEqual({ type: 'dataset-status', status: answer });
    // The train images finished before the cancel; the test images were cut off and left no trace.
    expect(cachedFiles(cacheDir)).toEqual(['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']);
    expect(readFileSync(keptLabels).equals(official.get('train-labels-idx1-ubyte.gz')!)).toBe(true);
    expect(statSync(keptLabels).mtimeMs).toBe(labelsBefore);

    // Nothing left to cancel: the answer is just where the dataset is.
    expect(await app.service.cancelDownload()).toEqual(app.service.datasetStatus());
  });

  it('closing the app stops a download under way', async () => {
    const { app, midway, cacheDir } = openApp();
    let ended = false;
    const downloading = Promise.resolve(app.service.downloadDataset()).then((status) => {
      ended = true;
      return status;
    });
    await midway;
    await app.close();

    // By the time close() returns, the download has ended and its partial file is gone.
    expect(ended).toBe(true);
    expect((await downloading).message).toMatch(/^The download was cancelled/);
    expect(cachedFiles(cacheDir)).toEqual(['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']);
  });
});
