import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, type ApiMethod, type AppInfo, type LayerlabApi, type ModelArtifacts } from '../shared/contract/api';
import type { SaveFileRequest, SavePdfRequest } from '../shared/contract/requests';
import type { DatasetStatus, DownloadProgress, ImportProgress, ImportResult } from '../shared/contract/dataset';
import { DEFAULT_DATASET_ID } from '../shared/model/training-config';
import type { DatasetCatalog } from './data/catalog';
import { getBuiltinDataset, isBuiltinDatasetId } from './data/builtin-datasets';
import { PRESETS } from '../shared/model/presets';
import { DownloadError, downloadFashionMnist } from './data/download';
import { locateFashionMnist, validateFashionMnistFolder } from './data/fashion-mnist';
import type { DatasetImages } from './data/images';
import type { EvaluationService } from './evaluation/evaluation-service';
import type { EventHub } from './events';
import type { RunService } from './runs/run-service';
import type { ComparisonStore } from './store/comparison-store';
import type { DesignStore } from './store/design-store';
import type { RunStore } from './store/run-store';

/** A service method may finish later (downloads); the transports await either way. */
export type LayerlabService = {
  [K in ApiMethod]: (...args: Parameters<LayerlabApi[K]>) => ReturnType<LayerlabApi[K]> | Promise<ReturnType<LayerlabApi[K]>>;
};

export interface ServiceOptions {
  shell: AppInfo['shell'];
  databasePath: string;
  cacheDir: string;
  /** Where Fashion-MNIST is downloaded from; the official source when absent. */
  datasetBaseUrl?: string;
  store: RunStore;
  designs: DesignStore;
  comparisons: ComparisonStore;
  runs: RunService;
  events: EventHub;
  evaluation: EvaluationService;
  /** The built-in and imported datasets. */
  datasets: DatasetCatalog;
  /** Datasets' pixels, read once and kept. */
  images: DatasetImages;
  /** The desktop shell's native save dialog; absent in browser mode, where the page downloads instead. */
  saveFile?: (request: SaveFileRequest) => Promise<string | null>;
  /** The desktop shell's PDF printing of a report; absent in browser mode (the browser prints the HTML report). */
  saveReportPdf?: (request: SavePdfRequest) => Promise<string | null>;
}

const DATASET_FOLDER_SETTING = 'dataset.fashion-mnist.folder';
const CANCELLED = 'The download was cancelled; no partial file was kept.';
/** Import progress is pushed at most this often (and once at the end). */
const IMPORT_PROGRESS_MS = 100;

export function appVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/** Where Fashion-MNIST is now: the user's folder, the cache, or the system's. */
export function datasetStatus(store: RunStore, cache: string): DatasetStatus {
  return locateFashionMnist({ cacheDir: cache, userFolder: store.getSetting(DATASET_FOLDER_SETTING) });
}

/** The folder to train from, or a UserError saying why there is none. */
export function requireDatasetFolder(store: RunStore, cache: string): string {
  const status = datasetStatus(store, cache);
  if (!status.available || !status.folder) throw new UserError(status.message ?? 'Fashion-MNIST was not found');
  return status.folder;
}

/** The data module's own errors (a bad index, a split that leaves nothing) are worded for the user: passed on as such. */
async function worded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    const name = (e as Error)?.name;
    if (name === 'DatasetError' || name === 'IdxError') throw new UserError((e as Error).message);
    throw e;
  }
}

/** The contract implemented over the core services. No Electron here. */
export function createLayerlabService(o: ServiceOptions): LayerlabService {
  let download: { id: string; stop: AbortController; done: Promise<DatasetStatus> } | null = null;
  const version = appVersion();
  const statusOf = (id: string): DatasetStatus =>
    id === DEFAULT_DATASET_ID || !isBuiltinDatasetId(id) ? datasetStatus(o.store, o.cacheDir) : o.datasets.builtinStatus(id);
  const datasetsChanged = async () => o.events.emit({ type: 'datasets-changed', datasets: await o.datasets.list() });
  /** An import (or re-import) with its progress pushed, then the new list. */
  const imported = async (work: (onProgress: (p: ImportProgress) => void) => Promise<ImportResult>): Promise<ImportResult> => {
    let last = -Infinity;
    const result = await work((progress) => {
      const now = performance.now();
      if (progress.done === progress.total || now - last >= IMPORT_PROGRESS_MS) {
        last = now;
        o.events.emit({ type: 'dataset-import-progress', progress });
      }
    });
    await datasetsChanged();
    return result;
  };
  return {
    appInfo: () => ({ version, shell: o.shell, databasePath: o.databasePath }),
    listPresets: () => [...PRESETS],
    datasetStatus: () => datasetStatus(o.store, o.cacheDir),
    useDatasetFolder: async (folder) => {
      // Only remember a folder whose files are whole and right (magic, 28×28, counts, labels):
      // a wrong pick must not hide the ones already found, nor fail every later run.
      await worded(() => validateFashionMnistFolder(folder));
      const status = locateFashionMnist({ cacheDir: o.cacheDir, userFolder: folder });
      if (status.available && status.folder === folder) o.store.setSetting(DATASET_FOLDER_SETTING, folder);
      else throw new UserError(status.message ?? `Fashion-MNIST was not found in ${folder}`);
      o.events.emit({ type: 'dataset-status', status });
      return status;
    },
    listDatasets: () => o.datasets.list(),
    importDataset: (request) => imported((onProgress) => o.datasets.import(request, { onProgress })),
    reimportDataset: (id) => imported((onProgress) => o.datasets.reimport(id, { onProgress })),
    cancelImport: () => o.datasets.cancelImport(),
    deleteDataset: async (id) => {
      const busy = o.store.unfinishedRunsOn(id);
      if (busy.length) {
        const r = busy[0];
        const more = busy.length > 1 ? ` (and ${busy.length - 1} more)` : '';
        throw new UserError(`Run ${r.id} "${r.name}" is ${r.status} on this dataset${more}; cancel it or let it finish before removing the dataset`);
      }
      await o.datasets.delete(id);
      const list = await o.datasets.list();
      o.events.emit({ type: 'datasets-changed', datasets: list });
      return list;
    },
    downloadDataset: (id = DEFAULT_DATASET_ID) => {
      // A second click joins the download already under way.
      if (download && download.id === id) return download.done;
      if (!isBuiltinDatasetId(id))
        throw new UserError(`"${id}" is not a built-in dataset; only fashion-mnist, mnist, kmnist and cifar-10 are downloaded`);
      if (download) {
        throw new UserError(
          `${getBuiltinDataset(download.id).name} is downloading; wait for it or cancel it before downloading ${getBuiltinDataset(id).name}`,
        );
      }
      const stop = new AbortController();
      const onProgress = (progress: DownloadProgress) => o.events.emit({ type: 'dataset-progress', progress });
      const fetched =
        id === DEFAULT_DATASET_ID
          ? downloadFashionMnist({ cacheDir: o.cacheDir, baseUrl: o.datasetBaseUrl, signal: stop.signal, onProgress })
          : o.datasets.download(id, { signal: stop.signal, onProgress });
      const done = fetched
        // Cancelling is the user's choice, not a failure: the answer is the status, saying so.
        .then(
          () => false,
          (e) => {
            if (e instanceof DownloadError && e.failure === 'cancelled') return true;
            throw e;
          },
        )
        .then(async (cancelled) => {
          const found = statusOf(id);
          const status = cancelled ? { ...found, message: [CANCELLED, found.message].filter(Boolean).join(' ') } : found;
          // Windows take dataset-status for Fashion-MNIST's; the others are announced by the new list.
          if (id === DEFAULT_DATASET_ID) o.events.emit({ type: 'dataset-status', status });
          await datasetsChanged();
          return status;
        })
        .catch((e) => {
          throw new UserError((e as Error).message);
        })
        .finally(() => {
          download = null;
        });
      download = { id, stop, done };
      return done;
    },
    cancelDownload: async () => {
      if (!download) return datasetStatus(o.store, o.cacheDir);
      const { id, stop, done } = download;
      stop.abort();
      // Answer only once the partial files are gone, whatever ended the download.
      return done.catch(() => statusOf(id));
    },
    startRun: (request) => o.runs.start(request),
    cancelRun: (id) => o.runs.cancel(id),
    pauseRun: (id) => o.runs.pause(id),
    resumeRun: (id) => o.runs.resume(id),
    moveQueuedRun: (id, position) => o.runs.moveQueued(id, position),
    startGroup: (request) => o.runs.startGroup(request),
    listGroups: () => o.runs.listGroups(),
    listRuns: () => o.runs.list(),
    getRun: (id) => o.runs.get(id),
    listDesigns: () => o.designs.list(),
    getDesign: (id) => o.designs.get(id),
    saveDesign: (request) => o.designs.save(request),
    renameDesign: (id, name) => o.designs.rename(id, name),
    deleteDesign: (id) => o.designs.delete(id),
    updateRun: (id, patch) => o.runs.update(id, patch),
    deleteRun: (id) => o.runs.delete(id),
    getRuns: (ids) => o.runs.getMany(ids),
    listComparisons: () => o.comparisons.list(),
    saveComparison: (request) => {
      const missing = request.runIds.filter((id) => !o.store.existing([id]).length);
      if (missing.length) throw new UserError(`No run with id ${missing.join(', ')}`);
      const groups = new Set(o.runs.listGroups().map((g) => g.id));
      const missingGroups = (request.groupIds ?? []).filter((id) => !groups.has(id));
      if (missingGroups.length) throw new UserError(`No repeat or sweep with id ${missingGroups.join(', ')}`);
      return o.comparisons.save(request);
    },
    deleteComparison: (id) => o.comparisons.delete(id),
    exportRuns: (ids) => o.runs.exportBundle(ids, `Layerlab ${version}`),
    importRuns: (bundle) => ({ imported: o.runs.importBundle(bundle) }),
    exportModel: (id) => readModel(o, id),
    saveFile: async (request) => {
      if (!o.saveFile) throw new UserError('Saving through a dialog is for the desktop app; in browser mode the file is downloaded');
      return { saved: await o.saveFile(request) };
    },
    saveReportPdf: async (request) => {
      if (!o.saveReportPdf) throw new UserError('PDF export is for the desktop app; in browser mode save the HTML report and print it to PDF');
      return { saved: await o.saveReportPdf(request) };
    },
    evaluateRun: (id, split) => worded(() => o.evaluation.evaluate(id, split)),
    listPredictions: (id, filter) => worded(() => o.evaluation.predictions(id, filter)),
    getProbabilities: (id, split, index) => worded(() => o.evaluation.probabilities(id, split, index)),
    diffRuns: (runA, runB, split) => worded(() => o.evaluation.diff(runA, runB, split)),
    listDiffImages: (request) => worded(() => o.evaluation.diffImages(request)),
    getImages: (request) => worded(() => o.images.images(request)),
    datasetOverview: (splitSpec, datasetId) => worded(() => o.images.overview(splitSpec, datasetId)),
    listSamples: (request) => worded(() => o.images.samples(request)),
  };
}

/** model.json and its weights as the trainer saved them for a completed run. */
function readModel(o: ServiceOptions, id: number): ModelArtifacts {
  const run = o.runs.get(id);
  const dir = o.store.modelPath(id);
  if (!dir) {
    throw new UserError(
      run.status === 'completed'
        ? `Run ${id} has no saved model (it was trained before models were kept, or imported from a bundle)`
        : `Run ${id} is ${run.status}: only completed runs keep their trained model`,
    );
  }
  const modelFile = join(dir, 'model.json');
  if (!existsSync(modelFile)) throw new UserError(`The saved model of run ${id} is missing from ${dir}`);
  const modelJson = JSON.parse(readFileSync(modelFile, 'utf8'));
  const weightsFileName: string = modelJson.weightsManifest?.[0]?.paths?.[0] ?? 'weights.bin';
  const weights = readFileSync(join(dir, weightsFileName));
  return { modelJson, weightsFileName, weightsBase64: weights.toString('base64') };
}
