/**
 * The datasets Layerlab knows by name: Fashion-MNIST (through ./fashion-mnist and ./download,
 * unchanged), MNIST, Kuzushiji-MNIST and CIFAR-10. For each: what it is (shape, class names,
 * split sizes), where it is found (a folder the user picked, the app's cache, a system folder),
 * how it is downloaded and verified, and how it is loaded into a LoadedDataset.
 *
 * Every function takes a dataset's id or its description; passing a description other than
 * the registry's (other checksums or counts) is for tests, which cannot serve the real files.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DatasetStatus, DownloadProgress } from '../../shared/contract/dataset';
import { BUILTIN_DATASET_IDS, type BuiltinDatasetId, FASHION_MNIST_CLASSES } from '../../shared/model/training-config';
import { cancelled, errorCode, fetchVerified, fileMatches, StepProgress, type FileChecksum } from './builtin-download';
import { CIFAR10_RECORDS_PER_FILE, CIFAR10_TEST_FILES, CIFAR10_TRAIN_FILES, cifar10SizeProblem, readCifar10Files } from './cifar10';
import { extractCifar10Archive } from './cifar10-archive';
import { datasetContentHash } from './dataset-hash';
import { readIdxCached } from './decoded-cache';
import { downloadFashionMnist, DownloadError } from './download';
import { DatasetError, FASHION_MNIST_FILES, loadFashionMnist, locateFashionMnist, SYSTEM_DATASET_FOLDER } from './fashion-mnist';
import { type IdxArray, IdxError, readIdxSource, streamIdxBytes } from './idx';
import type { ImageSet, LoadedDataset } from './types';

export { BUILTIN_DATASET_IDS, type BuiltinDatasetId };

/** A file to download: its name (under the base URL), its official size (which weights progress) and checksum. */
export interface BuiltinDownloadFile {
  name: string;
  bytes: number;
  /** Null: the file is checked by other means (see the dataset's comment). */
  checksum: FileChecksum | null;
}

interface BuiltinCommon {
  id: BuiltinDatasetId;
  name: string;
  /** Where the dataset is described, for the user. */
  homepage: string;
  /** [height, width, channels] of one image. */
  shape: [number, number, number];
  classNames: readonly string[];
  trainCount: number;
  testCount: number;
  download: { baseUrl: string; files: readonly BuiltinDownloadFile[] };
  /** A folder a system package installs the files into, searched last. */
  systemFolder: string | null;
}

/** The four MNIST-style IDX files (gzipped; the extracted names are accepted too). */
export type IdxFileNames = typeof FASHION_MNIST_FILES;

export type BuiltinDataset =
  | (BuiltinCommon & { format: 'idx'; files: IdxFileNames })
  | (BuiltinCommon & { format: 'cifar-10-binary'; trainFiles: readonly string[]; testFiles: readonly string[]; recordsPerFile: number });

/** The same four names throughout the MNIST family. */
const IDX_FILES: IdxFileNames = FASHION_MNIST_FILES;
const IDX_FILE_KEYS = Object.keys(IDX_FILES) as (keyof IdxFileNames)[];

const FASHION_MNIST: BuiltinDataset = {
  id: 'fashion-mnist',
  name: 'Fashion-MNIST',
  homepage: 'https://github.com/zalandoresearch/fashion-mnist',
  format: 'idx',
  files: IDX_FILES,
  shape: [28, 28, 1],
  classNames: FASHION_MNIST_CLASSES,
  trainCount: 60_000,
  testCount: 10_000,
  // Downloaded by ./download, which checks the SHA-256 of each file's decompressed content
  // (so that Debian's recompressed copies pass too); the sizes are the official .gz files'.
  download: {
    baseUrl: 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    files: [
      { name: IDX_FILES.trainImages, bytes: 26_421_880, checksum: null },
      { name: IDX_FILES.trainLabels, bytes: 29_515, checksum: null },
      { name: IDX_FILES.testImages, bytes: 4_422_102, checksum: null },
      { name: IDX_FILES.testLabels, bytes: 5_148, checksum: null },
    ],
  },
  systemFolder: SYSTEM_DATASET_FOLDER,
};

const MNIST: BuiltinDataset = {
  id: 'mnist',
  name: 'MNIST',
  homepage: 'http://yann.lecun.com/exdb/mnist/',
  format: 'idx',
  files: IDX_FILES,
  shape: [28, 28, 1],
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  trainCount: 60_000,
  testCount: 10_000,
  // yann.lecun.com refuses downloads; this is the mirror torchvision uses. The MD5s are the
  // original files', as torchvision's MNIST class lists them; the sizes are the .gz files'.
  download: {
    baseUrl: 'https://ossci-datasets.s3.amazonaws.com/mnist/',
    files: [
      { name: IDX_FILES.trainImages, bytes: 9_912_422, checksum: { md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' } },
      { name: IDX_FILES.trainLabels, bytes: 28_881, checksum: { md5: 'd53e105ee54ea40749a09fcbcd1e9432' } },
      { name: IDX_FILES.testImages, bytes: 1_648_877, checksum: { md5: '9fb629c4189551a2d022fa330f9573f3' } },
      { name: IDX_FILES.testLabels, bytes: 4_542, checksum: { md5: 'ec29112dd5afa0611ce80d1b7f02629c' } },
    ],
  },
  systemFolder: null,
};

const KMNIST: BuiltinDataset = {
  id: 'kmnist',
  name: 'Kuzushiji-MNIST',
  homepage: 'https://github.com/rois-codh/kmnist',
  format: 'idx',
  files: IDX_FILES,
  shape: [28, 28, 1],
  // The ten hiragana in label order (classmap.csv of the KMNIST repository), with their romaji.
  classNames: ['お (o)', 'き (ki)', 'す (su)', 'つ (tsu)', 'な (na)', 'は (ha)', 'ま (ma)', 'や (ya)', 'れ (re)', 'を (wo)'],
  trainCount: 60_000,
  testCount: 10_000,
  // The MD5s are those torchvision's KMNIST class (torchvision/datasets/mnist.py) checks the
  // files from this same address against; the KMNIST site publishes none. Every download is
  // also checked for structure (IDX kind, 28×28, 60,000/10,000, labels 0–9). The sizes only
  // weight the progress bar and are approximate.
  download: {
    baseUrl: 'http://codh.rois.ac.jp/kmnist/dataset/kmnist/',
    files: [
      { name: IDX_FILES.trainImages, bytes: 18_165_135, checksum: { md5: 'bdb82020997e1d708af4cf47b453dcf7' } },
      { name: IDX_FILES.trainLabels, bytes: 29_497, checksum: { md5: 'e144d726b3acfaa3e44228e80efcd344' } },
      { name: IDX_FILES.testImages, bytes: 3_041_136, checksum: { md5: '5c965bf0a639b31b8f53240b1b52f4d7' } },
      { name: IDX_FILES.testLabels, bytes: 5_120, checksum: { md5: '7320c461ea6c1c855c0b718fb2a4b134' } },
    ],
  },
  systemFolder: null,
};

const CIFAR_10: BuiltinDataset = {
  id: 'cifar-10',
  name: 'CIFAR-10',
  homepage: 'https://www.cs.toronto.edu/~kriz/cifar.html',
  format: 'cifar-10-binary',
  trainFiles: CIFAR10_TRAIN_FILES,
  testFiles: CIFAR10_TEST_FILES,
  recordsPerFile: CIFAR10_RECORDS_PER_FILE,
  shape: [32, 32, 3],
  classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
  trainCount: 50_000,
  testCount: 10_000,
  // The binary version; MD5 and size as published on the CIFAR page. The six batch files are
  // extracted from it and each checked for size (10,000 records) and labels.
  download: {
    baseUrl: 'https://www.cs.toronto.edu/~kriz/',
    files: [{ name: 'cifar-10-binary.tar.gz', bytes: 170_052_171, checksum: { md5: 'c32a1d4ab5d03f1284b67883e8d87530' } }],
  },
  systemFolder: null,
};

/** The built-in datasets, in the order they are listed to the user. */
export const BUILTIN_DATASETS: readonly BuiltinDataset[] = [FASHION_MNIST, MNIST, KMNIST, CIFAR_10];

export function isBuiltinDatasetId(id: string): id is BuiltinDatasetId {
  return (BUILTIN_DATASET_IDS as readonly string[]).includes(id);
}

/** The registry's description of `id`; a DatasetError naming the known ids otherwise. */
export function getBuiltinDataset(id: string): BuiltinDataset {
  const found = BUILTIN_DATASETS.find((d) => d.id === id);
  if (!found) throw new DatasetError(`There is no built-in dataset "${id}"; the built-in datasets are ${BUILTIN_DATASET_IDS.join(', ')}`);
  return found;
}

const spec = (dataset: BuiltinDatasetId | BuiltinDataset): BuiltinDataset => (typeof dataset === 'string' ? getBuiltinDataset(dataset) : dataset);

/** The app's own copy of a dataset lives here, under its cache folder. */
export const builtinCacheFolder = (cacheDir: string, id: BuiltinDatasetId): string => join(cacheDir, id);

/** The download's size in words: "about 170 MB". */
export function downloadSize(dataset: BuiltinDatasetId | BuiltinDataset): string {
  const bytes = spec(dataset).download.files.reduce((sum, f) => sum + f.bytes, 0);
  return `about ${Math.round(bytes / 1e6)} MB`;
}

// ---- Locating -------------------------------------------------------------------------

/** Where a built-in dataset was found, or why not; DatasetStatus with any built-in id. */
export type BuiltinDatasetStatus = Omit<DatasetStatus, 'id'> & { id: BuiltinDatasetId };

const count = (n: number): string => n.toLocaleString('en-US');

function listInWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function fileSize(path: string): number | null {
  try {
    const st = statSync(path);
    return st.isFile() ? st.size : null;
  } catch {
    return null;
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The path of each IDX file in `folder` (the .gz name before the extracted one), or null where missing. */
function findIdxFiles(folder: string): Record<keyof IdxFileNames, string | null> {
  const found = {} as Record<keyof IdxFileNames, string | null>;
  for (const key of IDX_FILE_KEYS) {
    const gz = join(folder, IDX_FILES[key]);
    const raw = gz.slice(0, -'.gz'.length);
    found[key] = fileSize(gz) !== null ? gz : fileSize(raw) !== null ? raw : null;
  }
  return found;
}

/** The files a folder must hold, as a user would list them. */
function neededFiles(d: BuiltinDataset): string[] {
  return d.format === 'idx' ? Object.values(d.files) : [...d.trainFiles, ...d.testFiles];
}

/** Why `folder` cannot be used for `d`: no such folder, files missing, a batch file of the wrong size; null when it can. */
type FolderProblem = { kind: 'no-folder' } | { kind: 'missing'; files: string[] } | { kind: 'bad-file'; message: string };

function folderProblem(d: BuiltinDataset, folder: string): FolderProblem | null {
  if (!isFolder(folder)) return { kind: 'no-folder' };
  if (d.format === 'idx') {
    const found = findIdxFiles(folder);
    const missing = IDX_FILE_KEYS.filter((key) => found[key] === null).map((key) => d.files[key]);
    return missing.length === 0 ? null : { kind: 'missing', files: missing };
  }
  const names = neededFiles(d);
  const missing = names.filter((name) => fileSize(join(folder, name)) === null);
  if (missing.length > 0) return { kind: 'missing', files: missing };
  for (const name of names) {
    const message = cifar10SizeProblem(join(folder, name), fileSize(join(folder, name)) as number, d.recordsPerFile);
    if (message !== null) return { kind: 'bad-file', message };
  }
  return null;
}

function userFolderProblem(d: BuiltinDataset, folder: string): string {
  const problem = folderProblem(d, folder);
  if (problem === null) return '';
  if (problem.kind === 'no-folder') return `The folder you chose, ${folder}, does not exist.`;
  if (problem.kind === 'missing')
    return `The folder you chose, ${folder}, lacks ${listInWords(problem.files)}${d.format === 'idx' ? ' (gzipped or not)' : ''}.`;
  return `In the folder you chose, ${problem.message}.`;
}

/** A user's CIFAR-10 folder may be the one holding the extracted cifar-10-batches-bin. */
function userCandidate(d: BuiltinDataset, folder: string): string {
  const inner = join(folder, 'cifar-10-batches-bin');
  if (d.format === 'cifar-10-binary' && folderProblem(d, folder) !== null && folderProblem(d, inner) === null) return inner;
  return folder;
}

/**
 * Looks for the dataset's files in the user's folder, then `<cacheDir>/<id>`, then the system
 * folder (Debian's for Fashion-MNIST; none for the others unless `systemFolder` is given), and
 * says where they are or what the user can do. Fashion-MNIST is located by ./fashion-mnist.
 */
export function locateBuiltinDataset(
  dataset: BuiltinDatasetId | BuiltinDataset,
  opts: { cacheDir: string; userFolder?: string | null; systemFolder?: string },
): BuiltinDatasetStatus {
  const d = spec(dataset);
  if (d.id === 'fashion-mnist' && d === FASHION_MNIST) return locateFashionMnist(opts);
  const userFolder = opts.userFolder ? opts.userFolder : null;
  const system = opts.systemFolder ?? d.systemFolder;
  const candidates = [userFolder === null ? null : userCandidate(d, userFolder), builtinCacheFolder(opts.cacheDir, d.id), system];
  const searched = candidates.filter((f, i): f is string => f !== null && candidates.findIndex((g) => g !== null && resolve(g) === resolve(f)) === i);
  const folder = searched.find((f) => folderProblem(d, f) === null) ?? null;
  const userProblem = userFolder !== null && folder !== searched[0] ? userFolderProblem(d, searched[0]) : null;

  if (folder !== null) {
    // The user picked a folder and another is quietly used: they should know.
    return {
      id: d.id,
      available: true,
      folder,
      searched,
      message: userProblem === null ? null : `${userProblem} Using the copy in ${folder} instead.`,
    };
  }
  const parts = [
    userProblem,
    `${d.name} was not found in ${listInWords(searched)}.`,
    `Download it (${downloadSize(d)}), or choose a folder holding ${listInWords(neededFiles(d))}${d.format === 'idx' ? ' (gzipped or not)' : ' (the cifar-10-batches-bin folder of the binary version)'}.`,
  ];
  return { id: d.id, available: false, folder: null, searched, message: parts.filter((p) => p !== null).join(' ') };
}

// ---- Checking IDX files ---------------------------------------------------------------------

type IdxRole = 'images' | 'labels';

/** The problem with an IDX file's dimensions for `role` in `d` (`expected` items, any when null), or null. */
function idxDimsProblem(d: BuiltinDataset, name: string, dims: number[], role: IdxRole, expected: number | null, setName: string): string | null {
  const [rows, cols] = d.shape;
  const shape = `${dims.map(count).join(' × ')}, IDX magic 0x0000080${dims.length}`;
  if (role === 'images') {
    if (dims.length !== 3)
      return `${name} is not an images file: it holds ${dims.length}-dimensional data (${shape}); images files have magic 0x00000803`;
    if (dims[1] !== rows || dims[2] !== cols) return `${name} holds ${dims[1]}×${dims[2]} images; ${d.name} images are ${rows}×${cols}`;
    if (dims[0] === 0) return `${name} holds no images`;
    if (expected !== null && dims[0] !== expected)
      return `${name} holds ${count(dims[0])} images; the ${d.name} ${setName} set has ${count(expected)}`;
    return null;
  }
  if (dims.length !== 1)
    return `${name} is not a labels file: it holds ${dims.length}-dimensional data (${shape}); labels files have magic 0x00000801`;
  if (expected !== null && dims[0] !== expected) return `${name} has ${count(dims[0])} labels; the ${d.name} ${setName} set has ${count(expected)}`;
  return null;
}

const labelProblem = (d: BuiltinDataset, name: string, label: number, at: number): string =>
  `${name} has label ${label} at position ${count(at)}; ${d.name} labels are 0 to ${d.classNames.length - 1}`;

const IDX_ROLES: Record<keyof IdxFileNames, { role: IdxRole; set: 'train' | 'test' }> = {
  trainImages: { role: 'images', set: 'train' },
  trainLabels: { role: 'labels', set: 'train' },
  testImages: { role: 'images', set: 'test' },
  testLabels: { role: 'labels', set: 'test' },
};

/** Checks a downloaded IDX file's bytes (gzipped) in one streaming pass; throws an IdxError naming `name`. */
async function checkIdxBytes(d: BuiltinDataset, key: keyof IdxFileNames, name: string, bytes: Uint8Array): Promise<void> {
  const { role, set } = IDX_ROLES[key];
  await streamIdxBytes(name, bytes, {
    start(dims) {
      const problem = idxDimsProblem(d, name, dims, role, set === 'train' ? d.trainCount : d.testCount, set === 'train' ? 'training' : 'test');
      if (problem !== null) throw new IdxError(problem);
    },
    piece(piece, offset) {
      if (role !== 'labels') return;
      for (let i = 0; i < piece.length; i++) if (piece[i] >= d.classNames.length) throw new IdxError(labelProblem(d, name, piece[i], offset + i));
    },
  });
}

// ---- Downloading ------------------------------------------------------------------------------

export interface BuiltinDownloadOptions {
  cacheDir: string;
  /** Another address to download the files from (a mirror; a local server in tests). */
  baseUrl?: string;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
}

/** Of CIFAR-10's progress bar, the share extracting takes (gunzip is quick beside the download). */
const EXTRACT_SHARE = 0.1;

async function makeFolder(folder: string): Promise<void> {
  try {
    await mkdir(folder, { recursive: true });
  } catch (err) {
    throw new DownloadError(`Cannot create the download folder ${folder}: ${errorCode(err) ?? String(err)}`, 'disk');
  }
}

async function moveIntoPlace(tmp: string, target: string, name: string): Promise<void> {
  try {
    await rename(tmp, target);
  } catch (err) {
    throw new DownloadError(`Cannot save ${name} in ${join(target, '..')}: ${errorCode(err) ?? String(err)}`, 'disk');
  }
}

async function downloadIdx(d: BuiltinDataset & { format: 'idx' }, folder: string, baseUrl: string, opts: BuiltinDownloadOptions): Promise<void> {
  const weights = new Map(d.download.files.map((f) => [f.name, f.bytes]));
  const progress = new StepProgress(
    d.download.files.reduce((sum, f) => sum + f.bytes, 0),
    opts.onProgress,
  );
  const otherwise = `choose a folder holding the ${d.name} files`;
  for (const key of IDX_FILE_KEYS) {
    const name = d.files[key];
    const file = d.download.files.find((f) => f.name === name) ?? { name, bytes: 1, checksum: null };
    const weight = weights.get(name) ?? 1;
    if (opts.signal?.aborted) throw cancelled(name);
    const target = join(folder, name);
    const existing = fileSize(target);
    if (existing !== null && (await isIntactIdx(d, key, target, file.checksum))) {
      progress.stepDone(name, weight, existing);
      continue;
    }
    const url = new URL(name, baseUrl).href;
    const { tmp, bytes } = await fetchVerified({
      name,
      url,
      folder,
      checksum: file.checksum,
      otherwise,
      signal: opts.signal,
      fetchImpl: opts.fetch ?? fetch,
      onBytes: (received, total, force) => progress.update(name, weight, received, total, file.bytes, force),
    });
    try {
      try {
        await checkIdxBytes(d, key, `${name} from ${url}`, await readIdxSource(tmp));
      } catch (err) {
        if (err instanceof IdxError) throw new DownloadError(`${err.message}; nothing was saved`, 'checksum');
        throw err;
      }
      if (opts.signal?.aborted) throw cancelled(name);
      await moveIntoPlace(tmp, target, name);
    } finally {
      await rm(tmp, { force: true });
    }
    progress.stepDone(name, weight, bytes);
  }
}

/** A file already in the cache is kept when it matches its checksum (or, with none, when its structure is right). */
async function isIntactIdx(d: BuiltinDataset, key: keyof IdxFileNames, path: string, checksum: FileChecksum | null): Promise<boolean> {
  if (checksum !== null) return fileMatches(path, checksum);
  try {
    await checkIdxBytes(d, key, path, await readIdxSource(path));
    return true;
  } catch {
    return false;
  }
}

async function downloadCifar(
  d: BuiltinDataset & { format: 'cifar-10-binary' },
  folder: string,
  baseUrl: string,
  opts: BuiltinDownloadOptions,
): Promise<void> {
  const archive = d.download.files[0];
  const members = [...d.trainFiles, ...d.testFiles];
  // Whole numbers, so the weights add up to exactly the total and the last step reports 1.
  const memberWeight = Math.round((archive.bytes * EXTRACT_SHARE) / (1 - EXTRACT_SHARE) / members.length);
  const total = archive.bytes + memberWeight * members.length;
  const progress = new StepProgress(total, opts.onProgress);
  if (folderProblem(d, folder) === null) {
    // Extracted earlier, each file checked then and renamed into place whole.
    for (const name of members) progress.stepDone(name, memberWeight, fileSize(join(folder, name)) as number);
    return;
  }
  if (opts.signal?.aborted) throw cancelled(archive.name);
  const url = new URL(archive.name, baseUrl).href;
  const { tmp, bytes } = await fetchVerified({
    name: archive.name,
    url,
    folder,
    checksum: archive.checksum,
    otherwise: 'choose a folder holding the extracted cifar-10-batches-bin',
    signal: opts.signal,
    fetchImpl: opts.fetch ?? fetch,
    onBytes: (received, totalBytes, force) => progress.update(archive.name, archive.bytes, received, totalBytes, archive.bytes, force),
  });
  try {
    progress.stepDone(archive.name, archive.bytes, bytes);
    await extractCifar10Archive(tmp, folder, {
      archiveName: `${archive.name} from ${url}`,
      members,
      recordsPerFile: d.recordsPerFile,
      signal: opts.signal,
      onProgress: (file, written, expected, force) => {
        if (written === expected && force) progress.stepDone(file, memberWeight, written);
        else progress.update(file, memberWeight, written, expected, expected, force);
      },
    });
  } finally {
    // The archive is not kept: the six batch files are all Layerlab reads.
    await rm(tmp, { force: true });
  }
}

/**
 * Downloads a dataset into `<cacheDir>/<id>` and returns that folder. Files already there and
 * intact are kept. Progress runs from 0 to 1 over all files; each file is checked (checksum,
 * then structure: IDX kind, image size, counts, labels; for CIFAR-10 the archive's MD5, then
 * each batch file's size and labels) before it appears under its real name, so a cancelled,
 * broken or wrong download leaves nothing partial. Throws a DownloadError saying what failed
 * ('http', 'network', 'checksum', 'cancelled', 'disk'). Fashion-MNIST goes through ./download.
 */
export async function downloadBuiltinDataset(dataset: BuiltinDatasetId | BuiltinDataset, opts: BuiltinDownloadOptions): Promise<string> {
  const d = spec(dataset);
  if (d.id === 'fashion-mnist' && d === FASHION_MNIST) {
    return downloadFashionMnist({
      cacheDir: opts.cacheDir,
      baseUrl: opts.baseUrl,
      onProgress: opts.onProgress,
      signal: opts.signal,
      fetchImpl: opts.fetch,
    });
  }
  const folder = builtinCacheFolder(opts.cacheDir, d.id);
  await makeFolder(folder);
  const base = opts.baseUrl ?? d.download.baseUrl;
  const baseUrl = base.endsWith('/') ? base : `${base}/`;
  if (d.format === 'idx') await downloadIdx(d, folder, baseUrl, opts);
  else await downloadCifar(d, folder, baseUrl, opts);
  return folder;
}

// ---- Loading ----------------------------------------------------------------------------------

export interface BuiltinLoadOptions {
  /** The decoded IDX cache (see ./decoded-cache): null reads without it; by default the user's. */
  decodedCacheDir?: string | null;
  /** Accept sets of any size (at least one image) instead of the official counts: for tests and subsets. */
  anyCount?: boolean;
}

async function loadIdxSet(
  d: BuiltinDataset,
  imagesPath: string,
  labelsPath: string,
  set: 'train' | 'test',
  opts: BuiltinLoadOptions,
): Promise<ImageSet> {
  const read = await Promise.allSettled([readIdxCached(imagesPath, opts.decodedCacheDir), readIdxCached(labelsPath, opts.decodedCacheDir)]);
  const failed = read.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const [images, labels] = read.map((r) => (r as PromiseFulfilledResult<IdxArray>).value);
  const expected = opts.anyCount ? null : set === 'train' ? d.trainCount : d.testCount;
  const problem =
    idxDimsProblem(d, imagesPath, images.dims, 'images', expected, set === 'train' ? 'training' : 'test') ??
    idxDimsProblem(d, labelsPath, labels.dims, 'labels', null, '') ??
    (labels.dims[0] !== images.dims[0]
      ? `${labelsPath} has ${count(labels.dims[0])} labels for the ${count(images.dims[0])} images in ${imagesPath}`
      : null);
  if (problem !== null) throw new DatasetError(problem);
  const bad = labels.data.findIndex((label) => label >= d.classNames.length);
  if (bad >= 0) throw new DatasetError(labelProblem(d, labelsPath, labels.data[bad], bad));
  return { count: images.dims[0], rows: images.dims[1], cols: images.dims[2], images: images.data, labels: labels.data };
}

async function loadIdx(d: BuiltinDataset, folder: string, opts: BuiltinLoadOptions): Promise<{ train: ImageSet; test: ImageSet }> {
  const files = findIdxFiles(folder);
  const missing = IDX_FILE_KEYS.filter((key) => files[key] === null).map((key) => IDX_FILES[key]);
  if (missing.length > 0) throw new DatasetError(`${folder} lacks ${listInWords(missing)} (gzipped or not)`);
  const path = (key: keyof IdxFileNames): string => files[key] as string;
  if (d.id === 'fashion-mnist' && d === FASHION_MNIST) {
    // Read as the trainer reads it today; the counts are checked here.
    const data = await loadFashionMnist(folder, opts.decodedCacheDir === undefined ? {} : { cacheDir: opts.decodedCacheDir });
    const wrong = opts.anyCount
      ? null
      : data.train.count !== d.trainCount
        ? `${path('trainImages')} holds ${count(data.train.count)} images; the ${d.name} training set has ${count(d.trainCount)}`
        : data.test.count !== d.testCount
          ? `${path('testImages')} holds ${count(data.test.count)} images; the ${d.name} test set has ${count(d.testCount)}`
          : null;
    if (wrong !== null) throw new DatasetError(wrong);
    return data;
  }
  // Both sets decompress in parallel; when both are wrong, the training set's problem is the one reported, every time.
  const [train, test] = await Promise.allSettled([
    loadIdxSet(d, path('trainImages'), path('trainLabels'), 'train', opts),
    loadIdxSet(d, path('testImages'), path('testLabels'), 'test', opts),
  ]);
  if (train.status === 'rejected') throw train.reason;
  if (test.status === 'rejected') throw test.reason;
  return { train: train.value, test: test.value };
}

async function loadCifar(
  d: BuiltinDataset & { format: 'cifar-10-binary' },
  folder: string,
  opts: BuiltinLoadOptions,
): Promise<{ train: ImageSet; test: ImageSet }> {
  const missing = neededFiles(d).filter((name) => fileSize(join(folder, name)) === null);
  if (missing.length > 0) throw new DatasetError(`${folder} lacks ${listInWords(missing)}`);
  const recordsPerFile = opts.anyCount ? null : d.recordsPerFile;
  const train = await readCifar10Files(
    d.trainFiles.map((name) => join(folder, name)),
    { recordsPerFile },
  );
  const test = await readCifar10Files(
    d.testFiles.map((name) => join(folder, name)),
    { recordsPerFile },
  );
  return { train, test };
}

/**
 * Loads a dataset from a folder holding its files (as located or downloaded): both sets with
 * their images as bytes (HWC), checked against the official shape and counts (unless
 * `anyCount`), labels within the class count, and the dataset's description with its content
 * hash. Throws a DatasetError (or IdxError) naming the file and what is wrong.
 */
export async function loadBuiltinDataset(
  dataset: BuiltinDatasetId | BuiltinDataset,
  folder: string,
  opts: BuiltinLoadOptions = {},
): Promise<LoadedDataset> {
  const d = spec(dataset);
  if (!isFolder(folder)) throw new DatasetError(`${folder} does not exist`);
  const { train, test } = d.format === 'idx' ? await loadIdx(d, folder, opts) : await loadCifar(d, folder, opts);
  return {
    meta: {
      id: d.id,
      name: d.name,
      source: 'builtin',
      shape: [...d.shape],
      classNames: [...d.classNames],
      trainCount: train.count,
      testCount: test.count,
      hash: datasetContentHash(d, train, test),
    },
    train,
    test,
  };
}
