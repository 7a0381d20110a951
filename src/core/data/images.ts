/**
 * A dataset's pixels as bytes, for thumbnails, the image viewer and the dataset browser.
 * Fashion-MNIST is read from the IDX files once (about 55 MB for both sets, through the
 * decoded cache the trainer uses too) and kept in the main process, so paging through images
 * never decompresses a file again; any other dataset comes from the catalog (which keeps the
 * last ones asked for). Colour images are HWC bytes, 3 a pixel.
 */
import type { DatasetOverview, ImagePixels, ImageRequest, ImageSplit, SamplePage, SampleRequest, SplitSpec } from '../../shared/contract/evaluation';
import { FASHION_MNIST_CLASSES } from '../../shared/model/training-config';
import { findFashionMnistFiles, splitTrainValidation, DatasetError, FASHION_MNIST_FILES } from './fashion-mnist';
import { readIdxCached } from './decoded-cache';
import type { LoadedDataset } from './types';

/** One IDX images file and its labels, pixels as the file has them (0–255). */
export interface RawImageSet {
  count: number;
  rows: number;
  cols: number;
  /** Bytes per pixel: 1 grayscale, 3 RGB interleaved. */
  channels: number;
  pixels: Uint8Array;
  labels: Uint8Array;
}

/** Both sets of a dataset and its class names. */
export interface RawDataset {
  train: RawImageSet;
  test: RawImageSet;
  classNames: string[];
}

/** Some consecutive images of a file: a split is a range of the training or the test file. */
export interface SplitRange {
  set: RawImageSet;
  from: number;
  count: number;
}

async function readSet(imagesPath: string, labelsPath: string): Promise<RawImageSet> {
  const [images, labels] = await Promise.all([readIdxCached(imagesPath), readIdxCached(labelsPath)]);
  if (images.dims.length !== 3 || labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new DatasetError(`${imagesPath} and ${labelsPath} do not hold one label per 2-dimensional image`);
  }
  return { count: images.dims[0], rows: images.dims[1], cols: images.dims[2], channels: 1, pixels: images.data, labels: labels.data };
}

/** The request schemas take the dataset's id (Fashion-MNIST when absent). */
type OfDataset = { datasetId?: string | null };

const isFashion = (datasetId?: string | null) => !datasetId || datasetId === 'fashion-mnist';

/** Which images of the training file a way of splitting calls 'train' and 'validation' (Keras's arithmetic, through splitTrainValidation). */
export function splitBounds(trainCount: number, labels: Uint8Array, spec: SplitSpec): { train: [number, number]; validation: [number, number] } {
  // Only the counts matter here; the labels stand in for the images.
  const set = { count: trainCount, rows: 1, cols: 1, images: new Uint8Array(0), labels };
  const parts = splitTrainValidation(set, spec);
  const at = parts.train.count;
  return { train: [0, at], validation: [at, at + parts.validation.count] };
}

export class DatasetImages {
  private loaded: { folder: string; sets: Promise<{ train: RawImageSet; test: RawImageSet }> } | null = null;

  /**
   * `folder` says where Fashion-MNIST is now (it may change while the app runs), or throws why
   * there is none; `other` loads any other dataset by id (a UserError when it is not here).
   */
  constructor(
    private readonly folder: () => string,
    private readonly other?: (datasetId: string) => Promise<LoadedDataset>,
  ) {}

  /** Fashion-MNIST's sets, read on first use and kept while the dataset stays in the same folder. */
  sets(): Promise<{ train: RawImageSet; test: RawImageSet }> {
    const folder = this.folder();
    if (this.loaded?.folder !== folder) {
      const files = findFashionMnistFiles(folder);
      const path = (key: keyof typeof FASHION_MNIST_FILES) => {
        const p = files[key];
        if (!p) throw new DatasetError(`${folder} lacks ${FASHION_MNIST_FILES[key]}`);
        return p;
      };
      const sets = Promise.all([readSet(path('trainImages'), path('trainLabels')), readSet(path('testImages'), path('testLabels'))]).then(
        ([train, test]) => ({ train, test }),
      );
      // A failed read is not kept: the next call tries again.
      sets.catch(() => {
        if (this.loaded?.sets === sets) this.loaded = null;
      });
      this.loaded = { folder, sets };
    }
    return this.loaded.sets;
  }

  /** Both sets and the class names of a dataset (Fashion-MNIST when none is named). */
  async dataset(datasetId?: string | null): Promise<RawDataset> {
    if (isFashion(datasetId)) return { ...(await this.sets()), classNames: [...FASHION_MNIST_CLASSES] };
    if (!this.other) throw new DatasetError(`Only Fashion-MNIST's images can be shown here`);
    const d = await this.other(datasetId!);
    const raw = (s: LoadedDataset['train']): RawImageSet => ({
      count: s.count,
      rows: s.rows,
      cols: s.cols,
      channels: s.channels ?? 1,
      pixels: s.images,
      labels: s.labels,
    });
    return { train: raw(d.train), test: raw(d.test), classNames: [...d.meta.classNames] };
  }

  /** The images a split names: the test file, or part of the training file by the split spec. */
  async range(split: ImageSplit, spec?: SplitSpec | null, datasetId?: string | null): Promise<SplitRange> {
    const { train, test } = await this.dataset(datasetId);
    if (split === 'test') return { set: test, from: 0, count: test.count };
    if (!spec) throw new DatasetError(`The ${split} images depend on how the training images are split: give the limit and validation split`);
    const [from, to] = splitBounds(train.count, train.labels, spec)[split];
    return { set: train, from, count: to - from };
  }

  /** The labels of a split's images, in order (a view, not a copy). */
  async labels(split: ImageSplit, spec?: SplitSpec | null, datasetId?: string | null): Promise<Uint8Array> {
    const r = await this.range(split, spec, datasetId);
    return r.set.labels.subarray(r.from, r.from + r.count);
  }

  async images(request: ImageRequest & OfDataset): Promise<ImagePixels> {
    const r = await this.range(request.split, request.splitSpec, request.datasetId);
    const size = r.set.rows * r.set.cols * r.set.channels;
    const images = request.indexes.map((index) => {
      if (!Number.isInteger(index) || index < 0 || index >= r.count) {
        throw new DatasetError(`Image ${index} is out of range: the ${request.split} images are numbered 0 to ${r.count - 1}`);
      }
      const at = r.from + index;
      const pixels = r.set.pixels.subarray(at * size, (at + 1) * size);
      return { index, label: r.set.labels[at], base64: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength).toString('base64') };
    });
    // Grayscale answers look as they always did (no channels field); colour ones say 3.
    return { split: request.split, width: r.set.cols, height: r.set.rows, ...(r.set.channels === 1 ? {} : { channels: r.set.channels }), images };
  }

  async overview(spec: SplitSpec, datasetId?: string | null): Promise<DatasetOverview> {
    const { classNames } = await this.dataset(datasetId);
    const splits: ImageSplit[] = ['train', 'validation', 'test'];
    const counted = await Promise.all(
      splits.map(async (split) => {
        const labels = await this.labels(split, spec, datasetId);
        const perClass = new Array<number>(classNames.length).fill(0);
        for (const label of labels) perClass[label]++;
        return { split, count: labels.length, perClass };
      }),
    );
    return { classNames, splits: counted };
  }

  async samples(request: SampleRequest & OfDataset): Promise<SamplePage> {
    const labels = await this.labels(request.split, request.splitSpec, request.datasetId);
    const offset = request.offset ?? 0;
    const limit = request.limit ?? 100;
    const wanted = request.classIndex ?? null;
    const indexes: number[] = [];
    let total = 0;
    for (let i = 0; i < labels.length; i++) {
      if (wanted !== null && labels[i] !== wanted) continue;
      if (total >= offset && indexes.length < limit) indexes.push(i);
      total++;
    }
    return { total, indexes, labels: indexes.map((i) => labels[i]) };
  }
}
