import { readFileSync } from 'node:fs';
import { UserError, type ApiMethod, type AppInfo, type LayerlabApi } from '../shared/api';
import type { DatasetStatus } from '../shared/dataset';
import { PRESETS } from '../shared/presets';
import { downloadFashionMnist } from './data/download';
import { locateFashionMnist } from './data/fashion-mnist';
import type { EventHub } from './events';
import type { RunService } from './runs/run-service';
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
  store: RunStore;
  designs: DesignStore;
  runs: RunService;
  events: EventHub;
}

const DATASET_FOLDER_SETTING = 'dataset.fashion-mnist.folder';

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

/** The contract implemented over the core services. No Electron here. */
export function createLayerlabService(o: ServiceOptions): LayerlabService {
  let download: Promise<DatasetStatus> | null = null;
  const version = appVersion();
  return {
    appInfo: () => ({ version, shell: o.shell, databasePath: o.databasePath }),
    listPresets: () => [...PRESETS],
    datasetStatus: () => datasetStatus(o.store, o.cacheDir),
    useDatasetFolder: (folder) => {
      const status = locateFashionMnist({ cacheDir: o.cacheDir, userFolder: folder });
      // Only remember a folder that holds the files: a wrong pick must not hide the ones already found.
      if (status.available && status.folder === folder) o.store.setSetting(DATASET_FOLDER_SETTING, folder);
      else throw new UserError(status.message ?? `Fashion-MNIST was not found in ${folder}`);
      o.events.emit({ type: 'dataset-status', status });
      return status;
    },
    downloadDataset: () => {
      // A second click joins the download already under way.
      download ??= downloadFashionMnist({
        cacheDir: o.cacheDir,
        onProgress: (progress) => o.events.emit({ type: 'dataset-progress', progress }),
      })
        .then(() => {
          const status = datasetStatus(o.store, o.cacheDir);
          o.events.emit({ type: 'dataset-status', status });
          return status;
        })
        .catch((e) => {
          throw new UserError((e as Error).message);
        })
        .finally(() => {
          download = null;
        });
      return download!;
    },
    startRun: (request) => o.runs.start(request),
    cancelRun: (id) => o.runs.cancel(id),
    listRuns: () => o.runs.list(),
    getRun: (id) => o.runs.get(id),
    listDesigns: () => o.designs.list(),
    getDesign: (id) => o.designs.get(id),
    saveDesign: (request) => o.designs.save(request),
    renameDesign: (id, name) => o.designs.rename(id, name),
    deleteDesign: (id) => o.designs.delete(id),
  };
}
