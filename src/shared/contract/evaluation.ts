/**
 * Looking inside a completed run's predictions: the evaluation of its saved model on
 * the test set (or its validation split), the images it gets wrong, two runs side by
 * side, and the dataset itself. Every image is named by its split and its index there.
 */

/** Which images: the 10,000 test images, or the run's own validation split (the last fraction of its training images). */
export type EvalSplit = 'test' | 'validation';
/** Where an image comes from, for the dataset browser: the run's training split too. */
export type ImageSplit = EvalSplit | 'train';

export interface ClassFigures {
  /** 0–9, and its name ("Shirt"). */
  class: number;
  name: string;
  precision: number;
  recall: number;
  f1: number;
  /** Images of this class in the split. */
  support: number;
}

export interface ConfusedPair {
  true: number;
  predicted: number;
  count: number;
}

/** A completed run's model on one split: figures derived from its predictions, cached with them. */
export interface RunEvaluation {
  runId: number;
  split: EvalSplit;
  /** Images evaluated. */
  count: number;
  /** Equal to the recorded test accuracy on the test split. */
  accuracy: number;
  /** The true class among the two most probable. */
  top2Accuracy: number;
  /** confusion[true][predicted] = images; rows sum to each class's support. */
  confusion: number[][];
  perClass: ClassFigures[];
  /** Off-diagonal cells, most images first (the ten largest). */
  confusedPairs: ConfusedPair[];
  classNames: string[];
  /** When it was computed, and how long that took (seconds). */
  evaluatedAt: string;
  seconds: number;
}

/** One image as a run saw it. */
export interface PredictedImage {
  /** Index in the split. */
  index: number;
  label: number;
  predicted: number;
  /** The predicted class's probability. */
  confidence: number;
}

export interface PredictionFilter {
  split: EvalSplit;
  /** Only images of this true class / predicted as this class. */
  trueClass?: number | null;
  predictedClass?: number | null;
  /** 'wrong' (the default) or every image. */
  which?: 'wrong' | 'all';
  /** Most confident mistakes first (the default), or least, or by index. */
  sort?: 'confidence-desc' | 'confidence-asc' | 'index';
  offset?: number;
  /** At most 500 a page. */
  limit?: number;
}

export interface PredictionPage {
  /** Images matching the filter in all; `images` is one page of them. */
  total: number;
  images: PredictedImage[];
}

/** Where two runs' predictions agree and differ on one split. */
export type DiffGroup = 'both_right' | 'only_a' | 'only_b' | 'neither';

export interface RunDiff {
  runA: number;
  runB: number;
  split: EvalSplit;
  bothRight: number;
  onlyA: number;
  onlyB: number;
  neither: number;
  /** recall(B) − recall(A) per class, 0–9. */
  perClassRecallDelta: number[];
}

export interface DiffPageRequest {
  runA: number;
  runB: number;
  split: EvalSplit;
  group: DiffGroup;
  offset?: number;
  limit?: number;
}

/** Images of one group: for each, how each run saw it. */
export interface DiffPage {
  total: number;
  images: { index: number; label: number; a: PredictedImage; b: PredictedImage }[];
}

/** Raw pixels of some images of a split, 28×28 grayscale 0–255, row by row, base64 (784 bytes an image). */
export interface ImagePixels {
  split: ImageSplit;
  width: number;
  height: number;
  /** Bytes per pixel in each image's base64 (1 grayscale, 3 RGB interleaved); 1 when absent. */
  channels?: number;
  images: { index: number; label: number; base64: string }[];
}

/** How the training images are split (a run's or the Train view's settings): which images 'train' and 'validation' mean. */
export interface SplitSpec {
  limit: number | null;
  validationSplit: number;
}

export interface ImageRequest {
  split: ImageSplit;
  /** At most 500 at once. */
  indexes: number[];
  /** Needed for 'train' and 'validation'. */
  splitSpec?: SplitSpec;
  /** The dataset the images are from (Fashion-MNIST when absent). */
  datasetId?: string;
}

/** Class balance of each split. */
export interface DatasetOverview {
  classNames: string[];
  splits: { split: ImageSplit; count: number; perClass: number[] }[];
}

export interface SampleRequest {
  split: ImageSplit;
  /** One class's images, or every class. */
  classIndex?: number | null;
  offset?: number;
  /** At most 500 a page. */
  limit?: number;
  splitSpec?: SplitSpec;
  /** The dataset the images are from (Fashion-MNIST when absent). */
  datasetId?: string;
}

/** Indexes of a split's images (of one class) in order, with their labels and the total. */
export interface SamplePage {
  total: number;
  indexes: number[];
  labels: number[];
}
