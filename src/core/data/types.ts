/** Images ready for training: pixels scaled to [0, 1], one row of rows*cols floats per image. */
export interface ImageSet {
  count: number;
  rows: number;
  cols: number;
  /** count * rows * cols floats, row-major, image after image. */
  images: Float32Array;
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
