/** The dataset browser: class balance of each split for a way of splitting the training images, and pages of a split's images. */
import type { DatasetOverview, ImageSplit, SplitSpec } from '../../../shared/contract/evaluation';
import type { GalleryPage } from '../gallery';
import { api } from '../transport/api';
import { messageOf, problems } from './errors.svelte';

class DatasetBrowser {
  overview = $state.raw<DatasetOverview | null>(null);
  loading = $state(false);
  failure = $state<string | null>(null);
  #for = '';

  async loadOverview(spec: SplitSpec) {
    const key = JSON.stringify(spec);
    if (this.#for === key && this.overview) return;
    this.loading = true;
    this.failure = null;
    try {
      this.overview = await api.datasetOverview(spec);
      this.#for = key;
    } catch (err) {
      this.failure = messageOf(err);
      problems.report('Reading the dataset', err);
    } finally {
      this.loading = false;
    }
  }
}

export const datasetBrowser = new DatasetBrowser();

/** One page of a split's images (of one class, or all), with their labels. */
export async function loadSamples(
  split: ImageSplit,
  classIndex: number | null,
  spec: SplitSpec,
  offset: number,
  limit: number,
): Promise<GalleryPage> {
  try {
    const page = await api.listSamples({ split, classIndex, offset, limit, splitSpec: spec });
    return { total: page.total, items: page.indexes.map((index, i) => ({ index, label: page.labels[i] ?? -1 })) };
  } catch (err) {
    problems.report('Loading the dataset images', err);
    throw err;
  }
}
