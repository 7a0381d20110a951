import type { ModelSpec } from '../model/model-spec';
import type { DatasetId, TrainingConfig } from '../model/training-config';

/**
 * `paused`: stopped at the end of a batch with a checkpoint; it resumes exactly where it
 * stopped. Not terminal (it is cancelled, not deleted, to be given up). A `crashed` run
 * with a checkpoint (one is written at every epoch's end) can be resumed as well.
 */
export const RUN_STATUSES = ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'crashed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled', 'crashed'];
export const isTerminal = (s: RunStatus) => TERMINAL_STATUSES.includes(s);

export interface EpochMetrics {
  /** 1-based, as Keras prints it. */
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  /** Wall-clock seconds the epoch took (training and validation). */
  seconds: number;
  /** CPU seconds the trainer process used in the epoch (all its threads); absent or null for runs recorded before it was measured. */
  cpuSeconds?: number | null;
}

/**
 * Training signals of one layer with weights (or its output), measured on the run's
 * fixed probe batch (256 training images chosen by the seed): before the first step
 * (epoch 0), after every epoch, and optionally every N batches. Null where a figure
 * does not apply (a Dropout layer has no weights; only ReLU units can be dead).
 */
export interface LayerStat {
  /** 0 = before the first step. */
  epoch: number;
  /** Null for the end of an epoch (and epoch 0); the batch number for the optional finer probes. */
  batch: number | null;
  /** Index of the layer in the model spec (0-based). */
  layer: number;
  /** "Dense 3 (sigmoid)": the layer as the user sees it, numbered from 1. */
  name: string;
  /** L2 norm of the loss gradient of the kernel (BatchNormalization: gamma). */
  gradNorm: number | null;
  /** L2 norm of the loss gradient of the bias (BatchNormalization: beta). */
  biasGradNorm: number | null;
  /** L2 norm of the kernel. */
  weightNorm: number | null;
  /** ‖Δw‖/‖w‖ of the kernel over the last optimizer step; null at epoch 0. */
  updateRatio: number | null;
  /** Mean and standard deviation of the layer's output over the probe batch. */
  actMean: number | null;
  actStd: number | null;
  /** ReLU layers: the fraction of units whose output is 0 for every probe image. */
  deadFraction: number | null;
  /** sigmoid/tanh/softmax layers: the fraction of outputs within 0.01 of the activation's bounds. */
  saturatedFraction: number | null;
  /** NaN or Infinity values among the layer's gradients, weights and outputs. */
  nonfinite: number;
}

export interface BatchLoss {
  epoch: number;
  /** 1-based batch within the epoch. */
  batch: number;
  loss: number;
}

/** What was trained on: enough to rebuild the exact split. */
export interface DatasetInfo {
  id: DatasetId;
  /** Folder the files were read from. */
  source: string;
  trainCount: number;
  validationCount: number;
  testCount: number;
  /** The dataset's name ("Fashion-MNIST", an imported folder's name); absent in runs recorded before datasets had names. */
  name?: string;
  /** SHA-256 of the dataset's content (DatasetMeta.hash). */
  hash?: string;
  /** One image: [height, width, channels]. */
  shape?: [number, number, number];
  classNames?: string[];
}

/** Where training ran: backend and library versions, machine. */
export interface Environment {
  backend: string;
  versions: Record<string, string>;
  host: string;
  platform: string;
  cpus: string;
}

/** One row of the runs list. */
export interface RunSummary {
  id: number;
  name: string;
  status: RunStatus;
  presetId: string | null;
  optimizer: string;
  learningRate: number;
  batchSize: number;
  /** The network in a few words: "Dense 64-128-256-128-64 relu". */
  architecture: string;
  epochsDone: number;
  epochsPlanned: number;
  bestValAccuracy: number | null;
  /** The best epoch as Keras's EarlyStopping picks it by default: lowest validation loss. */
  bestEpoch: number | null;
  bestValLoss: number | null;
  /** The epoch of the highest validation accuracy (shown beside bestEpoch where they differ). */
  bestAccuracyEpoch: number | null;
  /** Validation accuracy and loss of the last finished epoch. */
  finalValAccuracy: number | null;
  finalValLoss: number | null;
  testAccuracy: number | null;
  testLoss: number | null;
  backend: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Seconds from start to finish (or to now while running). */
  durationSeconds: number | null;
  error: string | null;
  notes: string;
  tags: string[];
  starred: boolean;
  /** A completed run keeps its trained weights; they can be exported. */
  hasModel: boolean;
  /** Which weights the saved model and the test figures are: the last epoch's, or the best epoch's (early stopping with restore). */
  savedWeights: 'final' | 'best' | null;
  /** Why training ended before its planned epochs ("stopped early at epoch 9 (best 6)"), when it did. */
  stopReason: string | null;
  /** The run this one was trained from with a fix, and the finding it addresses. */
  parentRunId: number | null;
  fixFor: FixReference | null;
  /** 1-based place in the queue while `queued` (1 = trains next); null otherwise. */
  queuePosition: number | null;
  /** Where a resume would continue (epoch and batches of it already done), for a paused run or a crashed one with a checkpoint; null otherwise. */
  checkpoint: CheckpointPosition | null;
  /** The repeat or sweep this run belongs to. */
  groupId: number | null;
  /** In a sweep: this run's values of the swept settings, by sweep key ("learningRate", "layer3.units"). */
  sweepValues: Record<string, string | number> | null;
  /** In a repeat (or a sweep with repeats): 0 for the first seed, 1 for seed+1, … */
  repeatIndex: number | null;
  /** The user gave this run its name (false for names Layerlab made up): a named run is called by its name wherever runs are labelled. */
  named: boolean;
  /** The dataset the run trains on ('fashion-mnist' for runs recorded before there were others). */
  datasetId: string;
  /** Its name as the run recorded it once training started; null before that and for runs recorded before datasets had names. */
  datasetName: string | null;
}

/** A checkpoint's place in training: `epoch` is the epoch it continues (1-based), `batch` how many of its batches are done (0 at an epoch's start). */
export interface CheckpointPosition {
  epoch: number;
  batch: number;
}

/** What a "Train again with this fix" run addresses in its parent run. */
export interface FixReference {
  kind: string;
  /** The fix in words, as suggested: "use relu in layers 2–5". */
  summary: string;
}

/** What a user can change about a recorded run. */
export interface RunPatch {
  name?: string;
  notes?: string;
  tags?: string[];
  starred?: boolean;
}

/** Everything recorded about a run. */
export interface RunDetail extends RunSummary {
  model: ModelSpec;
  config: TrainingConfig;
  dataset: DatasetInfo | null;
  environment: Environment | null;
  epochs: EpochMetrics[];
  batchLosses: BatchLoss[];
  /**
   * Before the first step (epoch 0): loss and accuracy on the probe batch (as `loss`,
   * `accuracy`) and on the validation split; null for runs recorded before it existed.
   */
  baseline: EpochMetrics | null;
  layerStats: LayerStat[];
  /** Everything the run's outcome depended on besides its network and settings; null for runs recorded before it was kept. */
  provenance: RunProvenance | null;
  /** Folder of the saved model (model.json, weights.bin), when one was kept. */
  modelPath: string | null;
}

/**
 * A run's complete record: what else its numbers depended on. Written by the trainer
 * when training starts (peak memory at the end), carried by bundles.
 */
export interface RunProvenance {
  /** Layerlab's version, and the git commit when it ran from a checkout (null otherwise). */
  appVersion: string;
  gitCommit: string | null;
  /** SHA-256 of every dataset file read (IDX gzip files as they are on disk). */
  datasetFiles: { file: string; sha256: string }[];
  /** Every hyperparameter of the optimizer as it was built: name, learning rate, β1, β2, ε, momentum, ρ, … */
  optimizer: Record<string, string | number | boolean>;
  /** The loss minimised, in Keras's name ("categorical_crossentropy"). */
  loss: string;
  /** Each layer's initializers and regularizers as built (defaults written out). */
  layers: { index: number; name: string; kernelInitializer: string | null; biasInitializer: string | null; extra?: Record<string, unknown> }[];
  machine: {
    os: string;
    /** Total RAM in bytes. */
    ramBytes: number;
    cpus: string;
    /** Threads the engine trained with, and whether wasm SIMD was on (null on other backends). */
    threads: number | null;
    simd: boolean | null;
  };
  /** The trainer process's peak resident memory in bytes (over the whole run; null until it has ended). */
  peakRssBytes: number | null;
}

/** A set of runs started together: the same settings over N seeds (`repeat`), or a grid of settings (`sweep`, each point N times). */
export interface RunGroup {
  id: number;
  kind: 'repeat' | 'sweep';
  name: string;
  createdAt: string;
  /** Seeds per setting (1 = each setting once). */
  repeat: number;
  /** The first run's seed; repeat i trains with seed + i. */
  seed: number;
  /** The swept settings and their values, in order (empty for a plain repeat). */
  axes: SweepAxis[];
  /** The group's runs in the order they were created (deleted runs leave it). */
  runIds: number[];
}

/**
 * One swept setting. Keys: "learningRate", "optimizer", "batchSize", "epochs", "momentum",
 * or "layer<N>.<field>" for a field of the N-th layer (1-based, as the editor numbers them),
 * e.g. "layer3.units", "layer2.activation".
 */
export interface SweepAxis {
  key: string;
  values: (string | number)[];
}

/** Live progress of a running run, pushed to every window. */
export interface RunProgress {
  runId: number;
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** The epoch's running mean training loss so far, as Keras's progress bar shows it. */
  loss: number;
  /** This batch's own training loss (the sampled point on the loss chart). */
  batchLoss: number;
  elapsedSeconds: number;
  /** Estimated seconds left, null until the first batches have been timed. */
  etaSeconds: number | null;
}
