/**
 * Importing a folder of the user's own images as a dataset.
 *
 * Layouts (read as given, hidden files and folders ignored):
 *   folder/<class>/<image>                        one subfolder per class; a seeded stratified test split is made
 *   folder/train/<class>/<image> + folder/test/<class>/<image>   the split as the user made it; both must
 *                                                 have the same class folders
 * Only the images directly inside a class folder are read: PNG, JPEG and WebP by extension
 * (any case). Class names are the folder names sorted by UTF-16 code unit (locale-independent,
 * the same on every machine), and a class's label is its place in that order. Files are read in
 * the same order, so the same folder always gives the same dataset.
 *
 * Each image is decoded by sharp and turned into exactly H×W pixels the way Keras's
 * image_dataset_from_directory does by default: a plain resize to the size, aspect ratio not
 * kept (sharp's fit 'fill'), no cropping or padding. EXIF orientation is applied first (a photo
 * is used the way a viewer shows it). Transparency is flattened onto white (as a page shows a
 * transparent image), then the pixels become grayscale (1 channel) or sRGB (3 channels), 8 bits
 * each, stored HWC.
 *
 * Skipped and reported: files with another extension ("not an image (.txt)"), files sharp cannot
 * decode ("not an image sharp can read: …"), class folders without images ("no images"), and
 * anything outside the layout. Refused with a DatasetError naming the folder: a folder that does
 * not exist, no images at all, fewer than 2 classes with images, a class with test images but no
 * training images.
 *
 * The split, when the folder has none: per class, the images (in file order) are shuffled by a
 * seeded PRNG and round(n·testSplit) of them go to test, but never all of them: every class keeps
 * at least one training image. The training and test sets are then each shuffled (seeded) so
 * the classes are interleaved: a `limit` or a Keras-style validation split (the last images)
 * sees every class, not the last one only.
 */
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import type SharpFactory from 'sharp';
import { datasetContentHash } from './dataset-hash';
import { folderSourceHash, isHidden, writeImportedDataset, type FolderLayoutKind, type ImportRecord, type SkippedFile } from './dataset-file';
import { DatasetError } from './fashion-mnist';
import type { DatasetMeta, ImageSet } from './types';
import { prng } from './prng';

export { folderChanged, folderSourceHash, openImportedDataset, readImportRecord } from './dataset-file';
export type { FolderLayoutKind, FolderStatus, ImportRecord, SkippedFile } from './dataset-file';

/** The extensions read as images. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'];

/** One class of a scanned folder: its image files, relative to the folder with '/' separators. */
export interface ClassImages {
  name: string;
  /** The classes layout: every image (split later). The train/test layout: the images in train/<class>/. */
  train: string[];
  /** The train/test layout: the images in test/<class>/; empty for the classes layout. */
  test: string[];
}

/** What scanImageFolder found. */
export interface FolderLayout {
  /** The absolute path of the folder. */
  folder: string;
  layout: FolderLayoutKind;
  /** The classes with at least one image, in label order (sorted by name). */
  classes: ClassImages[];
  /** The number of image files (by extension) in all classes. */
  imageCount: number;
  /** Files and folders that will not be read, and why. */
  skipped: SkippedFile[];
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface Entry {
  name: string;
  isDirectory: boolean;
}

/** The non-hidden entries of a folder (links followed), sorted by name. */
async function entries(dir: string): Promise<Entry[]> {
  const names = (await readdir(dir)).filter((n) => !isHidden(n)).sort(byCodeUnit);
  const out: Entry[] = [];
  for (const name of names) {
    try {
      const st = await stat(join(dir, name));
      if (st.isDirectory() || st.isFile()) out.push({ name, isDirectory: st.isDirectory() });
    } catch {
      // A dangling link: nothing to read.
    }
  }
  return out;
}

/** The class folders under `dir` (relative path `rel`, '' for the top) with their images; other entries go to `skipped`. */
async function scanClasses(dir: string, rel: string, skipped: SkippedFile[]): Promise<Map<string, string[]>> {
  const classes = new Map<string, string[]>();
  const prefix = rel ? `${rel}/` : '';
  for (const entry of await entries(dir)) {
    if (!entry.isDirectory) {
      skipped.push({ file: prefix + entry.name, reason: 'not in a class folder' });
      continue;
    }
    const images: string[] = [];
    const classRel = prefix + entry.name;
    for (const item of await entries(join(dir, entry.name))) {
      const file = `${classRel}/${item.name}`;
      if (item.isDirectory) {
        skipped.push({ file: `${file}/`, reason: 'a folder inside a class folder: only the images directly in a class folder are read' });
        continue;
      }
      const ext = extname(item.name).toLowerCase();
      if (IMAGE_EXTENSIONS.includes(ext)) images.push(file);
      else skipped.push({ file, reason: ext ? `not an image (${ext})` : 'not an image (no extension)' });
    }
    classes.set(entry.name, images);
  }
  return classes;
}

function folderProblem(folder: string, problem: string): DatasetError {
  return new DatasetError(`Cannot import ${folder}: ${problem}`);
}

/** Refuses a layout with no images or fewer than 2 classes with images. */
function checkEnoughClasses(folder: string, classes: ClassImages[], layout: FolderLayoutKind, readable = false): void {
  const images = readable ? 'readable images' : 'images';
  const where =
    layout === 'classes'
      ? 'put the images in one subfolder per class (PNG, JPEG or WebP)'
      : 'put the images in train/<class>/ and test/<class>/ (PNG, JPEG or WebP)';
  if (classes.length === 0) throw folderProblem(folder, `it holds no ${images}; ${where}`);
  if (classes.length === 1)
    throw folderProblem(folder, `only one class (${classes[0].name}) has ${images}; a dataset needs at least 2 classes: ${where}`);
}

/**
 * The layout of `folder` (see the top of this file): the classes with their image files, in
 * label order, and what will be skipped. Throws a DatasetError for a folder that does not
 * exist, train/ and test/ with different classes, no images, or fewer than 2 classes with images.
 */
export async function scanImageFolder(folder: string): Promise<FolderLayout> {
  const abs = resolve(folder);
  try {
    if (!(await stat(abs)).isDirectory()) throw folderProblem(abs, 'it is a file, not a folder');
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw folderProblem(abs, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the folder does not exist' : (err as Error).message);
  }
  const skipped: SkippedFile[] = [];
  const top = await entries(abs);
  const isDir = (name: string) => top.some((e) => e.name === name && e.isDirectory);
  const layout: FolderLayoutKind = isDir('train') && isDir('test') ? 'train-test' : 'classes';
  const classes: ClassImages[] = [];
  if (layout === 'classes') {
    for (const [name, images] of await scanClasses(abs, '', skipped)) {
      if (images.length > 0) classes.push({ name, train: images, test: [] });
      else skipped.push({ file: `${name}/`, reason: 'no images' });
    }
  } else {
    for (const e of top)
      if (e.name !== 'train' && e.name !== 'test') skipped.push({ file: e.isDirectory ? `${e.name}/` : e.name, reason: 'outside train/ and test/' });
    const train = await scanClasses(join(abs, 'train'), 'train', skipped);
    const test = await scanClasses(join(abs, 'test'), 'test', skipped);
    const onlyTrain = [...train.keys()].filter((c) => !test.has(c));
    const onlyTest = [...test.keys()].filter((c) => !train.has(c));
    if (onlyTrain.length > 0 || onlyTest.length > 0) {
      const parts = [];
      if (onlyTrain.length > 0) parts.push(`train/ has ${onlyTrain.join(', ')} but test/ does not`);
      if (onlyTest.length > 0) parts.push(`test/ has ${onlyTest.join(', ')} but train/ does not`);
      throw folderProblem(abs, `train/ and test/ must hold the same class folders: ${parts.join('; ')}`);
    }
    for (const [name, trainImages] of train) {
      const testImages = test.get(name) ?? [];
      if (trainImages.length === 0 && testImages.length > 0) {
        throw folderProblem(abs, `class ${name} has ${testImages.length} test images but no training images in train/${name}/`);
      }
      if (trainImages.length === 0) skipped.push({ file: `train/${name}/`, reason: 'no images' }, { file: `test/${name}/`, reason: 'no images' });
      else classes.push({ name, train: trainImages, test: testImages });
    }
  }
  checkEnoughClasses(abs, classes, layout);
  const imageCount = classes.reduce((n, c) => n + c.train.length + c.test.length, 0);
  return { folder: abs, layout, classes, imageCount, skipped };
}

/** Fisher–Yates with `random`, in place. */
function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** The id of a folder imported at a size and channel count: the same folder imported the same way replaces its dataset. */
export function importedDatasetId(folder: string, size: [number, number], channels: 1 | 3): string {
  const key = `${resolve(folder)}\n${size[0]}x${size[1]}\n${channels}`;
  return `folder-${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 12)}`;
}

export interface ImportProgress {
  /** Images decoded (or found unreadable) so far. */
  done: number;
  /** Image files to decode. */
  total: number;
  /** The last file done, relative to the folder. */
  file: string;
}

export interface ImportOptions {
  folder: string;
  name: string;
  /** [height, width] every image is resized to, each 1–1024. */
  size: [number, number];
  channels: 1 | 3;
  /** The fraction of each class held out for test when the folder has no train/ and test/ (0 ≤ testSplit < 1). Default 0.2. */
  testSplit?: number;
  /** Seeds the split and the order of the images. Default 1. */
  seed?: number;
  /** Aborting stops the import: it throws an error named 'AbortError' and writes nothing. */
  signal?: AbortSignal;
  /** Called at least every 1% of the images or 200 ms, and once with done === total. */
  onProgress?: (p: ImportProgress) => void;
  /** The datasets folder: the dataset goes to outDir/<id>/. */
  outDir: string;
  /** Images decoded at once (default: twice the cores, at least 2). */
  concurrency?: number;
}

export interface ImportResult {
  meta: DatasetMeta;
  skipped: SkippedFile[];
  /** The written dataset.bin. */
  file: string;
  /** The dataset's folder (outDir/<id>), what openImportedDataset and folderChanged take. */
  dir: string;
  layout: FolderLayoutKind;
}

/** The largest dataset.bin an import writes: it is read back in one piece. */
const MAX_DATASET_BYTES = 2 ** 31 - 1;

function cancelled(folder: string): Error {
  const err = new Error(`The import of ${folder} was cancelled`);
  err.name = 'AbortError';
  return err;
}

function checkOptions(o: ImportOptions): { testSplit: number; seed: number } {
  const [h, w] = o.size;
  if (!o.name.trim()) throw new DatasetError('A dataset needs a name');
  for (const d of [h, w]) {
    if (!Number.isInteger(d) || d < 1 || d > 1024) throw new DatasetError(`The image size must be two whole numbers from 1 to 1024 (got ${h}×${w})`);
  }
  if (o.channels !== 1 && o.channels !== 3)
    throw new DatasetError(`Images are imported with 1 channel (grayscale) or 3 (RGB), not ${String(o.channels)}`);
  const testSplit = o.testSplit ?? 0.2;
  if (!(testSplit >= 0 && testSplit < 1)) throw new DatasetError(`The test split must be at least 0 and below 1 (got ${testSplit})`);
  const seed = o.seed ?? 1;
  if (!Number.isInteger(seed)) throw new DatasetError(`The seed must be a whole number (got ${seed})`);
  return { testSplit, seed };
}

let sharpLoaded: Promise<typeof SharpFactory> | null = null;
/** sharp (and its native libvips) loaded on the first import, not whenever the catalog is: every CLI command would pay for it. */
const loadSharp = () => (sharpLoaded ??= import('sharp').then((m) => m.default));

/** One image as H×W×C bytes, or the reason sharp gave. */
async function decode(path: string, [h, w]: [number, number], channels: 1 | 3): Promise<Buffer | string> {
  const sharp = await loadSharp();
  try {
    let pipeline = sharp(path).autoOrient().resize(w, h, { fit: 'fill' }).flatten({ background: '#ffffff' });
    pipeline = channels === 1 ? pipeline.grayscale() : pipeline.removeAlpha().toColourspace('srgb');
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.width !== w || info.height !== h || info.channels !== channels) {
      return `not an image sharp can read: it decoded to ${info.width}×${info.height}×${info.channels}`;
    }
    return data;
  } catch (err) {
    return `not an image sharp can read: ${(err as Error).message}`;
  }
}

/**
 * Imports `folder` (see the top of this file) as the dataset outDir/<id>/: decodes every image,
 * splits, hashes and writes dataset.bin and dataset.json atomically. Resolves with the meta, what
 * was skipped and the file written; throws a DatasetError for what cannot be used and an error
 * named 'AbortError' when `signal` aborts (nothing is written then).
 */
export async function importImageFolder(options: ImportOptions): Promise<ImportResult> {
  const { testSplit, seed } = checkOptions(options);
  const { size, channels, signal, onProgress } = options;
  const folderArg = resolve(options.folder);
  if (signal?.aborted) throw cancelled(folderArg);
  const sourceHash = await folderSourceHash(folderArg).catch(() => '');
  const scan = await scanImageFolder(folderArg);
  const { folder, layout } = scan;
  const skipped = [...scan.skipped];
  const perImage = size[0] * size[1] * channels;

  // Every image file, class by class, train before test: decoded into its own slot.
  const files: { rel: string; cls: number; test: boolean }[] = [];
  scan.classes.forEach((c, cls) => {
    for (const rel of c.train) files.push({ rel, cls, test: false });
    for (const rel of c.test) files.push({ rel, cls, test: true });
  });
  const total = files.length;
  const bytes = total * (perImage + 1);
  if (bytes > MAX_DATASET_BYTES) {
    throw folderProblem(
      folder,
      `${total.toLocaleString('en-US')} images of ${size[0]}×${size[1]}×${channels} would take ${(bytes / 2 ** 30).toFixed(1)} GB; pick a smaller size`,
    );
  }
  const pixels = new Uint8Array(total * perImage);
  const readable = new Uint8Array(total);

  let next = 0;
  let done = 0;
  let lastReport = performance.now();
  let reportedAt = 0;
  const step = Math.max(1, Math.floor(total / 100));
  const report = (file: string) => {
    if (!onProgress) return;
    const now = performance.now();
    if (done === total || done - reportedAt >= step || now - lastReport >= 200) {
      reportedAt = done;
      lastReport = now;
      onProgress({ done, total, file });
    }
  };
  const worker = async () => {
    while (next < total && !signal?.aborted) {
      const i = next++;
      const result = await decode(join(folder, files[i].rel), size, channels);
      if (typeof result === 'string') skipped.push({ file: files[i].rel, reason: result });
      else {
        pixels.set(result, i * perImage);
        readable[i] = 1;
      }
      done++;
      report(files[i].rel);
    }
  };
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? Math.max(2, availableParallelism() * 2)));
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  if (signal?.aborted) throw cancelled(folder);

  // The readable images of each class; a class left without any is skipped like an empty one.
  const classNames: string[] = [];
  const trainIdx: number[][] = [];
  const testIdx: number[][] = [];
  const readableTrain = scan.classes.map((): number[] => []);
  const readableTest = scan.classes.map((): number[] => []);
  files.forEach((f, i) => {
    if (readable[i]) (f.test ? readableTest : readableTrain)[f.cls].push(i);
  });
  scan.classes.forEach((c, cls) => {
    const tr = readableTrain[cls];
    const te = readableTest[cls];
    if (tr.length === 0 && te.length > 0) {
      throw folderProblem(folder, `class ${c.name} has ${te.length} readable test images but no readable training images in train/${c.name}/`);
    }
    if (tr.length === 0) {
      skipped.push({ file: layout === 'classes' ? `${c.name}/` : `train/${c.name}/`, reason: 'no images sharp can read' });
      return;
    }
    classNames.push(c.name);
    if (layout === 'train-test') {
      trainIdx.push(tr);
      testIdx.push(te);
    } else {
      const order = shuffle(tr, prng(Math.imul(seed, 0x9e3779b1) ^ Math.imul(cls + 1, 0x85ebca6b)));
      const nTest = Math.min(Math.round(order.length * testSplit), order.length - 1);
      testIdx.push(order.slice(0, nTest));
      trainIdx.push(order.slice(nTest));
    }
  });
  checkEnoughClasses(
    folder,
    classNames.map((name) => ({ name, train: [], test: [] })),
    layout,
    true,
  );

  const build = (perClass: number[][], salt: number): ImageSet => {
    const picked = shuffle(
      perClass.flatMap((idx, label) => idx.map((i) => ({ i, label }))),
      prng(Math.imul(seed, 0x27d4eb2f) ^ salt),
    );
    const images = new Uint8Array(picked.length * perImage);
    const labels = new Uint8Array(picked.length);
    picked.forEach(({ i, label }, k) => {
      images.set(pixels.subarray(i * perImage, (i + 1) * perImage), k * perImage);
      labels[k] = label;
    });
    return { count: picked.length, rows: size[0], cols: size[1], channels, images, labels };
  };
  const train = build(trainIdx, 1);
  const test = build(testIdx, 2);

  const shape: [number, number, number] = [size[0], size[1], channels];
  const id = importedDatasetId(folder, size, channels);
  const meta: DatasetMeta = {
    id,
    name: options.name.trim(),
    source: 'folder',
    shape,
    classNames,
    trainCount: train.count,
    testCount: test.count,
    hash: datasetContentHash({ shape, classNames }, train, test),
  };
  skipped.sort((a, b) => byCodeUnit(a.file, b.file));
  const record: ImportRecord = {
    meta,
    source: { folder, layout, size: [size[0], size[1]], channels, testSplit: layout === 'classes' ? testSplit : null, seed },
    sourceHash: sourceHash || (await folderSourceHash(folder)),
    skipped,
    importedAt: new Date().toISOString(),
  };
  const dir = join(resolve(options.outDir), id);
  await writeImportedDataset(dir, record, train, test, () => {
    if (signal?.aborted) throw cancelled(folder);
  });
  return { meta, skipped, file: join(dir, 'dataset.bin'), dir, layout };
}

/** The name a folder suggests for its dataset: its own name. */
export const suggestedDatasetName = (folder: string): string => basename(resolve(folder));
