/**
 * Every dataset the app knows, in one place: the four built-in ones (found on disk, or
 * downloadable) and the folders of images the user imported into <data folder>/datasets/<id>/.
 * Listing is cheap (the registry, dataset.json and a stat-only look at each source folder);
 * images are read only by load(), and kept for the last two datasets asked for.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { UserError } from '../../shared/contract/api';
import type {
  DatasetStatus,
  DatasetSummary,
  DownloadProgress,
  ImportDatasetRequest,
  ImportProgress,
  ImportResult,
} from '../../shared/contract/dataset';
import type { DatasetFitTarget } from '../../shared/model/dataset-fit';
import { DATASET_ID_PATTERN, DEFAULT_DATASET_ID } from '../../shared/model/training-config';
import type { DatasetRef } from '../engine/protocol';
import {
  BUILTIN_DATASETS,
  downloadBuiltinDataset,
  downloadSize,
  getBuiltinDataset,
  isBuiltinDatasetId,
  locateBuiltinDataset,
  type BuiltinDatasetId,
} from './builtin-datasets';
import { DATASET_BIN, DATASET_JSON, folderChanged, readImportRecord, type ImportRecord } from './dataset-file';
import { loadDatasetRef } from './dataset-load';
import { importedDatasetId, importImageFolder } from './image-folder';
import type { LoadedDataset } from './types';

/** Datasets kept loaded: CIFAR-10 is 180 MB, so only the last two asked for. */
const KEPT_LOADED = 2;

export interface DatasetCatalogOptions {
  /** The per-user data folder: imported datasets live in its datasets/ folder. */
  dataDir: string;
  /** Where built-in datasets are downloaded to (<cacheDir>/<id>). */
  cacheDir: string;
  /** Where Fashion-MNIST is now, with the folder the user chose (the service's datasetStatus). */
  fashionStatus: () => DatasetStatus;
  /** Other download addresses (a mirror; a local server in tests), by built-in id. */
  baseUrls?: Partial<Record<BuiltinDatasetId, string>>;
  /** The decoded IDX cache the loaders use; the user's when absent. */
  decodedCacheDir?: string | null;
}

export interface ImportControl {
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
}

const words = (items: string[]) => (items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`);

/** The reason a dataset module's own error gives, as a UserError (they are worded for the user). */
function userErrorOf(e: unknown): unknown {
  const name = (e as Error)?.name;
  if (name === 'DatasetError' || name === 'IdxError' || name === 'DownloadError') return new UserError((e as Error).message);
  return e;
}

export class DatasetCatalog {
  readonly datasetsDir: string;
  private importing: { folder: string; stop: AbortController } | null = null;
  private readonly loaded = new Map<string, { key: string; data: Promise<LoadedDataset> }>();

  constructor(private readonly o: DatasetCatalogOptions) {
    this.datasetsDir = join(o.dataDir, 'datasets');
  }

  /** An imported dataset's folder. */
  dirOf(id: string): string {
    return join(this.datasetsDir, id);
  }

  // ---- Listing -------------------------------------------------------------------------------

  /** Where a built-in dataset is now (Fashion-MNIST with the folder the user chose). */
  builtinStatus(id: BuiltinDatasetId): DatasetStatus {
    return id === 'fashion-mnist' ? this.o.fashionStatus() : locateBuiltinDataset(id, { cacheDir: this.o.cacheDir });
  }

  private builtinSummary(id: BuiltinDatasetId): DatasetSummary {
    const d = getBuiltinDataset(id);
    const status = this.builtinStatus(id);
    return {
      id,
      name: d.name,
      source: 'builtin',
      shape: [...d.shape],
      classNames: [...d.classNames],
      trainCount: d.trainCount,
      testCount: d.testCount,
      available: status.available,
      location: status.folder,
      hash: null,
      downloadSize: downloadSize(id),
      imported: null,
      message: status.message,
    };
  }

  private async importedSummary(id: string): Promise<DatasetSummary | null> {
    const dir = this.dirOf(id);
    let record: ImportRecord;
    try {
      record = await readImportRecord(dir);
    } catch {
      return null; // a folder that is not (or no longer) a dataset: not listed
    }
    const { state } = await folderChanged(dir).catch(() => ({ state: 'missing' as const }));
    const available = existsSync(join(dir, DATASET_BIN));
    return {
      ...summaryOfRecord(record, dir, available),
      imported: { ...importedFromRecord(record), state },
    };
  }

  /** The built-in datasets, then the imported ones by name; nothing is decoded. */
  async list(): Promise<DatasetSummary[]> {
    const builtins = BUILTIN_DATASETS.map((d) => this.builtinSummary(d.id));
    const imported = await Promise.all((await this.importedIds()).map((id) => this.importedSummary(id)));
    const found = imported.filter((s): s is DatasetSummary => s !== null).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    return [...builtins, ...found];
  }

  private async importedIds(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.datasetsDir);
    } catch {
      return [];
    }
    return names.filter((n) => n.startsWith('folder-') && DATASET_ID_PATTERN.test(n));
  }

  /** A dataset by its id, or by its name (any case) when one dataset has it; a UserError listing the datasets otherwise. */
  async find(idOrName: string): Promise<DatasetSummary> {
    const all = await this.list();
    const byId = all.find((d) => d.id === idOrName);
    if (byId) return byId;
    const wanted = idOrName.trim().toLowerCase();
    const byName = all.filter((d) => d.name.toLowerCase() === wanted);
    if (byName.length === 1) return byName[0];
    if (byName.length > 1) {
      throw new UserError(`${byName.length} datasets are named "${idOrName}" (${words(byName.map((d) => d.id))}); give the id`);
    }
    throw new UserError(`There is no dataset "${idOrName}"; the datasets are ${words(all.map((d) => `${d.id} (${d.name})`))}`);
  }

  // ---- For runs --------------------------------------------------------------------------------

  /** What an imported dataset is, read from its dataset.json without decoding anything; null when there is none. */
  private recordSync(id: string): ImportRecord | null {
    try {
      const record = JSON.parse(readFileSync(join(this.dirOf(id), DATASET_JSON), 'utf8')) as ImportRecord;
      const m = record?.meta;
      if (!m || !Array.isArray(m.shape) || m.shape.length !== 3 || !Array.isArray(m.classNames) || typeof m.name !== 'string') return null;
      return record;
    } catch {
      return null;
    }
  }

  /** The dataset's name, image shape and class count, for checking a network against it. */
  fitTarget(id: string): DatasetFitTarget {
    if (isBuiltinDatasetId(id)) {
      const d = getBuiltinDataset(id);
      return { name: d.name, shape: [...d.shape], classCount: d.classNames.length };
    }
    const record = this.recordSync(id);
    if (!record) throw this.noSuchImport(id);
    const [h, w, c] = record.meta.shape;
    return { name: record.meta.name, shape: [h, w, c], classCount: record.meta.classNames.length };
  }

  /** The dataset's name when it is known here (a removed import keeps its id only). */
  nameOf(id: string): string | null {
    if (isBuiltinDatasetId(id)) return getBuiltinDataset(id).name;
    return this.recordSync(id)?.meta.name ?? null;
  }

  private noSuchImport(id: string): UserError {
    return new UserError(`There is no imported dataset ${id} here (it was removed, or imported in another data folder); import its folder again`);
  }

  /** Where a job finds the dataset's files; a UserError saying how to get them (download, import) when they are not here. */
  ref(id: string): DatasetRef {
    if (isBuiltinDatasetId(id)) {
      const status = this.builtinStatus(id);
      if (!status.available || !status.folder) {
        const d = getBuiltinDataset(id);
        throw new UserError(
          `${d.name} is not downloaded: ${status.message ?? 'its files were not found'} (from the command line: layerlab download ${id})`,
        );
      }
      return { id, kind: 'builtin', folder: status.folder };
    }
    if (!DATASET_ID_PATTERN.test(id)) throw new UserError(`"${id}" is not a dataset id (see layerlab datasets)`);
    const dir = this.dirOf(id);
    if (!this.recordSync(id)) throw this.noSuchImport(id);
    if (!existsSync(join(dir, DATASET_BIN))) {
      throw new UserError(`The images of ${this.nameOf(id)} (${id}) are missing from ${dir}; import its folder again`);
    }
    return { id, kind: 'folder', folder: dir };
  }

  /** The dataset with its images, read once and kept (for the last few asked for). */
  load(id: string): Promise<LoadedDataset> {
    const ref = this.ref(id);
    const fashionFolder = ref.id === DEFAULT_DATASET_ID ? ref.folder : (this.o.fashionStatus().folder ?? '');
    const key = `${ref.kind}:${ref.folder}`;
    const kept = this.loaded.get(id);
    if (kept && kept.key === key) {
      this.loaded.delete(id);
      this.loaded.set(id, kept);
      return kept.data;
    }
    const data = loadDatasetRef(ref, fashionFolder, this.o.decodedCacheDir === undefined ? {} : { decodedCacheDir: this.o.decodedCacheDir }).catch(
      (e) => {
        if (this.loaded.get(id)?.data === data) this.loaded.delete(id);
        throw userErrorOf(e);
      },
    );
    this.loaded.set(id, { key, data });
    while (this.loaded.size > KEPT_LOADED) this.loaded.delete(this.loaded.keys().next().value!);
    return data;
  }

  // ---- Importing --------------------------------------------------------------------------------

  /** The folder being imported, if any. */
  importingFolder(): string | null {
    return this.importing?.folder ?? null;
  }

  /**
   * Import a folder of images as a dataset (one import at a time). A name another dataset
   * has is refused, so a dataset can always be named on the command line.
   */
  async import(request: ImportDatasetRequest, control: ImportControl = {}): Promise<ImportResult> {
    const name = request.name.trim();
    const clash = (await this.list()).find((d) => d.name.toLowerCase() === name.toLowerCase());
    if (clash && clash.source === 'builtin') throw new UserError(`"${name}" is the name of a built-in dataset; choose another name`);
    const folder = resolve(request.folder);
    // The same folder imported the same way replaces its dataset, name and all.
    if (clash && clash.id !== importedDatasetId(folder, request.size, request.channels)) {
      throw new UserError(`A dataset is already named "${clash.name}" (${clash.id}, from ${clash.imported?.folder}); choose another name`);
    }
    return this.runImport({ folder, name, size: request.size, channels: request.channels, testSplit: request.testSplit, seed: undefined }, control);
  }

  /** Import an imported dataset's folder again with the settings it was imported with. */
  async reimport(id: string, control: ImportControl = {}): Promise<ImportResult> {
    if (isBuiltinDatasetId(id)) throw new UserError(`${getBuiltinDataset(id).name} is built in; only imported folders can be imported again`);
    let record: ImportRecord;
    try {
      record = await readImportRecord(this.dirOf(id));
    } catch {
      throw this.noSuchImport(id);
    }
    const s = record.source;
    return this.runImport(
      { folder: s.folder, name: record.meta.name, size: s.size, channels: s.channels, testSplit: s.testSplit ?? undefined, seed: s.seed },
      control,
    );
  }

  private async runImport(
    r: { folder: string; name: string; size: [number, number]; channels: 1 | 3; testSplit: number | undefined; seed: number | undefined },
    control: ImportControl,
  ): Promise<ImportResult> {
    if (this.importing) throw new UserError(`${this.importing.folder} is being imported; wait for it to finish or cancel it first`);
    const stop = new AbortController();
    const outer = control.signal;
    const onOuterAbort = () => stop.abort();
    outer?.addEventListener('abort', onOuterAbort);
    if (outer?.aborted) stop.abort();
    this.importing = { folder: r.folder, stop };
    try {
      const result = await importImageFolder({
        folder: r.folder,
        name: r.name,
        size: r.size,
        channels: r.channels,
        testSplit: r.testSplit,
        seed: r.seed,
        outDir: this.datasetsDir,
        signal: stop.signal,
        onProgress: (p) => control.onProgress?.({ folder: r.folder, ...p }),
      });
      this.loaded.delete(result.meta.id);
      const dataset = await this.importedSummary(result.meta.id);
      if (!dataset) throw new UserError(`The import of ${r.folder} wrote nothing readable to ${result.dir}`);
      return { dataset, skipped: result.skipped };
    } catch (e) {
      if ((e as Error)?.name === 'AbortError') throw new UserError(`The import of ${r.folder} was cancelled; nothing of it was kept`);
      throw userErrorOf(e);
    } finally {
      outer?.removeEventListener('abort', onOuterAbort);
      this.importing = null;
    }
  }

  /** Stop the import under way; whether there was one. */
  cancelImport(): boolean {
    if (!this.importing) return false;
    this.importing.stop.abort();
    return true;
  }

  /** Remove an imported dataset's files (never its source folder); built-in datasets are refused. */
  async delete(id: string): Promise<void> {
    if (isBuiltinDatasetId(id)) throw new UserError(`${getBuiltinDataset(id).name} is built in; it cannot be removed`);
    const dir = this.dirOf(id);
    if (!DATASET_ID_PATTERN.test(id) || !existsSync(join(dir, DATASET_JSON))) throw this.noSuchImport(id);
    this.loaded.delete(id);
    await rm(dir, { recursive: true, force: true });
  }

  // ---- Downloading ------------------------------------------------------------------------------

  /** Download a built-in dataset into the cache (Fashion-MNIST through its own downloader); throws a DownloadError on failure. */
  async download(id: string, control: { signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void } = {}): Promise<DatasetStatus> {
    if (!isBuiltinDatasetId(id)) throw new UserError(`${this.nameOf(id) ?? id} is an imported folder; only built-in datasets are downloaded`);
    await downloadBuiltinDataset(id, {
      cacheDir: this.o.cacheDir,
      baseUrl: this.o.baseUrls?.[id],
      signal: control.signal,
      onProgress: control.onProgress,
    });
    this.loaded.delete(id);
    return this.builtinStatus(id);
  }
}

function summaryOfRecord(record: ImportRecord, dir: string, available: boolean): Omit<DatasetSummary, 'imported'> {
  const m = record.meta;
  return {
    id: m.id,
    name: m.name,
    source: 'folder',
    shape: [m.shape[0], m.shape[1], m.shape[2]],
    classNames: [...m.classNames],
    trainCount: m.trainCount,
    testCount: m.testCount,
    available,
    location: available ? dir : null,
    hash: m.hash,
    downloadSize: null,
    message: available ? null : `The images of ${m.name} are missing from ${dir}; import its folder again`,
  };
}

function importedFromRecord(record: ImportRecord): Omit<NonNullable<DatasetSummary['imported']>, 'state'> {
  const s = record.source;
  return {
    folder: s.folder,
    size: [s.size[0], s.size[1]],
    channels: s.channels,
    testSplit: s.testSplit,
    skipped: record.skipped,
    importedAt: record.importedAt,
  };
}
