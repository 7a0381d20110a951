/** A data folder the user picks is checked before it is remembered: every file's kind, shape, counts and labels. */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FASHION_MNIST_FILES, SYSTEM_DATASET_FOLDER, validateFashionMnistFolder } from '../../../src/core/data/fashion-mnist';
import { openLayerlab, type Layerlab } from '../../../src/core/app';
import { idxBytes } from '../../helpers';

const root = mkdtempSync(join(tmpdir(), 'layerlab-folder-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Files = Record<keyof typeof FASHION_MNIST_FILES, Buffer>;
/** A folder as Fashion-MNIST's shape wants it (blank images, labels 0–9 in turn), with `change` applied. */
function folder(name: string, change: (files: Files) => void = () => {}): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const labels = (n: number) => new Uint8Array(n).map((_, i) => i % 10);
  const files: Files = {
    trainImages: idxBytes([60_000, 28, 28], new Uint8Array(60_000 * 784)),
    trainLabels: idxBytes([60_000], labels(60_000)),
    testImages: idxBytes([10_000, 28, 28], new Uint8Array(10_000 * 784)),
    testLabels: idxBytes([10_000], labels(10_000)),
  };
  change(files);
  for (const [key, raw] of Object.entries(files) as [keyof Files, Buffer][])
    writeFileSync(join(dir, FASHION_MNIST_FILES[key]), gzipSync(raw, { level: 1 }));
  return dir;
}

describe('validateFashionMnistFolder', () => {
  it('accepts a folder with the right shape', async () => {
    await expect(validateFashionMnistFolder(folder('good'))).resolves.toBeUndefined();
  });

  it.each([
    [
      '10×10 images',
      (f: Files) => (f.trainImages = idxBytes([60_000, 10, 10], new Uint8Array(60_000 * 100))),
      /train-images-idx3-ubyte\.gz holds 10×10 images; Fashion-MNIST images are 28×28/,
    ],
    [
      'too few test images',
      (f: Files) => (f.testImages = idxBytes([500, 28, 28], new Uint8Array(500 * 784))),
      /t10k-images-idx3-ubyte\.gz holds 500 images; the Fashion-MNIST test set has 10,000/,
    ],
    [
      'labels where the images should be',
      (f: Files) => (f.testImages = idxBytes([10_000], new Uint8Array(10_000))),
      /t10k-images-idx3-ubyte\.gz is not an images file: .*magic 0x00000801.*0x00000803/,
    ],
    [
      'a label out of range',
      (f: Files) => (f.trainLabels[8 + 1234] = 12),
      /train-labels-idx1-ubyte\.gz has label 12 at position 1,234; Fashion-MNIST labels are 0 to 9/,
    ],
    [
      'labels and images that disagree',
      (f: Files) => (f.testLabels = idxBytes([9_999], new Uint8Array(9_999))),
      /t10k-labels-idx1-ubyte\.gz has 9,999 labels for the 10,000 images in .*t10k-images-idx3-ubyte\.gz/,
    ],
    [
      'a file that is not IDX',
      (f: Files) => (f.trainLabels = Buffer.from('hello, these are not labels')),
      /train-labels-idx1-ubyte\.gz is not an IDX file/,
    ],
  ])('refuses %s, naming the file and the problem', async (name, change, message) => {
    await expect(validateFashionMnistFolder(folder(name.replace(/\W+/g, '-'), change))).rejects.toThrow(message);
  });
});

describe('useDatasetFolder', () => {
  let home: string;
  let app: Layerlab;
  beforeEach(() => {
    home = mkdtempSync(join(root, 'home-'));
    app = openLayerlab({
      shell: 'browser',
      launchTrainer: (() => {
        throw new Error('no training in this test');
      }) as never,
      dataDir: home,
      databasePath: join(home, 'layerlab.db'),
    });
  });
  afterEach(async () => {
    await app.close();
  });

  it('remembers a good folder and refuses a bad one without forgetting the good one', async () => {
    const good = folder('chosen-good');
    expect((await app.service.useDatasetFolder(good)).folder).toBe(good);
    const bad = folder('chosen-bad', (f) => (f.trainImages = idxBytes([3, 10, 10], new Uint8Array(300))));
    await expect(Promise.resolve().then(() => app.service.useDatasetFolder(bad))).rejects.toThrow(
      /chosen-bad\/train-images-idx3-ubyte\.gz holds 10×10 images; Fashion-MNIST images are 28×28/,
    );
    expect((await app.service.datasetStatus()).folder).toBe(good);
  });

  it.runIf(existsSync(SYSTEM_DATASET_FOLDER))('accepts the real Fashion-MNIST', async () => {
    expect((await app.service.useDatasetFolder(SYSTEM_DATASET_FOLDER)).folder).toBe(SYSTEM_DATASET_FOLDER);
  });
});
