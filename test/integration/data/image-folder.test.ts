/**
 * Importing a folder of the user's images: three classes told apart by colour, written here
 * with sharp as PNG, JPEG and WebP of several sizes, plus a corrupt image, a text file and an
 * empty class folder.
 */
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetContentHash } from '../../../src/core/data/dataset-hash';
import {
  folderChanged,
  importedDatasetId,
  importImageFolder,
  openImportedDataset,
  readImportRecord,
  scanImageFolder,
  type ImportProgress,
} from '../../../src/core/data/image-folder';
import type { ImageSet } from '../../../src/core/data/types';
import { prng } from '../../../src/core/data/prng';

const root = mkdtempSync(join(tmpdir(), 'layerlab-image-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const COLOURS = { red: 0, green: 1, blue: 2 } as const;
const SIZES: [number, number][] = [
  [20, 30],
  [64, 48],
  [32, 32],
  [41, 27],
];

/** A noisy dark image with a bright square of the class's colour at a random place, as PNG, JPEG or WebP. */
async function colourImage(channel: number, random: () => number, index: number): Promise<{ bytes: Buffer; ext: string }> {
  const [width, height] = SIZES[index % SIZES.length];
  const px = Buffer.alloc(width * height * 3);
  for (let i = 0; i < px.length; i++) px[i] = Math.floor(random() * 70);
  const side = Math.ceil(Math.min(width, height) * (0.7 + random() * 0.3));
  const x0 = Math.floor(random() * (width - side + 1));
  const y0 = Math.floor(random() * (height - side + 1));
  for (let y = y0; y < y0 + side; y++) {
    for (let x = x0; x < x0 + side; x++) {
      for (let c = 0; c < 3; c++) px[(y * width + x) * 3 + c] = c === channel ? 180 + Math.floor(random() * 75) : Math.floor(random() * 60);
    }
  }
  const image = sharp(px, { raw: { width, height, channels: 3 } });
  if (index % 10 === 9) return { bytes: await image.webp().toBuffer(), ext: '.webp' };
  return index % 2 ? { bytes: await image.jpeg({ quality: 90 }).toBuffer(), ext: '.jpg' } : { bytes: await image.png().toBuffer(), ext: '.png' };
}

/** class folders of `count` colour images each under `dir` (made), file names img000… */
async function writeClasses(dir: string, classes: (keyof typeof COLOURS)[], count: number, seed: number): Promise<void> {
  const random = prng(seed);
  for (const name of classes) {
    mkdirSync(join(dir, name), { recursive: true });
    for (let i = 0; i < count; i++) {
      const { bytes, ext } = await colourImage(COLOURS[name], random, i);
      writeFileSync(join(dir, name, `img${String(i).padStart(3, '0')}${ext}`), bytes);
    }
  }
}

/** Per pixel channel means of one image. */
function means(set: ImageSet, k: number): number[] {
  const c = set.channels ?? 1;
  const per = set.rows * set.cols * c;
  const sums = new Array<number>(c).fill(0);
  for (let i = 0; i < set.rows * set.cols; i++) for (let ch = 0; ch < c; ch++) sums[ch] += set.images[k * per + i * c + ch];
  return sums.map((s) => s / (set.rows * set.cols));
}

const histogram = (labels: Uint8Array, classes: number) => Array.from({ length: classes }, (_, c) => labels.filter((l) => l === c).length);

const colours = join(root, 'colours');
const out = join(root, 'datasets');

beforeAll(async () => {
  await writeClasses(colours, ['red', 'green', 'blue'], 40, 7);
  writeFileSync(join(colours, 'red', 'broken.png'), Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 7919) % 251)));
  writeFileSync(join(colours, 'green', 'notes.txt'), 'these are green\n');
  writeFileSync(join(colours, 'blue', '.DS_Store'), 'hidden');
  mkdirSync(join(colours, 'empty'));
});

describe('importImageFolder on class folders', () => {
  let first: Awaited<ReturnType<typeof importImageFolder>>;
  const progress: ImportProgress[] = [];

  beforeAll(async () => {
    first = await importImageFolder({
      folder: colours,
      name: 'Colours',
      size: [16, 16],
      channels: 3,
      outDir: out,
      onProgress: (p) => progress.push(p),
    });
  });

  it('describes the dataset: shape, classes in name order, every readable image once', () => {
    expect(first.meta).toMatchObject({ name: 'Colours', source: 'folder', shape: [16, 16, 3], classNames: ['blue', 'green', 'red'] });
    expect(first.meta.id).toMatch(/^folder-[0-9a-f]{12}$/);
    expect(first.meta.trainCount + first.meta.testCount).toBe(120);
    expect(first.file).toBe(join(out, first.meta.id, 'dataset.bin'));
  });

  it('reports the corrupt image, the text file and the empty class folder, and nothing hidden', () => {
    const reasons = Object.fromEntries(first.skipped.map((s) => [s.file, s.reason]));
    expect(reasons['red/broken.png']).toMatch(/^not an image sharp can read: /);
    expect(reasons['green/notes.txt']).toBe('not an image (.txt)');
    expect(reasons['empty/']).toBe('no images');
    expect(first.skipped).toHaveLength(3);
  });

  it('reports progress up to every file', () => {
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toMatchObject({ done: 121, total: 121 });
    for (let i = 1; i < progress.length; i++) expect(progress[i].done).toBeGreaterThanOrEqual(progress[i - 1].done);
  });

  it('splits each class into train and test by the test split, and interleaves the classes', async () => {
    const data = await openImportedDataset(join(out, first.meta.id));
    expect(data.meta).toEqual(first.meta);
    expect(histogram(data.test.labels, 3)).toEqual([8, 8, 8]);
    expect(histogram(data.train.labels, 3)).toEqual([32, 32, 32]);
    // The last fifth of the training set (a Keras validation split) holds every class.
    expect(new Set(data.train.labels.subarray(Math.floor(data.train.count * 0.8)))).toEqual(new Set([0, 1, 2]));
  });

  it('keeps the colours: the class colour is the brightest channel of every image', async () => {
    const data = await openImportedDataset(join(out, first.meta.id));
    const channelOf = { blue: 2, green: 1, red: 0 } as const;
    for (const set of [data.train, data.test]) {
      expect(set).toMatchObject({ rows: 16, cols: 16, channels: 3 });
      for (let k = 0; k < set.count; k++) {
        const m = means(set, k);
        const want = channelOf[data.meta.classNames[set.labels[k]] as keyof typeof channelOf];
        expect(m.indexOf(Math.max(...m))).toBe(want);
      }
    }
  });

  it('gives the same bytes and hash when imported again, and the hash is the content hash', async () => {
    const again = await importImageFolder({ folder: colours, name: 'Colours', size: [16, 16], channels: 3, outDir: join(root, 'again') });
    expect(again.meta).toEqual(first.meta);
    expect(readFileSync(again.file).equals(readFileSync(first.file))).toBe(true);
    const data = await openImportedDataset(join(out, first.meta.id), { verify: true });
    expect(datasetContentHash(data.meta, data.train, data.test)).toBe(first.meta.hash);
    const reseeded = await importImageFolder({
      folder: colours,
      name: 'Colours',
      size: [16, 16],
      channels: 3,
      seed: 2,
      outDir: join(root, 'reseeded'),
    });
    expect(reseeded.meta.hash).not.toBe(first.meta.hash);
  });

  it('records where the data came from', async () => {
    const record = await readImportRecord(join(out, first.meta.id));
    expect(record.meta).toEqual(first.meta);
    expect(record.source).toMatchObject({ folder: colours, layout: 'classes', size: [16, 16], channels: 3, testSplit: 0.2, seed: 1 });
    expect(record.sourceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(record.skipped).toEqual(first.skipped);
  });
});

describe('importImageFolder options', () => {
  it('imports grayscale as one channel, other sizes as asked', async () => {
    const result = await importImageFolder({ folder: colours, name: 'Grey', size: [12, 20], channels: 1, outDir: out });
    expect(result.meta.shape).toEqual([12, 20, 1]);
    const data = await openImportedDataset(result.dir);
    expect(data.train).toMatchObject({ rows: 12, cols: 20, channels: 1 });
    expect(data.train.images.length).toBe(data.train.count * 12 * 20);
    expect(result.meta.id).not.toBe((await importImageFolder({ folder: colours, name: 'Grey', size: [12, 20], channels: 3, outDir: out })).meta.id);
  });

  it('keeps at least one training image per class whatever the split', async () => {
    const small = join(root, 'small');
    await writeClasses(small, ['red', 'blue'], 2, 3);
    const result = await importImageFolder({ folder: small, name: 'Small', size: [8, 8], channels: 3, testSplit: 0.9, outDir: out });
    const data = await openImportedDataset(result.dir);
    expect(histogram(data.train.labels, 2)).toEqual([1, 1]);
    expect(histogram(data.test.labels, 2)).toEqual([1, 1]);
  });

  it('stops when cancelled and leaves no dataset file', async () => {
    const controller = new AbortController();
    const outDir = join(root, 'cancelled');
    const run = importImageFolder({
      folder: colours,
      name: 'Cancelled',
      size: [16, 16],
      channels: 3,
      outDir,
      signal: controller.signal,
      concurrency: 2,
      onProgress: (p) => {
        if (p.done >= 10) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError', message: expect.stringMatching(/cancelled/) });
    expect(existsSync(join(outDir, importedDatasetId(colours, [16, 16], 3), 'dataset.bin'))).toBe(false);
    expect(existsSync(outDir) ? readdirSync(outDir, { recursive: true }) : []).toEqual([]);
  });
});

describe('a train/ and test/ layout', () => {
  const split = join(root, 'split');
  beforeAll(async () => {
    await writeClasses(join(split, 'train'), ['red', 'green'], 6, 11);
    await writeClasses(join(split, 'test'), ['red', 'green'], 3, 12);
    writeFileSync(join(split, 'README.md'), 'my data');
  });

  it('is taken as given', async () => {
    const scan = await scanImageFolder(split);
    expect(scan.layout).toBe('train-test');
    const result = await importImageFolder({ folder: split, name: 'Split', size: [10, 10], channels: 3, outDir: out });
    expect(result.meta).toMatchObject({ classNames: ['green', 'red'], trainCount: 12, testCount: 6 });
    expect(result.skipped).toEqual([{ file: 'README.md', reason: 'outside train/ and test/' }]);
    const data = await openImportedDataset(result.dir);
    expect(histogram(data.test.labels, 2)).toEqual([3, 3]);
    expect((await readImportRecord(result.dir)).source).toMatchObject({ layout: 'train-test', testSplit: null });
  });

  it('must have the same classes in train/ and test/', async () => {
    const odd = join(root, 'odd-split');
    await writeClasses(join(odd, 'train'), ['red', 'green'], 2, 1);
    await writeClasses(join(odd, 'test'), ['red', 'blue'], 2, 2);
    await expect(importImageFolder({ folder: odd, name: 'Odd', size: [8, 8], channels: 3, outDir: out })).rejects.toThrow(
      /odd-split: train\/ and test\/ must hold the same class folders: train\/ has green but test\/ does not; test\/ has blue but train\/ does not/,
    );
  });
});

describe('folders that cannot be imported', () => {
  const refuse = (folder: string) => importImageFolder({ folder, name: 'No', size: [8, 8], channels: 3, outDir: out });

  it('refuses a single class', async () => {
    const one = join(root, 'one-class');
    await writeClasses(one, ['red'], 3, 5);
    mkdirSync(join(one, 'nothing'));
    await expect(refuse(one)).rejects.toThrow(/^Cannot import .*one-class: only one class \(red\) has images; a dataset needs at least 2 classes/);
  });

  it('refuses a folder without images', async () => {
    const none = join(root, 'no-images');
    mkdirSync(join(none, 'cats'), { recursive: true });
    writeFileSync(join(none, 'cats', 'list.txt'), 'no cats here');
    await expect(refuse(none)).rejects.toThrow(/^Cannot import .*no-images: it holds no images; put the images in one subfolder per class/);
  });

  it('refuses classes whose only images are unreadable', async () => {
    const bad = join(root, 'unreadable');
    await writeClasses(bad, ['red'], 2, 5);
    mkdirSync(join(bad, 'junk'));
    writeFileSync(join(bad, 'junk', 'a.jpg'), 'not a jpeg');
    await expect(refuse(bad)).rejects.toThrow(/unreadable: only one class \(red\) has readable images/);
  });

  it('refuses a folder that does not exist', async () => {
    await expect(refuse(join(root, 'missing'))).rejects.toThrow(/^Cannot import .*missing: the folder does not exist$/);
    await expect(refuse(join(root, 'missing'))).rejects.toMatchObject({ name: 'DatasetError' });
  });
});

describe('an imported dataset later', () => {
  it('notices its source folder changing or disappearing', async () => {
    const source = join(root, 'watched');
    cpSync(colours, source, { recursive: true });
    const { dir } = await importImageFolder({ folder: source, name: 'Watched', size: [8, 8], channels: 3, outDir: out });
    expect(await folderChanged(dir)).toEqual({ folder: source, state: 'unchanged', changed: false });
    writeFileSync(
      join(source, 'blue', 'new.png'),
      await sharp({ create: { width: 5, height: 5, channels: 3, background: '#0000ff' } })
        .png()
        .toBuffer(),
    );
    expect(await folderChanged(dir)).toEqual({ folder: source, state: 'changed', changed: true });
    rmSync(source, { recursive: true });
    expect(await folderChanged(dir)).toEqual({ folder: source, state: 'missing', changed: true });
  });

  it('refuses a truncated, padded or foreign dataset file and says to import again', async () => {
    const { dir } = await importImageFolder({ folder: colours, name: 'Damaged', size: [8, 8], channels: 1, outDir: join(root, 'damaged') });
    const file = join(dir, 'dataset.bin');
    const whole = readFileSync(file);
    truncateSync(file, whole.length - 100);
    await expect(openImportedDataset(dir)).rejects.toThrow(/dataset\.bin is damaged .*the file is truncated\); import the folder again/);
    writeFileSync(file, whole);
    appendFileSync(file, 'extra');
    await expect(openImportedDataset(dir)).rejects.toThrow(/there are bytes after the data/);
    writeFileSync(file, 'PK\u0003\u0004 a zip file, not a dataset');
    await expect(openImportedDataset(dir)).rejects.toThrow(/is damaged or not a Layerlab dataset \(it does not start with the dataset header\)/);
    rmSync(file);
    await expect(openImportedDataset(dir)).rejects.toThrow(/dataset\.bin is missing\); import the folder again/);
  });
});
