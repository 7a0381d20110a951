/** Where the app found (or failed to find) the training images. */
export interface DatasetStatus {
  id: 'fashion-mnist';
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
