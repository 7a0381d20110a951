/** Training settings of a run: everything besides the network needed to reproduce it. */

export const OPTIMIZERS = ['sgd', 'adam', 'rmsprop', 'adagrad'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface TrainingConfig {
  optimizer: OptimizerName;
  learningRate: number;
  /** Used by sgd only (0 = plain SGD, as in the seed experiment). */
  momentum: number;
  epochs: number;
  batchSize: number;
  /** Fraction at the end of the training images held out for validation, as Keras's validation_split. */
  validationSplit: number;
  /** Use only the first N training images (null = all 60,000). */
  limit: number | null;
  /** Seeds weight initialisation and shuffling. */
  seed: number;
  /** Stop when the monitored figure stops improving (Keras's EarlyStopping); absent or null = train every epoch. */
  earlyStopping?: EarlyStopping | null;
  /**
   * Also record the layer signals every this many batches (fine curves of the first
   * epochs); absent or null = once before training and after every epoch only.
   */
  probeEveryBatches?: number | null;
}

/** What early stopping watches, in Keras's names. */
export const MONITORS = ['val_loss', 'val_accuracy'] as const;
export type Monitor = (typeof MONITORS)[number];

/** Keras's EarlyStopping: stop after `patience` epochs without an improvement of more than `minDelta`. */
export interface EarlyStopping {
  monitor: Monitor;
  patience: number;
  minDelta: number;
  /** Keep the best epoch's weights (the saved model and the test figures are then the best epoch's). */
  restoreBest: boolean;
}

export const DEFAULT_EARLY_STOPPING: EarlyStopping = { monitor: 'val_loss', patience: 3, minDelta: 0, restoreBest: true };

export const DEFAULT_CONFIG: TrainingConfig = {
  optimizer: 'adam',
  learningRate: 0.001,
  momentum: 0,
  epochs: 20,
  batchSize: 64,
  validationSplit: 0.2,
  limit: null,
  seed: 42,
};

/** The datasets Layerlab knows (downloaded on request, or found on disk). */
export const BUILTIN_DATASET_IDS = ['fashion-mnist', 'mnist', 'kmnist', 'cifar-10'] as const;
export type BuiltinDatasetId = (typeof BUILTIN_DATASET_IDS)[number];
/** A dataset the app can train on: a built-in one's id, or 'folder-' and 12 hex digits for an imported folder of images. */
export type DatasetId = string;
export const DATASET_ID_PATTERN = /^(fashion-mnist|mnist|kmnist|cifar-10|folder-[0-9a-f]{12})$/;
export const DEFAULT_DATASET_ID = 'fashion-mnist';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;
