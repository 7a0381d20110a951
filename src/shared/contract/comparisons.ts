/** A comparison saved under a name, to reopen the same runs and groups side by side. */
export interface SavedComparison {
  id: number;
  name: string;
  runIds: number[];
  /** Repeats and sweeps compared beside the runs, each as its mean ± std ([] for a comparison saved before groups could be). */
  groupIds: number[];
  /** View options (x-axis, smoothing, log scale, metrics shown). */
  options: ComparisonOptions;
  createdAt: string;
  updatedAt: string;
}

export interface ComparisonOptions {
  xAxis?: 'epoch' | 'time';
  logScale?: boolean;
  /** Exponential moving average weight in [0, 1); 0 = raw. */
  smoothing?: number;
  onlyDifferences?: boolean;
}

/** At least 12 runs side by side, as the issue asks; more stays readable up to this. */
export const MAX_COMPARED_RUNS = 16;
