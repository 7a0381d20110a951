import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_FILES, SYSTEM_DATASET_FOLDER, loadFashionMnist, locateFashionMnist } from '../../../src/core/data/fashion-mnist';
import { pixelFloats } from '../../../src/core/data/pixels';
import type { FashionMnist } from '../../../src/core/data/types';
import { idxBytes } from '../../helpers';

const root = mkdtempSync(join(tmpdir(), 'layerlab-fmnist-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes a tiny dataset of 1×1 images; `gzip: false` uses the extracted names. */
function writeDataset(
  folder: string,
  opts: { train?: { images: number; labels: number }; gzip?: boolean; labelValue?: number; skip?: string[] } = {},
): string {
  mkdirSync(folder, { recursive: true });
  const train = opts.train ?? { images: 3, labels: 3 };
  const sets = {
    trainImages: idxBytes([train.images, 1, 1], new Uint8Array(train.images).fill(255)),
    trainLabels: idxBytes([train.labels], new Uint8Array(train.labels).fill(opts.labelValue ?? 1)),
    testImages: idxBytes([2, 1, 1], Uint8Array.from([0, 51])),
    testLabels: idxBytes([2], Uint8Array.from([0, 9])),
  };
  for (const [key, raw] of Object.entries(sets) as [keyof typeof FASHION_MNIST_FILES, Buffer][]) {
    const name = FASHION_MNIST_FILES[key];
    if (opts.skip?.includes(name)) continue;
    if (opts.gzip === false) writeFileSync(join(folder, name.replace(/\.gz$/, '')), raw);
    else writeFileSync(join(folder, name), gzipSync(raw));
  }
  return folder;
}

describe('the real Fashion-MNIST (Debian package dataset-fashion-mnist)', () => {
  let data: FashionMnist;
  beforeAll(async () => {
    const status = locateFashionMnist({ cacheDir: root, systemFolder: SYSTEM_DATASET_FOLDER });
    expect(status.folder, status.message ?? '').toBe(SYSTEM_DATASET_FOLDER);
    data = await loadFashionMnist(SYSTEM_DATASET_FOLDER);
  });

  it('has 60,000 training and 10,000 test images of 28×28', () => {
    expect([data.train.count, data.train.rows, data.train.cols]).toEqual([60_000, 28, 28]);
    expect([data.test.count, data.test.rows, data.test.cols]).toEqual([10_000, 28, 28]);
    expect(data.train.images.length).toBe(60_000 * 784);
    expect(data.test.images.length).toBe(10_000 * 784);
    expect(data.train.labels.length).toBe(60_000);
    expect(data.test.labels.length).toBe(10_000);
  });

  it('has labels 0..9, each class 6,000 times in training and 1,000 times in test', () => {
    const perClass = (labels: Uint8Array): number[] => {
      const counts = new Array<number>(10).fill(0);
      for (const label of labels) counts[label]++;
      return counts;
    };
    expect(perClass(data.train.labels)).toEqual(new Array(10).fill(6_000));
    expect(perClass(data.test.labels)).toEqual(new Array(10).fill(1_000));
  });

  it('starts with an ankle boot (label 9) in both sets, as `zcat | od` shows', () => {
    expect(data.train.labels[0]).toBe(9);
    expect(Array.from(data.test.labels.subarray(0, 5))).toEqual([9, 2, 1, 1, 6]);
  });

  it('has pixels as bytes 0–255, in the right place, that become floats in [0, 1] as a model takes them', () => {
    let min = Infinity;
    let max = -Infinity;
    for (const set of [data.train, data.test]) {
      for (const p of set.images) {
        if (p < min) min = p;
        if (p > max) max = p;
      }
    }
    expect([min, max]).toEqual([0, 255]);
    // Row 4, columns 14 and 15 of the first training image are bytes 36 and 136
    // (`zcat train-images-idx3-ubyte.gz | od -A d -t u1 -j 142 -N 2`).
    expect([data.train.images[4 * 28 + 14], data.train.images[4 * 28 + 15]]).toEqual([36, 136]);
    const floats = pixelFloats(data.train, 0, 1);
    expect(floats[4 * 28 + 14]).toBe(Math.fround(36 / 255));
    expect(floats[4 * 28 + 15]).toBe(Math.fround(136 / 255));
  });
});

describe('loading files the test writes', () => {
  it('keeps the bytes, scales them by 1/255 for a model, and reads gzipped and extracted files alike', async () => {
    for (const gzip of [true, false]) {
      const { train, test } = await loadFashionMnist(writeDataset(join(root, `scaled-${gzip}`), { gzip }));
      expect(Array.from(train.images)).toEqual([255, 255, 255]);
      expect(Array.from(test.images)).toEqual([0, 51]);
      expect(Array.from(pixelFloats(train))).toEqual([1, 1, 1]);
      expect(Array.from(pixelFloats(test))).toEqual([0, Math.fround(0.2)]);
      expect(Array.from(test.labels)).toEqual([0, 9]);
    }
  });

  it('says when labels and images do not match in number', async () => {
    const folder = writeDataset(join(root, 'mismatch'), { train: { images: 60_000, labels: 59_999 } });
    await expect(loadFashionMnist(folder)).rejects.toThrow(`${join(folder, 'train-labels-idx1-ubyte.gz')} has 59,999 labels for 60,000 images`);
  });

  it('refuses a label outside 0..9, saying where', async () => {
    const folder = writeDataset(join(root, 'label-12'), { labelValue: 12 });
    await expect(loadFashionMnist(folder)).rejects.toThrow('has label 12 at position 0; Fashion-MNIST labels are 0 to 9');
  });

  it('refuses labels given as images, and images given as labels', async () => {
    const folder = writeDataset(join(root, 'swapped'));
    writeFileSync(join(folder, 't10k-images-idx3-ubyte.gz'), gzipSync(idxBytes([2], Uint8Array.from([0, 9]))));
    await expect(loadFashionMnist(folder)).rejects.toThrow('t10k-images-idx3-ubyte.gz holds 1-dimensional data (2); images must be 3-dimensional');
    const other = writeDataset(join(root, 'swapped-labels'));
    writeFileSync(join(other, 'train-labels-idx1-ubyte.gz'), gzipSync(idxBytes([3, 1, 1], Uint8Array.from([1, 1, 1]))));
    await expect(loadFashionMnist(other)).rejects.toThrow(
      'train-labels-idx1-ubyte.gz holds 3-dimensional data (3 × 1 × 1); labels must be 1-dimensional',
    );
  });

  it('names a dataset file cut short, as the IDX reader words it', async () => {
    const folder = writeDataset(join(root, 'cut'));
    const path = join(folder, 'train-images-idx3-ubyte.gz');
    writeFileSync(path, gzipSync(idxBytes([3, 28, 28], new Uint8Array(100))));
    await expect(loadFashionMnist(folder)).rejects.toThrow(`${path} is truncated: header promises 2,352 bytes of data, file has 100`);
  });

  it('names the missing files', async () => {
    const folder = writeDataset(join(root, 'partial'), { skip: ['t10k-labels-idx1-ubyte.gz'] });
    await expect(loadFashionMnist(folder)).rejects.toThrow(`${folder} lacks t10k-labels-idx1-ubyte.gz`);
  });
});

describe('finding the files: the user folder, then the app cache, then the system folder', () => {
  const base = join(root, 'locate');
  const user = join(base, 'user');
  const cacheDir = join(base, 'cache');
  const cache = join(cacheDir, 'fashion-mnist');
  const system = join(base, 'system');
  const empty = join(base, 'empty');

  beforeAll(() => {
    for (const folder of [user, cache, system]) writeDataset(folder);
    writeDataset(join(base, 'half'), { skip: ['train-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'] });
    mkdirSync(empty, { recursive: true });
  });

  it('prefers the folder the user chose', () => {
    const status = locateFashionMnist({ cacheDir, userFolder: user, systemFolder: system });
    expect(status).toEqual({ id: 'fashion-mnist', available: true, folder: user, searched: [user, cache, system], message: null });
  });

  it('answers with the folder exactly as the user gave it, searching each folder once', () => {
    const status = locateFashionMnist({ cacheDir, userFolder: `${cache}/`, systemFolder: system });
    expect(status.folder).toBe(`${cache}/`);
    expect(status.searched).toEqual([`${cache}/`, system]);
    expect(status.message).toBeNull();
  });

  it('uses the app cache before the system folder', () => {
    const status = locateFashionMnist({ cacheDir, userFolder: null, systemFolder: system });
    expect([status.folder, status.searched]).toEqual([cache, [cache, system]]);
  });

  it('falls back to the system folder', () => {
    const status = locateFashionMnist({ cacheDir: empty, systemFolder: system });
    expect(status.available).toBe(true);
    expect(status.folder).toBe(system);
  });

  it('says which files the chosen folder lacks, and which copy it uses instead', () => {
    const half = join(base, 'half');
    const status = locateFashionMnist({ cacheDir: empty, userFolder: half, systemFolder: system });
    expect(status.folder).toBe(system);
    expect(status.message).toBe(
      `The folder you chose, ${half}, lacks train-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (gzipped or not). Using the copy in ${system} instead.`,
    );
  });

  it('explains what to do when no folder has them', () => {
    const status = locateFashionMnist({ cacheDir: empty, userFolder: join(base, 'half'), systemFolder: join(base, 'none') });
    expect(status.available).toBe(false);
    expect(status.folder).toBeNull();
    expect(status.searched).toEqual([join(base, 'half'), join(empty, 'fashion-mnist'), join(base, 'none')]);
    expect(status.message).toContain('lacks train-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz');
    expect(status.message).toContain(
      `Fashion-MNIST was not found in ${join(base, 'half')}, ${join(empty, 'fashion-mnist')} and ${join(base, 'none')}.`,
    );
    expect(status.message).toContain('sudo apt-get install dataset-fashion-mnist');
    expect(status.message).toMatch(/^.*Download it.*choose a folder holding train-images-idx3-ubyte\.gz/);
  });

  it('says when the chosen folder does not exist', () => {
    const gone = join(base, 'gone');
    const status = locateFashionMnist({ cacheDir: empty, userFolder: gone, systemFolder: join(base, 'none') });
    expect(status.message).toMatch(new RegExp(`^The folder you chose, ${gone}, does not exist\\.`));
  });
});
