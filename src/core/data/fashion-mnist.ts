/** Finding and loading Fashion-MNIST, and holding out validation images as Keras does. */
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DatasetStatus } from '../../shared/contract/dataset';
import { readIdxCached } from './decoded-cache';
import { streamIdxFile } from './idx';
import type { FashionMnist, ImageSet, TrainValidationSplit } from './types';

export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const;

export type FashionMnistFile = keyof typeof FASHION_MNIST_FILES;

/** Where the Debian package dataset-fashion-mnist installs the files. */
export const SYSTEM_DATASET_FOLDER = '/usr/share/datasets/fashion-mnist';

/** The app's own copy lives here, under its cache folder. */
export const cacheFolder = (cacheDir: string): string => join(cacheDir, 'fashion-mnist');

const CLASS_COUNT = 10;
const FILE_KEYS = Object.keys(FASHION_MNIST_FILES) as FashionMnistFile[];
const count = (n: number): string => n.toLocaleString('en-US');

/**
 * A dataset file is missing, malformed or inconsistent, or the images cannot be
 * limited and split as asked; the message is for the user.
 */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The path of each file in `folder`, or null where it is missing. The gzipped
 * name wins over the extracted one, since .gz is what the official source ships.
 */
export function findFashionMnistFiles(folder: string): Record<FashionMnistFile, string | null> {
  const found = {} as Record<FashionMnistFile, string | null>;
  for (const key of FILE_KEYS) {
    const gz = join(folder, FASHION_MNIST_FILES[key]);
    const raw = gz.slice(0, -'.gz'.length);
    found[key] = isFile(gz) ? gz : isFile(raw) ? raw : null;
  }
  return found;
}

function missingFiles(folder: string): string[] {
  const found = findFashionMnistFiles(folder);
  return FILE_KEYS.filter((key) => found[key] === null).map((key) => FASHION_MNIST_FILES[key]);
}

function listInWords(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function userFolderProblem(folder: string): string {
  if (!isFolder(folder)) return `The folder you chose, ${folder}, does not exist.`;
  const missing = missingFiles(folder);
  return `The folder you chose, ${folder}, lacks ${listInWords(missing)} (gzipped or not).`;
}

/**
 * Looks for the four files in the user's folder, then the app cache, then the
 * system folder, and says where they are or what the user can do.
 */
export function locateFashionMnist(opts: { cacheDir: string; userFolder?: string | null; systemFolder?: string }): DatasetStatus {
  const userFolder = opts.userFolder ? opts.userFolder : null;
  const candidates = [userFolder, cacheFolder(opts.cacheDir), opts.systemFolder ?? SYSTEM_DATASET_FOLDER];
  // Paths are reported as given (callers compare `folder` with the one they
  // passed); only the duplicate check sees through "dir/" versus "dir".
  const searched = candidates.filter((f, i): f is string => f !== null && candidates.findIndex((g) => g !== null && resolve(g) === resolve(f)) === i);
  const folder = searched.find((f) => missingFiles(f).length === 0) ?? null;
  const userFolderFailed = userFolder !== null && folder !== userFolder;

  if (folder !== null) {
    // The user picked a folder and we are quietly using another: they should know.
    const message = userFolderFailed ? `${userFolderProblem(userFolder)} Using the copy in ${folder} instead.` : null;
    return { id: 'fashion-mnist', available: true, folder, searched, message };
  }
  const parts = [
    userFolderFailed ? userFolderProblem(userFolder) : null,
    `Fashion-MNIST was not found in ${listInWords(searched)}.`,
    'Download it (about 30 MB), install the Debian package with `sudo apt-get install dataset-fashion-mnist`,',
    `or choose a folder holding ${listInWords(Object.values(FASHION_MNIST_FILES))}.`,
  ];
  return {
    id: 'fashion-mnist',
    available: false,
    folder: null,
    searched,
    message: parts.filter((p) => p !== null).join(' '),
  };
}

/** What a Fashion-MNIST folder must hold: 28×28 images, 60,000 to train on and 10,000 to test. */
export const FASHION_MNIST_SHAPE = { rows: 28, cols: 28, train: 60_000, test: 10_000 } as const;

/** Checks one images file from its header (and that its data is all there). */
async function checkImages(path: string, expected: number, setName: string): Promise<void> {
  const { rows, cols } = FASHION_MNIST_SHAPE;
  await streamIdxFile(path, {
    start(d) {
      if (d.length !== 3) {
        throw new DatasetError(
          `${path} is not an images file: it holds ${d.length}-dimensional data (${d.map(count).join(' × ')}, IDX magic 0x0000080${d.length}); images files have magic 0x00000803 (count × rows × columns)`,
        );
      }
      if (d[1] !== rows || d[2] !== cols) throw new DatasetError(`${path} holds ${d[1]}×${d[2]} images; Fashion-MNIST images are ${rows}×${cols}`);
      if (d[0] !== expected) throw new DatasetError(`${path} holds ${count(d[0])} images; the Fashion-MNIST ${setName} set has ${count(expected)}`);
    },
    piece() {},
  });
}

/** Checks one labels file: its header, its count against its images, every label 0–9. */
async function checkLabels(path: string, expected: number, imagesPath: string): Promise<void> {
  await streamIdxFile(path, {
    start(d) {
      if (d.length !== 1) {
        throw new DatasetError(
          `${path} is not a labels file: it holds ${d.length}-dimensional data (${d.map(count).join(' × ')}, IDX magic 0x0000080${d.length}); labels files have magic 0x00000801`,
        );
      }
      if (d[0] !== expected) throw new DatasetError(`${path} has ${count(d[0])} labels for the ${count(expected)} images in ${imagesPath}`);
    },
    piece(piece, offset) {
      for (let i = 0; i < piece.length; i++) {
        if (piece[i] >= CLASS_COUNT) {
          throw new DatasetError(`${path} has label ${piece[i]} at position ${count(offset + i)}; Fashion-MNIST labels are 0 to ${CLASS_COUNT - 1}`);
        }
      }
    },
  });
}

/**
 * Checks a folder the user picked before it is used: all four files present,
 * each an IDX file of the right kind (magic), 28×28 images, 60,000 and 10,000 of
 * them, as many labels as images, every label 0–9, no data missing. Throws a
 * DatasetError (or IdxError) naming the file and the problem; the first problem
 * in the order train images, train labels, test images, test labels.
 */
export async function validateFashionMnistFolder(folder: string): Promise<void> {
  if (!isFolder(folder) || missingFiles(folder).length > 0) throw new DatasetError(userFolderProblem(folder));
  const files = findFashionMnistFiles(folder);
  const path = (key: FashionMnistFile): string => files[key] as string;
  const { train, test } = FASHION_MNIST_SHAPE;
  const results = await Promise.allSettled([
    checkImages(path('trainImages'), train, 'training'),
    checkLabels(path('trainLabels'), train, path('trainImages')),
    checkImages(path('testImages'), test, 'test'),
    checkLabels(path('testLabels'), test, path('testImages')),
  ]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Where the decoded dataset cache is (see ./decoded-cache): null reads the IDX files without
 * it; by default the user's cache folder in the temp folder.
 */
export interface LoadOptions {
  cacheDir?: string | null;
}

/** Reads an images file as bytes (0–255), through the decoded cache. */
async function loadImages(path: string, opts: LoadOptions): Promise<{ count: number; rows: number; cols: number; images: Uint8Array }> {
  const { dims, data } = await readIdxCached(path, opts.cacheDir);
  if (dims.length !== 3) {
    throw new DatasetError(
      `${path} holds ${dims.length}-dimensional data (${dims.map(count).join(' × ')}); images must be 3-dimensional (count × rows × columns)`,
    );
  }
  return { count: dims[0], rows: dims[1], cols: dims[2], images: data };
}

async function loadLabels(path: string, opts: LoadOptions): Promise<Uint8Array> {
  const { dims, data } = await readIdxCached(path, opts.cacheDir);
  if (dims.length !== 1) {
    throw new DatasetError(`${path} holds ${dims.length}-dimensional data (${dims.map(count).join(' × ')}); labels must be 1-dimensional`);
  }
  const bad = data.findIndex((label) => label >= CLASS_COUNT);
  if (bad >= 0) {
    throw new DatasetError(`${path} has label ${data[bad]} at position ${count(bad)}; Fashion-MNIST labels are 0 to ${CLASS_COUNT - 1}`);
  }
  return data;
}

async function loadImageSet(imagesPath: string, labelsPath: string, opts: LoadOptions): Promise<ImageSet> {
  const [images, labels] = await Promise.all([loadImages(imagesPath, opts), loadLabels(labelsPath, opts)]);
  if (labels.length !== images.count) {
    throw new DatasetError(`${labelsPath} has ${count(labels.length)} labels for ${count(images.count)} images in ${imagesPath}`);
  }
  return { ...images, labels };
}

/**
 * Loads one of the two sets (its images and labels) from a folder holding the four
 * files: evaluating on the test set needs a sixth of the decompression.
 */
export async function loadFashionMnistSet(folder: string, set: 'train' | 'test', opts: LoadOptions = {}): Promise<ImageSet> {
  const files = findFashionMnistFiles(folder);
  const keys: FashionMnistFile[] = set === 'train' ? ['trainImages', 'trainLabels'] : ['testImages', 'testLabels'];
  const missing = keys.filter((key) => files[key] === null).map((key) => FASHION_MNIST_FILES[key]);
  if (missing.length > 0) throw new DatasetError(`${folder} lacks ${listInWords(missing)}`);
  return loadImageSet(files[keys[0]] as string, files[keys[1]] as string, opts);
}

/** Loads train and test sets from a folder holding the four files, decompressing them in parallel (or reading the decoded cache). */
export async function loadFashionMnist(folder: string, opts: LoadOptions = {}): Promise<FashionMnist> {
  const files = findFashionMnistFiles(folder);
  const missing = FILE_KEYS.filter((key) => files[key] === null).map((key) => FASHION_MNIST_FILES[key]);
  if (missing.length > 0) throw new DatasetError(`${folder} lacks ${listInWords(missing)}`);
  const path = (key: FashionMnistFile): string => files[key] as string;
  const [train, test] = await Promise.all([
    loadImageSet(path('trainImages'), path('trainLabels'), opts),
    loadImageSet(path('testImages'), path('testLabels'), opts),
  ]);
  return { train, test };
}

function slice(set: ImageSet, from: number, to: number): ImageSet {
  const pixels = set.rows * set.cols * (set.channels ?? 1);
  return {
    count: to - from,
    rows: set.rows,
    cols: set.cols,
    ...(set.channels !== undefined ? { channels: set.channels } : {}),
    images: set.images.subarray(from * pixels, to * pixels),
    labels: set.labels.subarray(from, to),
  };
}

/**
 * Takes the first `limit` training images, then holds out the last
 * `validationSplit` of them, exactly as Keras's `validation_split` does
 * (before any shuffling). The parts are views of `train`, not copies.
 */
export function splitTrainValidation(train: ImageSet, opts: { limit: number | null; validationSplit: number }): TrainValidationSplit {
  const { limit, validationSplit } = opts;
  if (limit !== null) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new DatasetError(`The image limit must be a whole number of at least 1 (got ${limit})`);
    }
    if (limit > train.count) {
      throw new DatasetError(`The image limit of ${count(limit)} is more than the ${count(train.count)} training images`);
    }
  }
  if (!(validationSplit >= 0 && validationSplit < 1)) {
    throw new DatasetError(`The validation split must be at least 0 and below 1 (got ${validationSplit})`);
  }
  const n = limit ?? train.count;
  // Same arithmetic as Keras, so the same images end up on each side.
  const splitAt = Math.floor(n * (1 - validationSplit));
  if (splitAt === 0) {
    throw new DatasetError(
      `A validation split of ${validationSplit} of ${count(n)} images leaves no images to train on; lower the split or raise the limit`,
    );
  }
  if (splitAt === n) {
    throw new DatasetError(
      `A validation split of ${validationSplit} of ${count(n)} images leaves no images to validate on; raise the split or the limit`,
    );
  }
  return { train: slice(train, 0, splitAt), validation: slice(train, splitAt, n) };
}
