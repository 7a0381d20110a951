/**
 * An imported dataset on disk: one folder per dataset (`<datasets folder>/<id>/`) holding
 *   dataset.bin   the images and labels, read in one go when a run or the evaluation opens it
 *   dataset.json  what it is (the meta), where it came from, what the import skipped, and the
 *                 source folder's cheap fingerprint (sourceHash), for listing without reading the images
 *
 * dataset.bin, all numbers little-endian:
 *   0  4 bytes  magic "LLDS"
 *   4  uint32   format version (DATASET_FORMAT_VERSION)
 *   8  uint32   L, the length of the JSON that follows
 *  12  L bytes  UTF-8 JSON of the DatasetMeta
 *  then train images (trainCount·H·W·C bytes, HWC, image after image), train labels (trainCount
 *  bytes), test images, test labels; nothing after them.
 * Written to a temporary file in the same folder, fsynced, then renamed: a reader sees the old
 * file or the new one, whole. Opening checks the magic, the version, the meta and the exact
 * length (so a truncated or padded file is refused) and every label against the class count;
 * it does not re-hash the images unless asked (verify), so opening CIFAR-10-sized data costs one read.
 *
 * This file uses no image library: the trainer opens datasets through it without loading sharp.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { datasetContentHash } from './dataset-hash';
import { DatasetError } from './fashion-mnist';
import type { DatasetMeta, ImageSet, LoadedDataset } from './types';

const MAGIC = Buffer.from('LLDS', 'latin1');
export const DATASET_FORMAT_VERSION = 1;
const FIXED_HEADER_BYTES = 12;
export const DATASET_BIN = 'dataset.bin';
export const DATASET_JSON = 'dataset.json';

/** A file the import did not use, and why (in the user's words). Paths are relative to the source folder, with '/' separators. */
export interface SkippedFile {
  file: string;
  reason: string;
}

/** How a folder was laid out: one subfolder per class, or train/<class>/ and test/<class>/. */
export type FolderLayoutKind = 'classes' | 'train-test';

/** dataset.json. */
export interface ImportRecord {
  meta: DatasetMeta;
  source: {
    /** The absolute path of the imported folder. */
    folder: string;
    layout: FolderLayoutKind;
    /** [height, width] the images were resized to. */
    size: [number, number];
    channels: 1 | 3;
    /** The fraction held out for test (classes layout only; null for a train/test layout). */
    testSplit: number | null;
    seed: number;
  };
  /** folderSourceHash of the folder when it was imported. */
  sourceHash: string;
  skipped: SkippedFile[];
  /** ISO 8601. */
  importedAt: string;
}

async function writeAtomic(file: string, pieces: Uint8Array[], beforeRename?: () => void): Promise<void> {
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writev(pieces);
      await handle.sync();
    } finally {
      await handle.close();
    }
    beforeRename?.();
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

/**
 * Writes dataset.bin then dataset.json into `dir` (made if missing), each atomically.
 * `beforeRename` runs once the data is on disk and before it replaces anything: a cancelled
 * import throws there and leaves no file behind.
 */
export async function writeImportedDataset(
  dir: string,
  record: ImportRecord,
  train: ImageSet,
  test: ImageSet,
  beforeRename?: () => void,
): Promise<void> {
  const made = await mkdir(dir, { recursive: true });
  const json = Buffer.from(JSON.stringify(record.meta), 'utf8');
  const header = Buffer.alloc(FIXED_HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(DATASET_FORMAT_VERSION, 4);
  header.writeUInt32LE(json.length, 8);
  try {
    await writeAtomic(join(dir, DATASET_BIN), [header, json, train.images, train.labels, test.images, test.labels], beforeRename);
  } catch (err) {
    if (made !== undefined) await rmdir(dir).catch(() => {}); // a folder made for nothing; never one with files
    throw err;
  }
  await writeAtomic(join(dir, DATASET_JSON), [Buffer.from(JSON.stringify(record, null, 2) + '\n', 'utf8')]);
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;

/** The meta when it has every field a DatasetMeta needs, with sensible values; else what is wrong. */
function checkMeta(value: unknown): DatasetMeta | string {
  if (typeof value !== 'object' || value === null) return 'its description is not an object';
  const m = value as Record<string, unknown>;
  if (typeof m.id !== 'string' || typeof m.name !== 'string' || typeof m.hash !== 'string') return 'its description lacks the id, name or hash';
  if (m.source !== 'builtin' && m.source !== 'folder') return 'its description has an unknown source';
  const shape = m.shape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => isCount(d) && d > 0))
    return 'its image shape is not three positive whole numbers';
  if (shape[2] !== 1 && shape[2] !== 3) return `its images have ${String(shape[2])} channels (1 or 3 expected)`;
  const names = m.classNames;
  if (!Array.isArray(names) || names.length < 2 || names.length > 256 || !names.every((n) => typeof n === 'string'))
    return 'its class names are not 2 to 256 names';
  if (!isCount(m.trainCount) || !isCount(m.testCount)) return 'its image counts are not whole numbers';
  return value as DatasetMeta;
}

function damaged(file: string, problem: string): DatasetError {
  return new DatasetError(`${file} is damaged or not a Layerlab dataset (${problem}); import the folder again to rebuild it`);
}

/**
 * The dataset in `datasetDir` (a folder writeImportedDataset wrote): one read, the images and
 * labels as views into it. A missing, truncated, foreign or damaged file is a DatasetError that
 * says so and suggests importing again. `verify` also recomputes the content hash and compares
 * it with the recorded one (a full pass over the bytes).
 */
export async function openImportedDataset(datasetDir: string, options: { verify?: boolean } = {}): Promise<LoadedDataset> {
  const file = join(datasetDir, DATASET_BIN);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DatasetError(`No imported dataset in ${datasetDir} (${DATASET_BIN} is missing); import the folder again`);
    throw new DatasetError(`Cannot read ${file}: ${(err as Error).message}`);
  }
  if (bytes.length < FIXED_HEADER_BYTES || !bytes.subarray(0, 4).equals(MAGIC)) throw damaged(file, 'it does not start with the dataset header');
  const version = bytes.readUInt32LE(4);
  if (version !== DATASET_FORMAT_VERSION) {
    throw new DatasetError(
      `${file} is in dataset format ${version}; this Layerlab reads format ${DATASET_FORMAT_VERSION}. Import the folder again to rebuild it`,
    );
  }
  const jsonLength = bytes.readUInt32LE(8);
  const dataStart = FIXED_HEADER_BYTES + jsonLength;
  if (dataStart > bytes.length) throw damaged(file, 'it ends inside its header: the file is truncated');
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8', FIXED_HEADER_BYTES, dataStart));
  } catch {
    throw damaged(file, 'its description is not valid JSON');
  }
  const meta = checkMeta(parsed);
  if (typeof meta === 'string') throw damaged(file, meta);
  const [rows, cols, channels] = meta.shape;
  const perImage = rows * cols * channels;
  const expected = dataStart + (meta.trainCount + meta.testCount) * (perImage + 1);
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'the file is truncated' : 'there are bytes after the data';
    throw damaged(file, `${bytes.length.toLocaleString('en-US')} bytes where ${expected.toLocaleString('en-US')} were expected: ${what}`);
  }
  let offset = dataStart;
  const take = (length: number): Uint8Array => {
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset + offset, length);
    offset += length;
    return view;
  };
  const set = (count: number): ImageSet => ({ count, rows, cols, channels, images: take(count * perImage), labels: take(count) });
  const train = set(meta.trainCount);
  const test = set(meta.testCount);
  for (const [name, s] of [
    ['training', train],
    ['test', test],
  ] as const) {
    const bad = s.labels.findIndex((label) => label >= meta.classNames.length);
    if (bad >= 0) throw damaged(file, `${name} image ${bad} has label ${s.labels[bad]} but there are ${meta.classNames.length} classes`);
  }
  if (options.verify && datasetContentHash(meta, train, test) !== meta.hash) throw damaged(file, 'its images do not match their recorded hash');
  return { meta, train, test };
}

/** dataset.json of the dataset in `datasetDir`, or a DatasetError when it is missing or unreadable. */
export async function readImportRecord(datasetDir: string): Promise<ImportRecord> {
  const file = join(datasetDir, DATASET_JSON);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DatasetError(`No imported dataset in ${datasetDir} (${DATASET_JSON} is missing); import the folder again`);
    throw new DatasetError(`Cannot read ${file}: ${(err as Error).message}`);
  }
  let record: ImportRecord;
  try {
    record = JSON.parse(text) as ImportRecord;
  } catch {
    throw damaged(file, 'it is not valid JSON');
  }
  if (typeof record?.source?.folder !== 'string' || typeof record.sourceHash !== 'string' || typeof checkMeta(record.meta) === 'string') {
    throw damaged(file, 'it lacks the dataset description, the source folder or its hash');
  }
  return record;
}

/** Hidden files and folders (.DS_Store, .git, ._ files) are never part of a dataset. */
export const isHidden = (name: string): boolean => name.startsWith('.');

/**
 * A cheap fingerprint of a folder's files, read without decoding anything: SHA-256 over the
 * sorted list of (path relative to the folder, size, modification time in ms) of every
 * non-hidden file up to three levels down (folder/train/<class>/<file> is the deepest an
 * import reads). Adding, removing, renaming, replacing or touching a file changes it.
 */
export async function folderSourceHash(folder: string): Promise<string> {
  const entries: string[] = [];
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    const names = (await readdir(dir)).filter((n) => !isHidden(n));
    for (const name of names) {
      const path = join(dir, name);
      const relPath = rel ? `${rel}/${name}` : name;
      let st;
      try {
        st = await stat(path);
      } catch {
        continue; // a dangling link or a file removed meanwhile: nothing an import could read
      }
      if (st.isDirectory()) {
        if (depth < 3) await walk(path, relPath, depth + 1);
      } else if (st.isFile()) entries.push(`${relPath}\0${st.size}\0${st.mtimeMs}`);
    }
  };
  await walk(resolve(folder), '', 1);
  entries.sort();
  return createHash('sha256').update(entries.join('\n'), 'utf8').digest('hex');
}

/** What happened to an imported dataset's source folder since the import. */
export interface FolderStatus {
  /** The absolute path of the source folder. */
  folder: string;
  /** 'unchanged'; 'changed': files were added, removed or modified (offer a re-import); 'missing': the folder is gone or unreadable. */
  state: 'unchanged' | 'changed' | 'missing';
  /** state !== 'unchanged'. */
  changed: boolean;
}

/** Whether the source folder of the dataset in `datasetDir` differs from what was imported (cheap: stats only). */
export async function folderChanged(datasetDir: string): Promise<FolderStatus> {
  const record = await readImportRecord(datasetDir);
  const folder = record.source.folder;
  let current: string;
  try {
    if (!(await stat(folder)).isDirectory()) return { folder, state: 'missing', changed: true };
    current = await folderSourceHash(folder);
  } catch {
    return { folder, state: 'missing', changed: true };
  }
  const state = current === record.sourceHash ? 'unchanged' : 'changed';
  return { folder, state, changed: state !== 'unchanged' };
}
