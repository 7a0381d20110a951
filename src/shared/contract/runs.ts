import type { ModelSpec } from '../model/model-spec';
import type { DatasetId, TrainingConfig } from '../model/training-config';

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'crashed'] as const;
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
  /** Folder the IDX files were read from. */
  source: string;
  trainCount: number;
  validationCount: number;
  testCount: number;
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
  bestEpoch: number | null;
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
