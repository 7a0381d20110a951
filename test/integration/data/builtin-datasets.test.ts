import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILTIN_DATASETS,
  downloadBuiltinDataset,
  getBuiltinDataset,
  loadBuiltinDataset,
  locateBuiltinDataset,
  type BuiltinDataset,
} from '../../../src/core/data/builtin-datasets';
import { SYSTEM_DATASET_FOLDER } from '../../../src/core/data/fashion-mnist';
import type { DownloadProgress } from '../../../src/shared/contract/dataset';
import { idxBytes } from '../../helpers';

const root = mkdtempSync(join(tmpdir(), 'layerlab-builtin-'));
let folders = 0;
const newFolder = (name = 'folder'): string => {
  const folder = join(root, `${name}-${++folders}`);
  mkdirSync(folder, { recursive: true });
  return folder;
};
const noSystem = join(root, 'no-system-folder');
const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');
const listing = (folder: string): string[] => (existsSync(folder) ? readdirSync(folder).sort() : []);

// ---- Data the tests write -------------------------------------------------------------------

const IDX_NAMES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

/** A tiny MNIST-format set: 3 training and 2 test images of 28×28, pixel i of image n = (n * 31 + i) % 256. */
function mnistFiles(opts: { trainLabels?: number[] } = {}): Record<string, Buffer> {
  const trainLabels = opts.trainLabels ?? [7, 0, 9];
  const images = (count: number, first: number): Uint8Array =>
    Uint8Array.from({ length: count * 784 }, (_, k) => ((first + Math.floor(k / 784)) * 31 + (k % 784)) % 256);
  return {
    'train-images-idx3-ubyte.gz': gzipSync(idxBytes([3, 28, 28], images(3, 0))),
    'train-labels-idx1-ubyte.gz': gzipSync(idxBytes([trainLabels.length], Uint8Array.from(trainLabels))),
    't10k-images-idx3-ubyte.gz': gzipSync(idxBytes([2, 28, 28], images(2, 3))),
    't10k-labels-idx1-ubyte.gz': gzipSync(idxBytes([2], Uint8Array.from([3, 5]))),
  };
}

function writeFiles(folder: string, files: Record<string, Buffer>): string {
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(folder, name), bytes);
  return folder;
}

const PLANE = 1024;
const RECORD = 3073;
/** Global record n: label (3n) % 10; red, green and blue of pixel p are (7n + p), (11n + 2p), (13n + 3p), all mod 256. */
const red = (n: number, p: number): number => (7 * n + p) % 256;
const green = (n: number, p: number): number => (11 * n + 2 * p) % 256;
const blue = (n: number, p: number): number => (13 * n + 3 * p) % 256;
const labelOf = (n: number): number => (3 * n) % 10;

/** A CIFAR-10 batch file of `records` records, numbered globally from `first`. */
function cifarBatch(first: number, records: number): Buffer {
  const bytes = Buffer.alloc(records * RECORD);
  for (let r = 0; r < records; r++) {
    const n = first + r;
    const at = r * RECORD;
    bytes[at] = labelOf(n);
    for (let p = 0; p < PLANE; p++) {
      bytes[at + 1 + p] = red(n, p);
      bytes[at + 1 + PLANE + p] = green(n, p);
      bytes[at + 1 + 2 * PLANE + p] = blue(n, p);
    }
  }
  return bytes;
}

const CIFAR_TRAIN = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
const CIFAR_ALL = [...CIFAR_TRAIN, 'test_batch.bin'];
const PER_FILE = 2;

/** The six batch files of PER_FILE records each: records 0–9 to train on, 10–11 to test. */
function cifarFiles(): Record<string, Buffer> {
  return Object.fromEntries(CIFAR_ALL.map((name, i) => [name, cifarBatch(i * PER_FILE, PER_FILE)]));
}

/** One ustar entry: a 512-byte header (a prefix for long paths) and the data padded to 512 bytes. */
function tarEntry(path: string, data: Buffer | null): Buffer {
  const header = Buffer.alloc(512);
  let name = path;
  let prefix = '';
  if (path.length > 100) {
    const cut = path.lastIndexOf('/', 155);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  const size = data?.length ?? 0;
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0001750\0', 108);
  header.write('0001750\0', 116);
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  header.write(`${Math.floor(Date.UTC(2009, 2, 31) / 1000).toString(8)}\0`, 136);
  header.write('        ', 148);
  header.write(data === null ? '5' : '0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  header.write(prefix, 345);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  if (data === null) return header;
  return Buffer.concat([header, data, Buffer.alloc((512 - (size % 512)) % 512)]);
}

/** The binary version's layout: a folder, its readme and meta file, the six batches; two zero blocks at the end. */
function cifarArchive(files: Record<string, Buffer>): Buffer {
  const entries = [
    tarEntry('cifar-10-batches-bin/', null),
    tarEntry('cifar-10-batches-bin/batches.meta.txt', Buffer.from('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n')),
    tarEntry(`cifar-10-batches-bin/${'a-folder-name-long-enough-for-a-ustar-prefix/'.repeat(2)}readme.html`, Buffer.from('<p>CIFAR-10</p>')),
    ...Object.entries(files).map(([name, bytes]) => tarEntry(`cifar-10-batches-bin/${name}`, bytes)),
  ];
  return gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]), { level: 1 });
}

const cifarTarGz = cifarArchive(cifarFiles());
const cifar = getBuiltinDataset('cifar-10') as BuiltinDataset & { format: 'cifar-10-binary' };
/** CIFAR-10 as the test's archive has it: two records per file, its MD5. */
const smallCifar: BuiltinDataset = {
  ...cifar,
  recordsPerFile: PER_FILE,
  trainCount: 5 * PER_FILE,
  testCount: PER_FILE,
  download: { ...cifar.download, files: [{ name: 'cifar-10-binary.tar.gz', bytes: cifarTarGz.length, checksum: { md5: md5(cifarTarGz) } }] },
};

// ---- A local server -------------------------------------------------------------------------

let server: Server;
let baseUrl = '';
/** URL path → body. Under /stall/, half the body is sent and then nothing. */
const served = new Map<string, Buffer>();
let stalled: () => void = () => undefined;

beforeAll(
  () =>
    new Promise<void>((resolve) => {
      server = createServer((req, res) => {
        const url = req.url ?? '';
        const body = served.get(url.replace(/^\/stall\//, '/'));
        if (body === undefined) {
          res.writeHead(404).end('Not Found');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
        if (url.startsWith('/stall/')) res.write(body.subarray(0, body.length >> 1), () => stalled());
        else res.end(body);
      });
      server.listen(0, '127.0.0.1', () => {
        baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        resolve();
      });
    }),
);
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

const serve = (route: string, files: Record<string, Buffer>): string => {
  for (const [name, body] of Object.entries(files)) served.set(`/${route}/${name}`, body);
  return `${baseUrl}/${route}/`;
};

// ---- The tests ------------------------------------------------------------------------------

describe('the registry of built-in datasets', () => {
  it('lists Fashion-MNIST, MNIST, Kuzushiji-MNIST and CIFAR-10 with their shapes, classes and split sizes', () => {
    expect(BUILTIN_DATASETS.map((d) => [d.id, d.name, d.shape, d.classNames.length, d.trainCount, d.testCount])).toEqual([
      ['fashion-mnist', 'Fashion-MNIST', [28, 28, 1], 10, 60_000, 10_000],
      ['mnist', 'MNIST', [28, 28, 1], 10, 60_000, 10_000],
      ['kmnist', 'Kuzushiji-MNIST', [28, 28, 1], 10, 60_000, 10_000],
      ['cifar-10', 'CIFAR-10', [32, 32, 3], 10, 50_000, 10_000],
    ]);
    expect(getBuiltinDataset('fashion-mnist').classNames[0]).toBe('T-shirt/top');
    expect(getBuiltinDataset('mnist').classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(
      getBuiltinDataset('kmnist')
        .classNames.map((c) => c[0])
        .join(''),
    ).toBe('おきすつなはまやれを');
    expect(getBuiltinDataset('cifar-10').classNames).toEqual([
      'airplane',
      'automobile',
      'bird',
      'cat',
      'deer',
      'dog',
      'frog',
      'horse',
      'ship',
      'truck',
    ]);
    expect(() => getBuiltinDataset('svhn')).toThrow(
      'There is no built-in dataset "svhn"; the built-in datasets are fashion-mnist, mnist, kmnist, cifar-10',
    );
  });

  it('downloads MNIST from a mirror that serves it and CIFAR-10 from its own page, each file with a checksum', () => {
    expect(getBuiltinDataset('mnist').download.baseUrl).toBe('https://ossci-datasets.s3.amazonaws.com/mnist/');
    expect(getBuiltinDataset('cifar-10').download.files).toEqual([
      { name: 'cifar-10-binary.tar.gz', bytes: 170_052_171, checksum: { md5: 'c32a1d4ab5d03f1284b67883e8d87530' } },
    ]);
    for (const id of ['mnist', 'kmnist', 'cifar-10'] as const) {
      for (const file of getBuiltinDataset(id).download.files) expect(file.checksum?.md5).toMatch(/^[0-9a-f]{32}$/);
    }
  });
});

describe('MNIST-format datasets (IDX)', () => {
  it('are found in the folder the user picked and load with the dataset’s shape, class names, counts and content hash', async () => {
    const folder = writeFiles(newFolder('mnist'), mnistFiles());
    const status = locateBuiltinDataset('mnist', { cacheDir: newFolder('cache'), userFolder: folder });
    expect([status.id, status.available, status.folder, status.message]).toEqual(['mnist', true, folder, null]);

    const data = await loadBuiltinDataset('mnist', folder, { anyCount: true, decodedCacheDir: null });
    expect(data.meta).toMatchObject({ id: 'mnist', name: 'MNIST', source: 'builtin', shape: [28, 28, 1], trainCount: 3, testCount: 2 });
    expect(data.meta.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(Array.from(data.train.labels)).toEqual([7, 0, 9]);
    expect(Array.from(data.test.labels)).toEqual([3, 5]);
    // Test image 1 is image 4 overall: pixel (row 2, column 5) is (4 * 31 + 61) % 256.
    expect(data.test.images[784 + 2 * 28 + 5]).toBe((4 * 31 + 61) % 256);
    expect(data.meta.hash).toMatch(/^[0-9a-f]{64}$/);

    // The hash follows the content, not the files: extracted copies hash the same, one pixel changed does not.
    const raw = newFolder('mnist-raw');
    for (const [name, bytes] of Object.entries(mnistFiles())) writeFileSync(join(raw, name.replace(/\.gz$/, '')), gunzipSync(bytes));
    expect((await loadBuiltinDataset('mnist', raw, { anyCount: true, decodedCacheDir: null })).meta.hash).toBe(data.meta.hash);
    const changed = mnistFiles();
    const images = gunzipSync(changed['t10k-images-idx3-ubyte.gz']);
    images[16 + 100] ^= 1;
    changed['t10k-images-idx3-ubyte.gz'] = gzipSync(images);
    const other = await loadBuiltinDataset('mnist', writeFiles(newFolder('mnist-changed'), changed), { anyCount: true, decodedCacheDir: null });
    expect(other.meta.hash).not.toBe(data.meta.hash);
    // The same files as Kuzushiji-MNIST: other class names, so another dataset.
    expect((await loadBuiltinDataset('kmnist', folder, { anyCount: true, decodedCacheDir: null })).meta.hash).not.toBe(data.meta.hash);
  });

  it('are refused when the counts are not the official ones or disagree, or a label is not a class', async () => {
    const folder = writeFiles(newFolder('mnist'), mnistFiles());
    await expect(loadBuiltinDataset('mnist', folder, { decodedCacheDir: null })).rejects.toThrow(
      `${join(folder, 'train-images-idx3-ubyte.gz')} holds 3 images; the MNIST training set has 60,000`,
    );
    const extraLabel = writeFiles(newFolder('mnist'), mnistFiles({ trainLabels: [1, 2, 3, 4] }));
    await expect(loadBuiltinDataset('mnist', extraLabel, { anyCount: true, decodedCacheDir: null })).rejects.toThrow(
      `${join(extraLabel, 'train-labels-idx1-ubyte.gz')} has 4 labels for the 3 images in ${join(extraLabel, 'train-images-idx3-ubyte.gz')}`,
    );
    const badLabel = writeFiles(newFolder('kmnist'), mnistFiles({ trainLabels: [1, 10, 2] }));
    await expect(loadBuiltinDataset('kmnist', badLabel, { anyCount: true, decodedCacheDir: null })).rejects.toThrow(
      `${join(badLabel, 'train-labels-idx1-ubyte.gz')} has label 10 at position 1; Kuzushiji-MNIST labels are 0 to 9`,
    );
  });

  it('say which files a folder lacks and how to get the dataset', () => {
    const cacheDir = newFolder('cache');
    const folder = newFolder('partial');
    writeFileSync(join(folder, 'train-images-idx3-ubyte.gz'), mnistFiles()['train-images-idx3-ubyte.gz']);
    const status = locateBuiltinDataset('kmnist', { cacheDir, userFolder: folder });
    expect(status.available).toBe(false);
    expect(status.searched).toEqual([folder, join(cacheDir, 'kmnist')]);
    expect(status.message).toBe(
      `The folder you chose, ${folder}, lacks train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (gzipped or not). ` +
        `Kuzushiji-MNIST was not found in ${folder} and ${join(cacheDir, 'kmnist')}. ` +
        'Download it (about 21 MB), or choose a folder holding train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (gzipped or not).',
    );
  });

  it('download into <cache>/<id> with progress, and the locator finds them there', async () => {
    const files = mnistFiles();
    const small: BuiltinDataset = {
      ...getBuiltinDataset('mnist'),
      trainCount: 3,
      testCount: 2,
      download: { baseUrl: '', files: IDX_NAMES.map((name) => ({ name, bytes: files[name].length, checksum: { md5: md5(files[name]) } })) },
    };
    const cacheDir = newFolder('cache');
    const progress: DownloadProgress[] = [];
    const folder = await downloadBuiltinDataset(small, { cacheDir, baseUrl: serve('mnist-ok', files), onProgress: (p) => progress.push(p) });
    expect(folder).toBe(join(cacheDir, 'mnist'));
    expect(listing(folder)).toEqual([...IDX_NAMES].sort());
    expect(progress.at(-1)?.fraction).toBe(1);
    for (let i = 1; i < progress.length; i++) expect(progress[i].fraction).toBeGreaterThanOrEqual(progress[i - 1].fraction);
    expect(locateBuiltinDataset(small, { cacheDir, systemFolder: noSystem })).toMatchObject({ available: true, folder });
    expect((await loadBuiltinDataset(small, folder, { decodedCacheDir: null })).meta.trainCount).toBe(3);
  });

  it('refuse a file that fails its MD5 check and keep nothing of it', async () => {
    const cacheDir = newFolder('cache');
    const baseUrl = serve('mnist-wrong', mnistFiles());
    const url = `${baseUrl}train-images-idx3-ubyte.gz`;
    const failure = downloadBuiltinDataset('mnist', { cacheDir, baseUrl });
    await expect(failure).rejects.toThrow(
      `train-images-idx3-ubyte.gz from ${url} failed its MD5 check (expected f68b3c2dcbeaaa9fbdd348bbdeb94873, got ${md5(mnistFiles()['train-images-idx3-ubyte.gz'])}); nothing was saved`,
    );
    await expect(failure).rejects.toMatchObject({ failure: 'checksum' });
    expect(listing(join(cacheDir, 'mnist'))).toEqual([]);
  });

  it('refuse a download with the checksum right but not the official counts', async () => {
    const files = mnistFiles();
    const unchecked: BuiltinDataset = {
      ...getBuiltinDataset('kmnist'),
      download: { baseUrl: '', files: IDX_NAMES.map((name) => ({ name, bytes: files[name].length, checksum: { md5: md5(files[name]) } })) },
    };
    const cacheDir = newFolder('cache');
    const baseUrl = serve('kmnist-small', files);
    await expect(downloadBuiltinDataset(unchecked, { cacheDir, baseUrl })).rejects.toThrow(
      `train-images-idx3-ubyte.gz from ${baseUrl}train-images-idx3-ubyte.gz holds 3 images; the Kuzushiji-MNIST training set has 60,000; nothing was saved`,
    );
    expect(listing(join(cacheDir, 'kmnist'))).toEqual([]);
  });
});

describe('CIFAR-10 (binary version)', () => {
  /** Checks image `i` of `set` against global record `n` at a few pixels, and its label. */
  function expectRecord(set: { images: Uint8Array; labels: Uint8Array }, i: number, n: number): void {
    for (const [y, x] of [
      [0, 0],
      [2, 5],
      [31, 31],
    ]) {
      const p = y * 32 + x;
      const at = (i * 1024 + p) * 3;
      expect(Array.from(set.images.subarray(at, at + 3)), `image ${i}, row ${y}, column ${x}`).toEqual([red(n, p), green(n, p), blue(n, p)]);
    }
    expect(set.labels[i]).toBe(labelOf(n));
  }

  it('loads batch files with each pixel’s red, green and blue together (HWC) and the labels', async () => {
    const folder = writeFiles(newFolder('cifar'), cifarFiles());
    const data = await loadBuiltinDataset('cifar-10', folder, { anyCount: true });
    expect(data.meta).toMatchObject({ id: 'cifar-10', shape: [32, 32, 3], trainCount: 10, testCount: 2 });
    expect(data.meta.classNames[9]).toBe('truck');
    expect([data.train.rows, data.train.cols, data.train.channels, data.train.images.length]).toEqual([32, 32, 3, 10 * 3072]);
    expectRecord(data.train, 0, 0);
    expectRecord(data.train, 5, 5); // data_batch_3.bin's second record
    expectRecord(data.test, 1, 11);
  });

  it('refuses a batch file that is not a whole number of records, or not the official 10,000, or has a label past 9', async () => {
    const folder = writeFiles(newFolder('cifar'), cifarFiles());
    writeFileSync(join(folder, 'data_batch_3.bin'), Buffer.alloc(30_725_000));
    await expect(loadBuiltinDataset('cifar-10', folder, { anyCount: true })).rejects.toThrow(
      `${join(folder, 'data_batch_3.bin')} is 30,725,000 bytes, not a whole number of 3,073-byte records`,
    );

    const small = writeFiles(newFolder('cifar'), cifarFiles());
    await expect(loadBuiltinDataset('cifar-10', small)).rejects.toThrow(
      `${join(small, 'data_batch_1.bin')} holds 2 records (6,146 bytes); a CIFAR-10 batch file holds 10,000 (30,730,000 bytes)`,
    );

    const badLabel = cifarBatch(10, PER_FILE);
    badLabel[RECORD] = 10;
    writeFileSync(join(small, 'test_batch.bin'), badLabel);
    await expect(loadBuiltinDataset('cifar-10', small, { anyCount: true })).rejects.toThrow(
      `${join(small, 'test_batch.bin')} has label 10 in record 1; CIFAR-10 labels are 0 to 9`,
    );
  });

  it('is found in the extracted cifar-10-batches-bin when the user picks the folder around it', () => {
    const outer = newFolder('download');
    const inner = join(outer, 'cifar-10-batches-bin');
    mkdirSync(inner);
    writeFiles(inner, cifarFiles());
    expect(locateBuiltinDataset(smallCifar, { cacheDir: newFolder('cache'), userFolder: outer })).toMatchObject({
      available: true,
      folder: inner,
      message: null,
    });
  });

  it('downloads the tar.gz, extracts and checks the six batch files, keeps only them, and loads', async () => {
    const cacheDir = newFolder('cache');
    const progress: DownloadProgress[] = [];
    const baseUrl = serve('cifar-ok', { 'cifar-10-binary.tar.gz': cifarTarGz });
    const folder = await downloadBuiltinDataset(smallCifar, { cacheDir, baseUrl, onProgress: (p) => progress.push(p) });

    expect(folder).toBe(join(cacheDir, 'cifar-10'));
    expect(listing(folder)).toEqual([...CIFAR_ALL].sort());
    expect(progress[0]).toMatchObject({ file: 'cifar-10-binary.tar.gz', fraction: 0 });
    expect(progress.at(-1)).toMatchObject({ file: 'test_batch.bin', fraction: 1 });
    expect(new Set(progress.map((p) => p.file))).toEqual(new Set(['cifar-10-binary.tar.gz', ...CIFAR_ALL]));
    for (let i = 1; i < progress.length; i++) expect(progress[i].fraction).toBeGreaterThanOrEqual(progress[i - 1].fraction);

    expect(locateBuiltinDataset(smallCifar, { cacheDir, systemFolder: noSystem })).toMatchObject({ available: true, folder });
    const data = await loadBuiltinDataset(smallCifar, folder);
    expect([data.meta.trainCount, data.meta.testCount]).toEqual([10, 2]);
    expectRecord(data.train, 9, 9);
    expectRecord(data.test, 0, 10);

    // Already there: nothing is fetched again (this address has nothing to fetch).
    await expect(downloadBuiltinDataset(smallCifar, { cacheDir, baseUrl: `${baseUrl}nothing-here/` })).resolves.toBe(folder);
    expect(listing(folder)).toEqual([...CIFAR_ALL].sort());
  });

  it('refuses an archive that fails the published MD5, keeping nothing', async () => {
    const cacheDir = newFolder('cache');
    const baseUrl = serve('cifar-other', { 'cifar-10-binary.tar.gz': cifarTarGz });
    const failure = downloadBuiltinDataset('cifar-10', { cacheDir, baseUrl });
    await expect(failure).rejects.toThrow(
      `cifar-10-binary.tar.gz from ${baseUrl}cifar-10-binary.tar.gz failed its MD5 check (expected c32a1d4ab5d03f1284b67883e8d87530, got ${md5(cifarTarGz)}); nothing was saved`,
    );
    await expect(failure).rejects.toMatchObject({ failure: 'checksum' });
    expect(listing(join(cacheDir, 'cifar-10'))).toEqual([]);
  });

  it('refuses batch files of other than 10,000 records from an archive whose checksum matched, keeping nothing', async () => {
    const cacheDir = newFolder('cache');
    const officialCounts: BuiltinDataset = { ...cifar, download: smallCifar.download };
    const baseUrl = serve('cifar-small', { 'cifar-10-binary.tar.gz': cifarTarGz });
    await expect(downloadBuiltinDataset(officialCounts, { cacheDir, baseUrl })).rejects.toThrow(
      `data_batch_1.bin in cifar-10-binary.tar.gz from ${baseUrl}cifar-10-binary.tar.gz holds 2 records (6,146 bytes); ` +
        'a CIFAR-10 batch file holds 10,000 (30,730,000 bytes); nothing was saved',
    );
    expect(listing(join(cacheDir, 'cifar-10'))).toEqual([]);
  });

  it('refuses a damaged archive and one that lacks a batch file', async () => {
    const damaged = gzipSync(Buffer.concat([Buffer.from('not a tar header'), Buffer.alloc(2000, 1)]));
    const lacking = cifarArchive(Object.fromEntries(Object.entries(cifarFiles()).filter(([name]) => name !== 'data_batch_4.bin')));
    for (const [route, archive, message] of [
      ['cifar-damaged', damaged, 'is not a tar archive or is damaged: the header near byte 0 fails its checksum; nothing was saved'],
      ['cifar-lacking', lacking, 'lacks data_batch_4.bin; nothing was saved'],
    ] as const) {
      const cacheDir = newFolder('cache');
      const baseUrl = serve(route, { 'cifar-10-binary.tar.gz': archive });
      const spec: BuiltinDataset = {
        ...smallCifar,
        download: { ...smallCifar.download, files: [{ name: 'cifar-10-binary.tar.gz', bytes: archive.length, checksum: { md5: md5(archive) } }] },
      };
      await expect(downloadBuiltinDataset(spec, { cacheDir, baseUrl })).rejects.toThrow(
        `cifar-10-binary.tar.gz from ${baseUrl}cifar-10-binary.tar.gz ${message}`,
      );
      expect(listing(join(cacheDir, 'cifar-10'))).toEqual([]);
    }
  });

  it('keeps nothing when cancelled mid-download', async () => {
    const cacheDir = newFolder('cache');
    serve('cifar-stall', { 'cifar-10-binary.tar.gz': cifarTarGz });
    const controller = new AbortController();
    stalled = () => setTimeout(() => controller.abort(), 50);
    const progress: DownloadProgress[] = [];
    const failure = downloadBuiltinDataset(smallCifar, {
      cacheDir,
      baseUrl: `${baseUrl}/stall/cifar-stall/`,
      signal: controller.signal,
      onProgress: (p) => progress.push(p),
    });
    await expect(failure).rejects.toThrow('Downloading cifar-10-binary.tar.gz was cancelled');
    await expect(failure).rejects.toMatchObject({ failure: 'cancelled' });
    expect(listing(join(cacheDir, 'cifar-10'))).toEqual([]);
    expect(progress.at(-1)!.fraction).toBeLessThan(1);
  });
});

describe('Fashion-MNIST through the registry', () => {
  it('finds and loads the Debian package’s files as 60,000 + 10,000 images of 28×28×1 with its ten class names', async () => {
    const status = locateBuiltinDataset('fashion-mnist', { cacheDir: newFolder('cache') });
    expect([status.id, status.available, status.folder]).toEqual(['fashion-mnist', true, SYSTEM_DATASET_FOLDER]);
    const data = await loadBuiltinDataset('fashion-mnist', SYSTEM_DATASET_FOLDER);
    expect(data.meta).toMatchObject({
      id: 'fashion-mnist',
      name: 'Fashion-MNIST',
      source: 'builtin',
      shape: [28, 28, 1],
      trainCount: 60_000,
      testCount: 10_000,
    });
    expect(data.meta.classNames).toHaveLength(10);
    expect(data.meta.classNames.slice(0, 2)).toEqual(['T-shirt/top', 'Trouser']);
    expect(data.meta.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(data.train.images.length).toBe(60_000 * 784);
  });
});
