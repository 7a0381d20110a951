import type { BuiltinDatasetId } from '../model/training-config';

/** Where the app found (or failed to find) a built-in dataset's files. */
export interface DatasetStatus {
  id: BuiltinDatasetId;
  available: boolean;
  /** Folder holding the four IDX files, when available. */
  folder: string | null;
  /** Folders searched, in order. */
  searched: string[];
  /** Why it is not available, or why the chosen folder was passed over, in the user's words. */
  message: string | null;
}

export interface DownloadProgress {
  file: string;
  receivedBytes: number;
  totalBytes: number | null;
  /** 0..1 over all files. */
  fraction: number;
}

/** A dataset the app knows: a built-in one (found on disk or downloadable) or a folder of the user's images, imported. */
export interface DatasetSummary {
  /** 'fashion-mnist', 'mnist', 'kmnist', 'cifar-10', or 'folder-' and 12 hex digits for an imported folder. */
  id: string;
  name: string;
  source: 'builtin' | 'folder';
  /** One image: [height, width, channels]. */
  shape: [number, number, number];
  /** One name per class, in label order. */
  classNames: string[];
  trainCount: number;
  testCount: number;
  /** Whether its files are here and readable (a built-in one that is not can be downloaded). */
  available: boolean;
  /** The folder its files were found in (an imported dataset: its cache folder), when available. */
  location: string | null;
  /** SHA-256 of its content (shape, class names, every image and label), once known; null for a built-in one not yet read. */
  hash: string | null;
  /** Download size in words, for a built-in one ("about 30 MB"). */
  downloadSize: string | null;
  /** An imported dataset: where from, with which settings, what was skipped, and whether the source folder changed since. */
  imported: ImportedFrom | null;
  /** Why it is not available, in the user's words, or null. */
  message: string | null;
}

export interface ImportedFrom {
  folder: string;
  /** 'changed': files were added, removed or modified since the import (offer to import again); 'missing': the folder is gone. */
  state: 'unchanged' | 'changed' | 'missing';
  size: [number, number];
  channels: 1 | 3;
  /** The share of each class set aside for testing, or null when the folder had train/ and test/ folders. */
  testSplit: number | null;
  skipped: SkippedFile[];
  /** ISO time of the import. */
  importedAt: string;
}

export interface SkippedFile {
  /** Relative to the imported folder, '/' separators; a folder ends in '/'. */
  file: string;
  reason: string;
}

export interface ImportDatasetRequest {
  /** A folder with one subfolder per class, or train/ and test/ each with one subfolder per class. */
  folder: string;
  name: string;
  /** [height, width] every image is resized to. */
  size: [number, number];
  channels: 1 | 3;
  /** Share of each class kept for testing when the folder has no train/ and test/ (default 0.2). */
  testSplit?: number;
}

export interface ImportProgress {
  /** The folder being imported. */
  folder: string;
  done: number;
  total: number;
  /** The file just read (relative to the folder). */
  file: string;
}

export interface ImportResult {
  dataset: DatasetSummary;
  skipped: SkippedFile[];
}
