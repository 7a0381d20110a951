/**
 * The contract: every operation the UI can ask of the core, one line of doc each.
 * Both transports (Electron IPC, browser-mode WebSocket) are generic over it;
 * adding an operation means touching this file, its schema below and the service.
 */
import type { DatasetStatus, DatasetSummary, DownloadProgress, ImportDatasetRequest, ImportProgress, ImportResult } from './dataset';
import type { Design, DesignSummary } from './designs';
import type { RunBundle } from '../reports/bundle';
import type { SavedComparison } from './comparisons';
import type { Preset } from '../model/presets';
import type { EpochMetrics, LayerStat, RunDetail, RunGroup, RunPatch, RunProgress, RunSummary } from './runs';
import type { SaveComparisonRequest, SaveDesignRequest, SaveFileRequest, SavePdfRequest, StartGroupRequest, StartRunRequest } from './requests';
import type {
  DatasetOverview,
  DiffPage,
  DiffPageRequest,
  EvalSplit,
  ImagePixels,
  ImageRequest,
  PredictionFilter,
  PredictionPage,
  RunDiff,
  RunEvaluation,
  SamplePage,
  SampleRequest,
  SplitSpec,
} from './evaluation';

export interface AppInfo {
  version: string;
  /** 'electron' for the desktop app, 'browser' for browser mode. */
  shell: 'electron' | 'browser';
  databasePath: string;
}

export interface LayerlabApi {
  /** Version, shell and database path, for the about box and the status bar. */
  appInfo(): AppInfo;
  /** The bundled presets (the three seed models). */
  listPresets(): Preset[];
  /** Where Fashion-MNIST was found, or which folders were searched and why it is missing. */
  datasetStatus(): DatasetStatus;
  /** Every dataset: the built-in ones (found or downloadable) and the imported folders, with shape, classes and counts. */
  listDatasets(): DatasetSummary[];
  /** Import a folder of images (one subfolder per class) as a dataset, resized to one size; progress is pushed, what was skipped is answered. */
  importDataset(request: ImportDatasetRequest): ImportResult;
  /** Import an imported dataset's folder again with the same settings (after its files changed). */
  reimportDataset(id: string): ImportResult;
  /** Stop the import under way; nothing of it is kept. Answers whether one was running. */
  cancelImport(): boolean;
  /** Remove an imported dataset (its cached images; the source folder is not touched). Runs trained on it keep their records. */
  deleteDataset(id: string): DatasetSummary[];
  /** Use the IDX files in a folder the user picked; the answer says whether they were found. */
  useDatasetFolder(folder: string): DatasetStatus;
  /** Download a built-in dataset (Fashion-MNIST when none is named) into the app's cache, checking every file (progress is pushed). */
  downloadDataset(id?: string): DatasetStatus;
  /** Stop the download under way, removing its partial files; answers once it has stopped, with what is now available. */
  cancelDownload(): DatasetStatus;
  /** Queue a training run; it starts as soon as no other run is training. */
  startRun(request: StartRunRequest): RunSummary;
  /** Stop a queued, running or paused run; finished epochs are kept and the run ends `cancelled`. */
  cancelRun(id: number): RunSummary;
  /** Pause a running run at the end of its current batch (it writes a checkpoint and becomes `paused`); a queued run waits as `paused` too. */
  pauseRun(id: number): RunSummary;
  /** Queue a paused run (or a crashed one with a checkpoint) to continue exactly where it stopped; the epochs recorded stay. */
  resumeRun(id: number): RunSummary;
  /** Move a queued run to a place in the queue (1 = trains next); answers with the queued runs in their new order. */
  moveQueuedRun(id: number, position: number): RunSummary[];
  /** Queue a repeat (the same settings over N seeds) or a sweep (a grid of settings, each N times) as one group of runs. */
  startGroup(request: StartGroupRequest): { group: RunGroup; runs: RunSummary[] };
  /** Every repeat and sweep, newest first. */
  listGroups(): RunGroup[];
  /** Every run, newest first. */
  listRuns(): RunSummary[];
  /** One run with everything recorded about it: spec, config, epochs, batch losses, environment. */
  getRun(id: number): RunDetail;
  /** Saved designs, most recently changed first. */
  listDesigns(): DesignSummary[];
  /** One saved design with its network and settings. */
  getDesign(id: number): Design;
  /** Save a new design (no id) or overwrite one (with id); names are unique. */
  saveDesign(request: SaveDesignRequest): Design;
  /** Give a saved design another (unique) name. */
  renameDesign(id: number, name: string): Design;
  /** Delete a saved design; runs trained from it keep their own copy of the network. */
  deleteDesign(id: number): { deleted: number };
  /** Rename, annotate, tag or star a run. */
  updateRun(id: number, patch: RunPatch): RunSummary;
  /** Delete a finished run with all its metrics (a queued or training run is refused). */
  deleteRun(id: number): { deleted: number };
  /** Several runs with everything recorded, in the order asked (for a comparison). */
  getRuns(ids: number[]): RunDetail[];
  /** Saved comparisons, most recently changed first. */
  listComparisons(): SavedComparison[];
  /** Save a comparison (no id) or overwrite one (with id) under a unique name. */
  saveComparison(request: SaveComparisonRequest): SavedComparison;
  /** Delete a saved comparison (the runs stay). */
  deleteComparison(id: number): { deleted: number };
  /** Finished runs as a portable bundle (network, settings, metrics). */
  exportRuns(ids: number[]): RunBundle;
  /** Add the runs of a bundle to this database as new runs; nothing existing is changed. */
  importRuns(bundle: unknown): { imported: RunSummary[] };
  /** A completed run's trained model in TensorFlow.js layers format (model.json and its weights). */
  exportModel(id: number): ModelArtifacts;
  /** Desktop app only: save a file through the native dialog; null when the user cancelled. */
  saveFile(request: SaveFileRequest): { saved: string | null };
  /** Desktop app only: print a comparison report to PDF through the native save dialog; null when cancelled. */
  saveReportPdf(request: SavePdfRequest): { saved: string | null };
  /** A completed run's saved model on a split: confusion matrix, per-class figures (computed once by the trainer process, then cached). */
  evaluateRun(id: number, split: EvalSplit): RunEvaluation;
  /** One page of a run's predictions on a split: its mistakes by default, most confident first; filter by true and predicted class. */
  listPredictions(id: number, filter: PredictionFilter): PredictionPage;
  /** The ten class probabilities a run gave one image. */
  getProbabilities(id: number, split: EvalSplit, index: number): { index: number; label: number; probabilities: number[] };
  /** Where two completed runs' predictions agree and differ on a split (both are evaluated if they were not). */
  diffRuns(runA: number, runB: number, split: EvalSplit): RunDiff;
  /** One page of the images in one group of a diff. */
  listDiffImages(request: DiffPageRequest): DiffPage;
  /** Pixels of some images, for thumbnails and the image viewer. */
  getImages(request: ImageRequest): ImagePixels;
  /** Class balance of the training, validation and test images for a way of splitting the training images (of Fashion-MNIST, or the dataset named). */
  datasetOverview(splitSpec: SplitSpec, datasetId?: string): DatasetOverview;
  /** One page of a split's images (of one class), for the dataset browser. */
  listSamples(request: SampleRequest): SamplePage;
}

/** A trained model as `tf.loadLayersModel` reads it: model.json naming one weights file. */
export interface ModelArtifacts {
  /** The model.json document. */
  modelJson: unknown;
  /** The file name model.json refers to ("weights.bin"). */
  weightsFileName: string;
  weightsBase64: string;
}

export type ApiMethod = keyof LayerlabApi;

/** Every method of the contract, for the transports to generate one function each. */
export const API_METHODS = [
  'appInfo',
  'listPresets',
  'datasetStatus',
  'listDatasets',
  'importDataset',
  'reimportDataset',
  'cancelImport',
  'deleteDataset',
  'useDatasetFolder',
  'downloadDataset',
  'cancelDownload',
  'startRun',
  'cancelRun',
  'pauseRun',
  'resumeRun',
  'moveQueuedRun',
  'startGroup',
  'listGroups',
  'listRuns',
  'getRun',
  'listDesigns',
  'getDesign',
  'saveDesign',
  'renameDesign',
  'deleteDesign',
  'updateRun',
  'deleteRun',
  'getRuns',
  'listComparisons',
  'saveComparison',
  'deleteComparison',
  'exportRuns',
  'importRuns',
  'exportModel',
  'saveFile',
  'saveReportPdf',
  'evaluateRun',
  'listPredictions',
  'getProbabilities',
  'diffRuns',
  'listDiffImages',
  'getImages',
  'datasetOverview',
  'listSamples',
] as const satisfies readonly ApiMethod[];

// Fails to compile when a contract method is missing from API_METHODS.
type Missing = Exclude<ApiMethod, (typeof API_METHODS)[number]>;
const everyMethodListed: Missing extends never ? true : Missing = true;
void everyMethodListed;

/** What the renderer holds: every method asynchronous, whatever the transport. */
export type LayerlabClient = {
  [K in ApiMethod]: (...args: Parameters<LayerlabApi[K]>) => Promise<Awaited<ReturnType<LayerlabApi[K]>>>;
};

/** How a transport carries one call: the method and its arguments out, the result back (or an Error thrown). */
export type SendCall = (method: ApiMethod, args: unknown[]) => Promise<unknown>;

/**
 * The client both transports hand the renderer: one function per method in
 * API_METHODS, each sending its own method's arguments. The cast is where the
 * wire is trusted to bring back what the service returned for that method;
 * a method missing from API_METHODS already fails to compile above.
 */
export function clientOver(send: SendCall): LayerlabClient {
  return Object.fromEntries(API_METHODS.map((method) => [method, (...args: unknown[]) => send(method, args)])) as LayerlabClient;
}

/** Events pushed from the core to every window. */
export type LayerlabEvent =
  | { type: 'run-updated'; run: RunSummary }
  | { type: 'run-deleted'; runId: number }
  /** A repeat or sweep was created, or its runs changed (one was deleted). */
  | { type: 'group-updated'; group: RunGroup }
  | { type: 'run-epoch'; runId: number; epoch: EpochMetrics }
  /** Epoch 0, evaluated before the first step. */
  | { type: 'run-baseline'; runId: number; baseline: EpochMetrics }
  /** The layer signals of one probe (epoch 0, an epoch's end, or every N batches). */
  | { type: 'run-layer-stats'; runId: number; stats: LayerStat[] }
  | { type: 'run-progress'; progress: RunProgress }
  | { type: 'dataset-progress'; progress: DownloadProgress }
  | { type: 'dataset-status'; status: DatasetStatus }
  /** An image folder being imported. */
  | { type: 'dataset-import-progress'; progress: ImportProgress }
  /** The list of datasets changed (an import, a download, a removal). */
  | { type: 'datasets-changed'; datasets: DatasetSummary[] };

/** An error a service raises on purpose: its message is for the user. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** What the desktop preload exposes as `window.layerlab`, and the browser-mode client mirrors. */
export type LayerlabBridge = LayerlabClient & {
  /** Subscribe to pushed events; returns the unsubscribe function. */
  onEvent(listener: (event: LayerlabEvent) => void): () => void;
};
