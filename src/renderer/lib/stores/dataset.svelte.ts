/** Whether Fashion-MNIST is available, and the download or folder choice that makes it so. */
import type { LayerlabEvent } from '../../../shared/contract/api';
import type { DatasetStatus, DownloadProgress } from '../../../shared/contract/dataset';
import { api } from '../transport/api';
import { messageOf, problems } from './errors.svelte';

class Dataset {
  /** Null until the first answer arrives. */
  status = $state<DatasetStatus | null>(null);
  progress = $state<DownloadProgress | null>(null);
  downloading = $state(false);
  cancelling = $state(false);
  choosingFolder = $state(false);

  available = $derived(this.status?.available === true);

  async load() {
    try {
      this.status = await api.datasetStatus();
    } catch (err) {
      problems.report('Checking for Fashion-MNIST', err);
    }
  }

  async download() {
    if (this.downloading) return;
    this.downloading = true;
    this.progress = null;
    try {
      this.status = await api.downloadDataset();
      // Cancelled (here, in another window or by closing the app): no stale bar; the status says why.
      if (!this.status.available) this.progress = null;
    } catch (err) {
      this.progress = null;
      problems.report('Downloading Fashion-MNIST', err);
    } finally {
      this.downloading = false;
    }
  }

  /** Stop the download under way; the core answers once its partial files are gone. */
  async cancel() {
    if (!this.downloading || this.cancelling) return;
    this.cancelling = true;
    try {
      this.status = await api.cancelDownload();
    } catch (err) {
      problems.report('Cancelling the download', err);
    } finally {
      this.cancelling = false;
    }
  }

  /**
   * Point the app at a folder. The answer (or the reason it was refused) is
   * returned for the caller to show at the folder field.
   */
  async useFolder(folder: string): Promise<{ ok: true } | { ok: false; message: string }> {
    this.choosingFolder = true;
    try {
      this.status = await api.useDatasetFolder(folder);
      return this.status.available ? { ok: true } : { ok: false, message: this.status.message ?? `Fashion-MNIST was not found in ${folder}` };
    } catch (err) {
      return { ok: false, message: messageOf(err) };
    } finally {
      this.choosingFolder = false;
    }
  }

  handle(event: LayerlabEvent) {
    if (event.type === 'dataset-progress') this.progress = event.progress;
    else if (event.type === 'dataset-status') this.status = event.status;
  }
}

export const dataset = new Dataset();
