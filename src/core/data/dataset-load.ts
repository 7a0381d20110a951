/**
 * The trainer's way into any dataset: a DatasetRef (core/engine/protocol) or none (Fashion-MNIST
 * in the job's folder, as before datasets had names) to a LoadedDataset, the files whose
 * checksums the run's provenance records, and the run's DatasetInfo. No sharp here: the
 * trainer process reads built-in files and imported dataset.bin files only.
 */
import { join } from 'node:path';
import type { DatasetInfo } from '../../shared/contract/runs';
import { FASHION_MNIST_CLASSES } from '../../shared/model/training-config';
import type { DatasetRef } from '../engine/protocol';
import { getBuiltinDataset, loadBuiltinDataset } from './builtin-datasets';
import { DATASET_BIN, openImportedDataset } from './dataset-file';
import { datasetContentHash } from './dataset-hash';
import { DatasetError, findFashionMnistFiles, loadFashionMnist } from './fashion-mnist';
import type { DatasetMeta, LoadedDataset } from './types';

export interface DatasetLoadOptions {
  /** The decoded IDX cache (see ./decoded-cache): null reads without it; by default the user's. */
  decodedCacheDir?: string | null;
}

/** Fashion-MNIST as the trainer has always read it (through the decoded cache), whatever the folder's counts. */
async function loadFashionMnistFolder(folder: string, opts: DatasetLoadOptions): Promise<LoadedDataset> {
  const { train, test } = await loadFashionMnist(folder, opts.decodedCacheDir === undefined ? {} : { cacheDir: opts.decodedCacheDir });
  const shape: [number, number, number] = [28, 28, 1];
  const classNames = [...FASHION_MNIST_CLASSES];
  return {
    meta: {
      id: 'fashion-mnist',
      name: 'Fashion-MNIST',
      source: 'builtin',
      shape,
      classNames,
      trainCount: train.count,
      testCount: test.count,
      hash: datasetContentHash({ shape, classNames }, train, test),
    },
    train,
    test,
  };
}

/**
 * The dataset a job names: a built-in one from its folder (any number of images: the catalog
 * checks the official counts where it finds the files), an imported folder from its dataset
 * directory (dataset.bin), or with no ref Fashion-MNIST from `fashionFolder`. Fashion-MNIST,
 * with or without a ref, is read by the loader the trainer always used, so its figures and its
 * start-up stay as they were. Throws a DatasetError (or IdxError) saying what is wrong.
 */
export async function loadDatasetRef(ref: DatasetRef | null, fashionFolder: string, opts: DatasetLoadOptions = {}): Promise<LoadedDataset> {
  if (ref === null || (ref.kind === 'builtin' && ref.id === 'fashion-mnist')) return loadFashionMnistFolder(ref?.folder ?? fashionFolder, opts);
  if (ref.kind === 'builtin')
    return loadBuiltinDataset(getBuiltinDataset(ref.id), ref.folder, { decodedCacheDir: opts.decodedCacheDir, anyCount: true });
  if (ref.kind === 'folder') {
    const loaded = await openImportedDataset(ref.folder);
    if (loaded.meta.id !== ref.id) {
      throw new DatasetError(`${join(ref.folder, DATASET_BIN)} holds the dataset ${loaded.meta.id} ("${loaded.meta.name}"), not ${ref.id}`);
    }
    return loaded;
  }
  throw new DatasetError(`Unknown kind of dataset "${String((ref as { kind: unknown }).kind)}" for ${(ref as DatasetRef).id}`);
}

/**
 * The files a run on this dataset read, for its provenance (each hashed as it is on disk): the
 * four IDX files of an MNIST-style set (gzipped or not, as found), CIFAR-10's six batch files,
 * an imported dataset's dataset.bin.
 */
export function datasetFilesOf(ref: DatasetRef | null, fashionFolder: string): string[] {
  if (ref !== null && ref.kind === 'folder') return [join(ref.folder, DATASET_BIN)];
  const folder = ref?.folder ?? fashionFolder;
  const builtin = getBuiltinDataset(ref?.id ?? 'fashion-mnist');
  if (builtin.format === 'cifar-10-binary') return [...builtin.trainFiles, ...builtin.testFiles].map((name) => join(folder, name));
  return Object.values(findFashionMnistFiles(folder)).filter((f): f is string => f !== null);
}

/** The run's record of its dataset: what it is (name, content hash, image shape, class names), where it was read, and the split sizes. */
export function datasetInfoOf(meta: DatasetMeta, trainCount: number, validationCount: number, source: string): DatasetInfo {
  return {
    id: meta.id,
    source,
    trainCount,
    validationCount,
    testCount: meta.testCount,
    name: meta.name,
    hash: meta.hash,
    shape: [...meta.shape],
    classNames: [...meta.classNames],
  };
}
