/**
 * Every dataset the app knows (the built-in ones and the imported image folders),
 * the one the Datasets view shows, the one the Train view trains on, and the
 * import, download, re-import and removal that change the list.
 */
import type { LayerlabEvent } from '../../../shared/contract/api';
import type { DatasetSummary, DownloadProgress, ImportDatasetRequest, ImportProgress, ImportResult } from '../../../shared/contract/dataset';
import type { DatasetOverview, ImageSplit, SampleRequest, SplitSpec } from '../../../shared/contract/evaluation';
import { DEFAULT_DATASET_ID } from '../../../shared/model/training-config';
import { FASHION_MNIST_TARGET, fitTargetOf, type DatasetFitTarget } from '../../../shared/model/dataset-fit';
import type { GalleryPage } from '../gallery';
import { api } from '../transport/api';
import { dataset as fashionMnist } from './dataset.svelte';
import { editor } from './editor.svelte';
import { messageOf, problems } from './errors.svelte';
import { flash } from './flash.svelte';

/** The split the Datasets view shows: the whole training set, a fifth of it for validation (the app's default). */
export const BROWSE_SPLIT: SplitSpec = { limit: null, validationSplit: 0.2 };

export type Answer<T> = { ok: true; value: T } | { ok: false; message: string };

class Datasets {
  list = $state.raw<DatasetSummary[]>([]);
  loaded = $state(false);
  /** The dataset the Datasets view shows. */
  selectedId = $state<string>(DEFAULT_DATASET_ID);
  /** The dataset the Train view trains on. */
  trainingId = $state<string>(DEFAULT_DATASET_ID);

  /** The built-in dataset being downloaded from here, and how far it got. */
  downloadingId = $state<string | null>(null);
  downloadProgress = $state<DownloadProgress | null>(null);
  cancellingDownload = $state(false);

  importing = $state(false);
  importProgress = $state<ImportProgress | null>(null);
  cancellingImport = $state(false);
  /** The imported dataset being imported again, or being removed. */
  reimportingId = $state<string | null>(null);
  removingId = $state<string | null>(null);

  overview = $state.raw<DatasetOverview | null>(null);
  overviewFor = $state<string | null>(null);
  overviewFailure = $state<string | null>(null);

  selected = $derived(this.list.find((d) => d.id === this.selectedId) ?? null);
  training = $derived(this.list.find((d) => d.id === this.trainingId) ?? null);
  /** What the editor checks the network against: the training dataset (Fashion-MNIST until the list arrives). */
  trainingTarget = $derived<DatasetFitTarget>(this.training ? fitTargetOf(this.training) : FASHION_MNIST_TARGET);

  async load() {
    try {
      this.#setList(await api.listDatasets());
    } catch (err) {
      problems.report('Listing the datasets', err);
    }
  }

  byId(id: string | null | undefined): DatasetSummary | null {
    return id ? (this.list.find((d) => d.id === id) ?? null) : null;
  }

  select(id: string) {
    this.selectedId = id;
    void this.loadOverview(id);
  }

  chooseForTraining(id: string) {
    this.trainingId = id;
    this.#syncTarget();
  }

  async loadOverview(id: string, force = false) {
    const summary = this.byId(id);
    if (!summary?.available) {
      this.overview = null;
      this.overviewFor = null;
      this.overviewFailure = null;
      return;
    }
    if (!force && this.overviewFor === id && this.overview) return;
    this.overviewFailure = null;
    try {
      const overview = await api.datasetOverview(BROWSE_SPLIT, id);
      if (this.selectedId !== id) return;
      this.overview = overview;
      this.overviewFor = id;
    } catch (err) {
      if (this.selectedId !== id) return;
      this.overview = null;
      this.overviewFor = null;
      this.overviewFailure = messageOf(err);
    }
  }

  /** Download a built-in dataset; Fashion-MNIST goes through its own store so the Train view's status follows. */
  async download(id: string) {
    if (this.downloadingId) return;
    this.downloadingId = id;
    this.downloadProgress = null;
    try {
      if (id === DEFAULT_DATASET_ID) await fashionMnist.download();
      else {
        const status = await api.downloadDataset(id);
        if (!status.available && status.message) flash.show(status.message);
      }
      await this.load();
    } catch (err) {
      problems.report(`Downloading ${this.byId(id)?.name ?? id}`, err);
    } finally {
      this.downloadingId = null;
      this.downloadProgress = null;
    }
  }

  async cancelDownload() {
    if (!this.downloadingId || this.cancellingDownload) return;
    this.cancellingDownload = true;
    try {
      if (this.downloadingId === DEFAULT_DATASET_ID) await fashionMnist.cancel();
      else await api.cancelDownload();
    } catch (err) {
      problems.report('Cancelling the download', err);
    } finally {
      this.cancellingDownload = false;
    }
  }

  /** Import a folder; the new dataset is selected. A refusal comes back as the server's words for the dialog to show. */
  async importFolder(request: ImportDatasetRequest): Promise<Answer<ImportResult>> {
    if (this.importing) return { ok: false, message: 'An import is already under way.' };
    this.importing = true;
    this.importProgress = null;
    try {
      const result = await api.importDataset(request);
      this.#adopt(result.dataset);
      this.select(result.dataset.id);
      return { ok: true, value: result };
    } catch (err) {
      return { ok: false, message: messageOf(err) };
    } finally {
      this.importing = false;
      this.importProgress = null;
    }
  }

  async cancelImport() {
    if (!this.importing || this.cancellingImport) return;
    this.cancellingImport = true;
    try {
      await api.cancelImport();
    } catch (err) {
      problems.report('Cancelling the import', err);
    } finally {
      this.cancellingImport = false;
    }
  }

  /** Import an imported dataset's folder again (its files changed). */
  async reimport(id: string): Promise<Answer<ImportResult>> {
    if (this.importing) return { ok: false, message: 'An import is already under way.' };
    this.importing = true;
    this.reimportingId = id;
    this.importProgress = null;
    try {
      const result = await api.reimportDataset(id);
      this.#adopt(result.dataset);
      if (this.selectedId === id) void this.loadOverview(id, true);
      return { ok: true, value: result };
    } catch (err) {
      return { ok: false, message: messageOf(err) };
    } finally {
      this.importing = false;
      this.reimportingId = null;
      this.importProgress = null;
    }
  }

  async remove(id: string): Promise<Answer<null>> {
    this.removingId = id;
    try {
      this.#setList(await api.deleteDataset(id));
      return { ok: true, value: null };
    } catch (err) {
      return { ok: false, message: messageOf(err) };
    } finally {
      this.removingId = null;
    }
  }

  handle(event: LayerlabEvent) {
    if (event.type === 'datasets-changed') this.#setList(event.datasets);
    else if (event.type === 'dataset-status') void this.load();
    else if (event.type === 'dataset-import-progress') {
      if (this.importing) this.importProgress = event.progress;
    } else if (event.type === 'dataset-progress') {
      if (this.downloadingId) this.downloadProgress = event.progress;
    }
  }

  #adopt(summary: DatasetSummary) {
    const i = this.list.findIndex((d) => d.id === summary.id);
    this.#setList(i === -1 ? [...this.list, summary] : this.list.with(i, summary));
  }

  #setList(list: DatasetSummary[]) {
    this.list = list;
    this.loaded = true;
    // A removed dataset is not left selected (nor trained on).
    if (!list.some((d) => d.id === this.selectedId)) this.selectedId = DEFAULT_DATASET_ID;
    if (!list.some((d) => d.id === this.trainingId)) this.trainingId = DEFAULT_DATASET_ID;
    // Its counts may have changed (imported again, downloaded): read them again when shown.
    if (this.overviewFor && !list.find((d) => d.id === this.overviewFor)?.available) {
      this.overview = null;
      this.overviewFor = null;
    }
    this.#syncTarget();
  }

  #syncTarget() {
    editor.setFitTarget(this.trainingTarget);
  }
}

export const datasets = new Datasets();

/** One page of a dataset's images (of one class, or all), with their labels. */
export async function loadDatasetSamples(
  datasetId: string,
  split: ImageSplit,
  classIndex: number | null,
  offset: number,
  limit: number,
): Promise<GalleryPage> {
  try {
    // The request schema takes datasetId (requests.ts); SampleRequest's interface in evaluation.ts does not name it yet.
    const request: SampleRequest & { datasetId: string } = { split, classIndex, offset, limit, splitSpec: BROWSE_SPLIT, datasetId };
    const page = await api.listSamples(request);
    return { total: page.total, items: page.indexes.map((index, i) => ({ index, label: page.labels[i] ?? -1 })) };
  } catch (err) {
    problems.report('Loading the dataset images', err);
    throw err;
  }
}
