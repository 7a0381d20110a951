/** Datasets in words: an image's shape, where a dataset comes from, and a run's dataset. */
import type { DatasetSummary } from '../../shared/contract/dataset';
import type { DatasetInfo } from '../../shared/contract/runs';

/** "28×28×1" — height × width × channels. */
export function describeShape(shape: readonly number[]): string {
  return shape.join('×');
}

/** "Built-in" or the folder it was imported from. */
export function describeSource(d: DatasetSummary): string {
  return d.source === 'builtin' ? 'Built-in' : `Imported from ${d.imported?.folder ?? 'a folder'}`;
}

/** A run's dataset by name: runs recorded before datasets had names, or without a record, trained on Fashion-MNIST. */
export function datasetNameOf(info: DatasetInfo | null | undefined): string {
  if (!info) return 'Fashion-MNIST';
  if (info.name) return info.name;
  return info.id === 'fashion-mnist' ? 'Fashion-MNIST' : info.id;
}

/** The key two runs' datasets are compared by: the content hash when both have one, else the id. */
export function datasetKeyOf(info: DatasetInfo | null | undefined): string {
  return info?.id ?? 'fashion-mnist';
}
