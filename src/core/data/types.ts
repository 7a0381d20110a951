/**
 * Images as the IDX files hold them: one byte (0–255) per pixel, one row of rows*cols bytes
 * per image. They become floats in [0, 1] only where they become tensors (see ./pixels), a
 * batch or a chunk at a time: a quarter of the memory of keeping the whole set as floats.
 */
export interface ImageSet {
  count: number;
  rows: number;
  cols: number;
  /** Channels per pixel: 1 (grayscale) when absent, 3 for RGB. */
  channels?: number;
  /** count * rows * cols * channels bytes (0–255), row-major, channels interleaved (HWC), image after image. */
  images: Uint8Array;
  /** count class indices (0..9 for Fashion-MNIST). */
  labels: Uint8Array;
}

export interface FashionMnist {
  /** The 60,000 training images (before any limit or validation split). */
  train: ImageSet;
  /** The 10,000 t10k test images. */
  test: ImageSet;
}

/** The training images after `limit` and Keras-style `validation_split`. */
export interface TrainValidationSplit {
  train: ImageSet;
  validation: ImageSet;
}

/** Where a dataset comes from: one Layerlab knows (downloaded or found on disk), or a folder of the user's images. */
export type DatasetSource = 'builtin' | 'folder';

/** What a dataset is, without its images. */
export interface DatasetMeta {
  /** Stable id: 'fashion-mnist', 'mnist', 'kmnist', 'cifar-10', or 'folder-<12 hex>' for an imported folder. */
  id: string;
  name: string;
  source: DatasetSource;
  /** One image's shape: [height, width, channels]. */
  shape: [number, number, number];
  /** One name per class, in label order. */
  classNames: string[];
  trainCount: number;
  testCount: number;
  /** SHA-256 (hex) of the decoded content: shape, class names, every image and label, train then test. */
  hash: string;
}

/** A dataset with its images, as the trainer and the evaluation read it. */
export interface LoadedDataset {
  meta: DatasetMeta;
  train: ImageSet;
  test: ImageSet;
}
