/** What the image gallery shows of one image, whatever it comes from: a run's predictions, a diff of two runs, or the dataset. */
import type { ImageSplit, SplitSpec } from '../../shared/contract/evaluation';

export interface Seen {
  predicted: number;
  confidence: number;
}

export interface GalleryItem {
  /** Index in its split. */
  index: number;
  label: number;
  /** How the run saw it (a run's predictions), or how run A did (a diff). */
  seen?: Seen;
  /** How run B saw it (a diff). */
  seenB?: Seen;
}

export interface GalleryPage {
  total: number;
  items: GalleryItem[];
}

/** Where the gallery's images come from: one page of them at a time. */
export interface GallerySource {
  /** Changes whenever what the pages hold changes (a filter, a sort): the gallery starts over. */
  key: string;
  split: ImageSplit;
  splitSpec?: SplitSpec;
  /** The dataset the images are from (Fashion-MNIST when absent). */
  datasetId?: string;
  load: (offset: number, limit: number) => Promise<GalleryPage>;
}

/** The runs whose probabilities the image viewer shows, with a short name each ("Run #3", "A"). */
export interface ProbabilityRun {
  runId: number;
  name: string;
}
