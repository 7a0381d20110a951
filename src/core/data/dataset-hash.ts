/**
 * The content hash of a dataset (DatasetMeta.hash): what a run records to say which data it
 * saw. It covers what training and evaluation read, and nothing else: the shape, the class
 * names, the split sizes and every image and label byte, train then test. The id, the name
 * and where the data came from are not part of it, so the same images imported twice, or a
 * built-in set loaded from another folder, hash the same.
 *
 * Hashed, in this order: the UTF-8 JSON of { shape, classNames, trainCount, testCount }, a
 * zero byte, then train images, train labels, test images, test labels as stored (uint8,
 * HWC). The counts make the boundary between train and test part of the hash.
 */
import { createHash } from 'node:crypto';
import type { ImageSet } from './types';

export interface DatasetShape {
  /** One image's shape: [height, width, channels]. */
  shape: readonly [number, number, number];
  classNames: readonly string[];
}

function check(set: ImageSet, what: string, [h, w, c]: readonly [number, number, number]): void {
  const channels = set.channels ?? 1;
  if (set.rows !== h || set.cols !== w || channels !== c) {
    throw new Error(`The ${what} images are ${set.rows}×${set.cols}×${channels}, not the dataset's ${h}×${w}×${c}`);
  }
  if (set.images.length !== set.count * h * w * c || set.labels.length !== set.count) {
    throw new Error(
      `The ${what} set holds ${set.images.length} image bytes and ${set.labels.length} labels for ${set.count} images of ${h}×${w}×${c}`,
    );
  }
}

/** SHA-256 (hex) of a dataset's content, as described above. Throws when a set's arrays disagree with its counts or the shape. */
export function datasetContentHash(dataset: DatasetShape, train: ImageSet, test: ImageSet): string {
  check(train, 'training', dataset.shape);
  check(test, 'test', dataset.shape);
  const header = JSON.stringify({ shape: [...dataset.shape], classNames: [...dataset.classNames], trainCount: train.count, testCount: test.count });
  return createHash('sha256')
    .update(header, 'utf8')
    .update(new Uint8Array(1))
    .update(train.images)
    .update(train.labels)
    .update(test.images)
    .update(test.labels)
    .digest('hex');
}
