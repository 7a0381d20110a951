/**
 * CIFAR-10's binary version (https://www.cs.toronto.edu/~kriz/cifar.html): each batch file is a
 * run of 3,073-byte records, one label byte (0–9) then a 32×32 colour image as three 1,024-byte
 * planes (red, green, blue), each row-major. Layerlab keeps images channels-interleaved (HWC:
 * r, g, b per pixel), so reading converts planes to pixels in the same pass that copies them.
 */
import { readFile, stat } from 'node:fs/promises';
import { DatasetError } from './fashion-mnist';
import type { ImageSet } from './types';

export const CIFAR10_SIDE = 32;
export const CIFAR10_CHANNELS = 3;
/** Pixels per plane: 32 × 32. */
const PLANE = CIFAR10_SIDE * CIFAR10_SIDE;
export const CIFAR10_IMAGE_BYTES = PLANE * CIFAR10_CHANNELS;
export const CIFAR10_RECORD_BYTES = 1 + CIFAR10_IMAGE_BYTES;
/** Records in each official batch file (five to train on, one to test). */
export const CIFAR10_RECORDS_PER_FILE = 10_000;
export const CIFAR10_CLASS_COUNT = 10;
export const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'] as const;
export const CIFAR10_TEST_FILES = ['test_batch.bin'] as const;

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * What is wrong with a batch file of `size` bytes, or null: it must be a whole number of
 * records, at least one, and exactly `records` of them when that is given (the official files
 * hold 10,000 each).
 */
export function cifar10SizeProblem(name: string, size: number, records: number | null): string | null {
  if (size % CIFAR10_RECORD_BYTES !== 0) {
    return `${name} is ${count(size)} bytes, not a whole number of ${count(CIFAR10_RECORD_BYTES)}-byte records`;
  }
  if (size === 0) return `${name} is empty; a CIFAR-10 batch file holds ${count(CIFAR10_RECORD_BYTES)}-byte records`;
  if (records !== null && size !== records * CIFAR10_RECORD_BYTES) {
    return `${name} holds ${count(size / CIFAR10_RECORD_BYTES)} records (${count(size)} bytes); a CIFAR-10 batch file holds ${count(records)} (${count(records * CIFAR10_RECORD_BYTES)} bytes)`;
  }
  return null;
}

/** A label outside 0–9 in `name`, as a message, for the record at `record`. */
export function cifar10LabelProblem(name: string, label: number, record: number): string {
  return `${name} has label ${label} in record ${count(record)}; CIFAR-10 labels are 0 to ${CIFAR10_CLASS_COUNT - 1}`;
}

/**
 * Decodes the records in `bytes` (one batch file, already size-checked) into `images` and
 * `labels` from image `at` on: labels checked, planes interleaved to HWC. One pass over the input.
 */
export function decodeCifar10Records(name: string, bytes: Uint8Array, images: Uint8Array, labels: Uint8Array, at: number): void {
  const records = bytes.length / CIFAR10_RECORD_BYTES;
  for (let r = 0; r < records; r++) {
    const from = r * CIFAR10_RECORD_BYTES;
    const label = bytes[from];
    if (label >= CIFAR10_CLASS_COUNT) throw new DatasetError(cifar10LabelProblem(name, label, r));
    labels[at + r] = label;
    const red = from + 1;
    const green = red + PLANE;
    const blue = green + PLANE;
    let out = (at + r) * CIFAR10_IMAGE_BYTES;
    for (let p = 0; p < PLANE; p++) {
      images[out++] = bytes[red + p];
      images[out++] = bytes[green + p];
      images[out++] = bytes[blue + p];
    }
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new DatasetError(`${path} is not a file`);
    return st.size;
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DatasetError(`${path} was not found`);
    throw new DatasetError(`${path} cannot be read (${code ?? String(err)})`);
  }
}

/**
 * Reads batch files into one 32×32×3 image set, in the order given. Every file's size is
 * checked before any is read; `recordsPerFile` (10,000 by default, as the official files hold;
 * null for any whole number) is enforced. Errors name the file and what is wrong.
 */
export async function readCifar10Files(paths: readonly string[], opts: { recordsPerFile?: number | null } = {}): Promise<ImageSet> {
  const expected = opts.recordsPerFile === undefined ? CIFAR10_RECORDS_PER_FILE : opts.recordsPerFile;
  const sizes = await Promise.all(paths.map(sizeOf));
  sizes.forEach((size, i) => {
    const problem = cifar10SizeProblem(paths[i], size, expected);
    if (problem !== null) throw new DatasetError(problem);
  });
  const total = sizes.reduce((sum, size) => sum + size / CIFAR10_RECORD_BYTES, 0);
  const images = new Uint8Array(total * CIFAR10_IMAGE_BYTES);
  const labels = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < paths.length; i++) {
    const bytes = await readFile(paths[i]);
    // The file may have changed between stat and read.
    const problem = cifar10SizeProblem(paths[i], bytes.length, expected);
    if (problem !== null || bytes.length !== sizes[i]) throw new DatasetError(problem ?? `${paths[i]} changed while it was being read`);
    decodeCifar10Records(paths[i], bytes, images, labels, at);
    at += bytes.length / CIFAR10_RECORD_BYTES;
  }
  return { count: total, rows: CIFAR10_SIDE, cols: CIFAR10_SIDE, channels: CIFAR10_CHANNELS, images, labels };
}
