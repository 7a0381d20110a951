/** Messages between the main side and the trainer process. */
import type { ModelSpec } from '../../shared/model/model-spec';
import type { TrainingConfig } from '../../shared/model/training-config';
import type { CheckpointPosition, DatasetInfo, Environment, EpochMetrics, LayerStat, RunProvenance } from '../../shared/contract/runs';
import type { EvalSplit } from '../../shared/contract/evaluation';

export interface TrainJob {
  runId: number;
  model: ModelSpec;
  config: TrainingConfig;
  /** Folder holding the four Fashion-MNIST IDX files (the dataset when `dataset` is absent). */
  datasetFolder: string;
  /** The dataset to train on, where it is not Fashion-MNIST in datasetFolder. */
  dataset?: DatasetRef;
  /** Where to save the trained model (model.json + weights.bin) when the run completes; none when absent. */
  modelDir?: string;
  /**
   * The run's checkpoint file. The trainer writes it atomically (temporary file, fsync,
   * rename) at every epoch's end and when paused; none written when absent.
   */
  checkpointPath?: string;
  /** Continue from the checkpoint at checkpointPath instead of starting afresh (no baseline is measured again). */
  resume?: boolean;
  /** Layerlab's version and git commit, for the run's provenance. */
  app?: { version: string; gitCommit: string | null };
}

/** Predicting one split with a completed run's saved model. */
export interface EvaluateJob {
  runId: number;
  /** Folder holding the run's model.json and weights.bin. */
  modelDir: string;
  datasetFolder: string;
  dataset?: DatasetRef;
  split: EvalSplit;
  /** How the run split its training images (which images 'validation' means). */
  limit: number | null;
  validationSplit: number;
}

/**
 * Where a dataset's files are, for the trainer to read them itself: a built-in one's folder
 * (IDX files, or CIFAR-10's binary batches), or an imported folder's dataset directory
 * (dataset.bin; core/data/dataset-file.ts).
 */
export interface DatasetRef {
  id: string;
  kind: 'builtin' | 'folder';
  folder: string;
}

export type ToTrainer =
  | { type: 'start'; job: TrainJob }
  /** Instead of 'start': evaluate a saved model, send 'evaluated' (or 'failed'), wait for 'ack', exit. */
  | { type: 'evaluate'; job: EvaluateJob }
  | { type: 'cancel' }
  /** Stop at the end of the current batch, write a checkpoint, answer 'finished' with status 'paused'. */
  | { type: 'pause' }
  /**
   * The main side has recorded the trainer's last message ('finished' or 'failed').
   * The trainer waits for it before exiting: leaving earlier could lose that message in transit.
   */
  | { type: 'ack' };

export type FromTrainer =
  /** Data loaded and model built; training is about to begin. */
  | { type: 'started'; environment: Environment; dataset: DatasetInfo; batchesPerEpoch: number; provenance?: RunProvenance }
  /**
   * A resumed run read its checkpoint and continues from `position` (sent right after 'started'):
   * whatever was recorded past that point is dropped by the main side, as it will be trained again.
   */
  | { type: 'resuming'; position: CheckpointPosition }
  /** A checkpoint was written (atomically) at `path`: at an epoch's end, or on pause (then before 'finished'). */
  | { type: 'checkpoint'; position: CheckpointPosition; path: string }
  /**
   * Sent for a sample of batches (about 50 an epoch, always the last): progress,
   * that batch's own loss, and the epoch's running mean so far (what Keras prints).
   */
  | { type: 'batch'; epoch: number; batch: number; batches: number; loss: number; meanLoss: number }
  /** Evaluated before the first step: epoch 0 (probe-batch loss and accuracy, validation loss and accuracy). */
  | { type: 'baseline'; metrics: EpochMetrics }
  /** An epoch ended (training and validation). */
  | { type: 'epoch'; metrics: EpochMetrics }
  /** The layer signals of one probe: every layer with weights or an output worth watching, one row each. */
  | { type: 'layer-stats'; stats: LayerStat[] }
  /** The test set was evaluated after training, with the weights the saved model has. */
  | { type: 'test'; loss: number; accuracy: number; weights: 'final' | 'best' }
  /** The completed run's model was saved in TensorFlow.js layers format (before 'finished'). */
  | { type: 'model-saved'; path: string; weights: 'final' | 'best' }
  /**
   * Training ended on its own or because it was asked to stop. The last message; answered with 'ack'.
   * `stopReason` says why a completed run trained fewer epochs than planned (early stopping).
   */
  | { type: 'finished'; status: 'completed' | 'cancelled' | 'paused'; stopReason?: string | null; peakRssBytes?: number }
  /**
   * An evaluate job's answer: the split's labels (one byte each) and the model's class
   * probabilities per image (Float32, n × classes row-major: ten for Fashion-MNIST, one per
   * output unit of the model; the length over `count` says how many), both base64 so any IPC carries them.
   * The last message; answered with 'ack'.
   */
  | { type: 'evaluated'; count: number; backend: string; labelsBase64: string; probabilitiesBase64: string; seconds: number }
  /** Training could not go on; the message is for the user (e.g. "Training diverged at epoch 2: ..."). The last message; answered with 'ack'. */
  | { type: 'failed'; message: string };
