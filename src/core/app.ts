import type { AppInfo } from '../shared/contract/api';
import { EventHub } from './events';
import {
  appVersion,
  createLayerlabService,
  datasetStatus,
  requireDatasetFolder,
  type LayerlabService,
  type ServiceOptions,
} from './layerlab-service';
import { appGitCommit } from './git-commit';
import { basename, dirname, extname, join } from 'node:path';
import { cacheDir as cacheDirOf, defaultDatabasePath, userDataDir } from './paths';
import { RunService } from './runs/run-service';
import type { LaunchTrainer } from './runs/trainer-launcher';
import { openDatabase, type Db } from './store/database';
import { ComparisonStore } from './store/comparison-store';
import { DesignStore } from './store/design-store';
import { RunStore } from './store/run-store';
import { EvaluationStore } from './store/evaluation-store';
import { EvaluationService } from './evaluation/evaluation-service';
import { DatasetImages } from './data/images';
import { DatasetCatalog } from './data/catalog';
import type { BuiltinDatasetId } from './data/builtin-datasets';

export interface LayerlabOptions {
  shell: AppInfo['shell'];
  launchTrainer: LaunchTrainer;
  /** Defaults to LAYERLAB_DB or the per-user data folder's layerlab.db. */
  databasePath?: string;
  /** Defaults to the per-user data folder. */
  dataDir?: string;
  nativeBinding?: string;
  /** Where Fashion-MNIST is downloaded from; the official source when absent. */
  datasetBaseUrl?: string;
  /** Where the other built-in datasets are downloaded from (a mirror; a local server in tests), by id. */
  builtinBaseUrls?: Partial<Record<BuiltinDatasetId, string>>;
  /** The desktop shell's native save dialog. */
  saveFile?: ServiceOptions['saveFile'];
  saveReportPdf?: ServiceOptions['saveReportPdf'];
}

/** Everything one process needs to serve Layerlab: database, runs, events, the contract. */
export interface Layerlab {
  db: Db;
  store: RunStore;
  designs: DesignStore;
  events: EventHub;
  runs: RunService;
  evaluation: EvaluationService;
  /** The built-in and imported datasets. */
  datasets: DatasetCatalog;
  service: LayerlabService;
  databasePath: string;
  /** Cancel what is queued or training and any dataset download, wait for both to stop, close the database. */
  close(): Promise<void>;
}

export function openLayerlab(o: LayerlabOptions): Layerlab {
  const dataDir = o.dataDir ?? userDataDir();
  const databasePath = o.databasePath ?? defaultDatabasePath(process.env, dataDir);
  const cacheDir = cacheDirOf(dataDir);
  const db = openDatabase(databasePath, { nativeBinding: o.nativeBinding });
  const store = new RunStore(db);
  const designs = new DesignStore(db);
  const events = new EventHub();
  const datasets = new DatasetCatalog({
    dataDir,
    cacheDir,
    fashionStatus: () => datasetStatus(store, cacheDir),
    baseUrls: { ...o.builtinBaseUrls, ...(o.datasetBaseUrl ? { 'fashion-mnist': o.datasetBaseUrl } : {}) },
  });
  const runs = new RunService({
    store,
    events,
    launchTrainer: o.launchTrainer,
    datasetFolder: () => requireDatasetFolder(store, cacheDir),
    datasets,
    // Beside the database it belongs to, so two databases in one folder never share run-<id> folders.
    modelsDir: join(dirname(databasePath), `${basename(databasePath, extname(databasePath))}-models`),
    // Checkpoints of paused runs live beside the database too, and are written atomically.
    checkpointsDir: join(dirname(databasePath), `${basename(databasePath, extname(databasePath))}-checkpoints`),
    app: { version: appVersion(), gitCommit: appGitCommit() },
  });
  runs.recover();
  const datasetFolder = () => requireDatasetFolder(store, cacheDir);
  // Evaluations run in trainer processes of their own, beside any training.
  const evaluation = new EvaluationService({ runs, evaluations: new EvaluationStore(db), launchTrainer: o.launchTrainer, datasetFolder });
  const service = createLayerlabService({
    shell: o.shell,
    databasePath,
    cacheDir,
    datasetBaseUrl: o.datasetBaseUrl,
    store,
    designs,
    comparisons: new ComparisonStore(db),
    runs,
    events,
    evaluation,
    datasets,
    images: new DatasetImages(datasetFolder, (id) => datasets.load(id)),
    saveFile: o.saveFile,
    saveReportPdf: o.saveReportPdf,
  });
  return {
    db,
    store,
    designs,
    events,
    runs,
    evaluation,
    datasets,
    service,
    databasePath,
    async close() {
      // Closing twice is closing once.
      if (!db.open) return;
      // Both stop at once; a download left running would keep the app open until its 30 MB arrived.
      const downloadStopped = service.cancelDownload();
      datasets.cancelImport();
      const active = runs.activeRunId();
      runs.shutdown();
      evaluation.shutdown();
      if (active !== null) await runs.whenDone(active);
      // It reads the database for its last status, so it must end before the database closes.
      await downloadStopped;
      db.close();
    },
  };
}
