/**
 * Images as the IDX files hold them: one byte (0–255) per pixel, one row of rows*cols bytes
 * per image. They become floats in [0, 1] only where they become tensors (see ./pixels), a
 * batch or a chunk at a time: a quarter of the memory of keeping the whole set as floats.
 */
export interface ImageSet {
  count: number;
  rows: number;
  cols: number;
  /** count * rows * cols pixels (0–255), row-major, image after image. */
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
