/**
 * Image pixels, fetched on demand: thumbnails ask for their image, requests made
 * in the same moment go out together (at most 500 an answer), and answers are
 * kept (up to a limit) so scrolling back draws at once. Fashion-MNIST's unless a
 * dataset is named.
 */
import type { ImageRequest, ImageSplit, SplitSpec } from '../../../shared/contract/evaluation';
import { api } from '../transport/api';
import { bytesFromBase64, type ImageLayout } from '../thumbnail';
import { problems } from './errors.svelte';

const MAX_CACHED = 30_000;
const BATCH = 500;

/** One image's bytes and how to read them. */
export interface LoadedImage {
  pixels: Uint8Array;
  layout: ImageLayout;
}

interface Waiting {
  resolve: (image: LoadedImage) => void;
  reject: (err: unknown) => void;
}

const cache = new Map<string, LoadedImage>();
/** Per dataset, split and way of splitting: indexes waiting for the next request. */
const queued = new Map<string, { split: ImageSplit; splitSpec?: SplitSpec; datasetId?: string; waiting: Map<number, Waiting[]> }>();
let scheduled = false;

const groupKey = (split: ImageSplit, spec?: SplitSpec, datasetId?: string) =>
  `${datasetId ?? 'fashion-mnist'}:` + (split === 'test' || !spec ? split : `${split}:${spec.limit ?? 'all'}:${spec.validationSplit}`);

/** The built-in grayscale datasets store ink on black; imported folders store the photo as it was. */
const storedInverted = (datasetId: string | undefined) => !datasetId || !datasetId.startsWith('folder-');

function remember(key: string, image: LoadedImage) {
  if (cache.size >= MAX_CACHED) {
    // Forget the oldest tenth: Map keeps insertion order.
    let n = Math.floor(MAX_CACHED / 10);
    for (const k of cache.keys()) {
      cache.delete(k);
      if (--n <= 0) break;
    }
  }
  cache.set(key, image);
}

async function flush() {
  scheduled = false;
  const groups = [...queued.entries()];
  queued.clear();
  for (const [gk, group] of groups) {
    const indexes = [...group.waiting.keys()];
    for (let i = 0; i < indexes.length; i += BATCH) {
      const chunk = indexes.slice(i, i + BATCH);
      try {
        // The request schema takes datasetId (requests.ts); ImageRequest's interface in evaluation.ts does not name it yet.
        const request: ImageRequest & { datasetId?: string } = {
          split: group.split,
          indexes: chunk,
          splitSpec: group.splitSpec,
          ...(group.datasetId ? { datasetId: group.datasetId } : {}),
        };
        const answer = await api.getImages(request);
        const channels = answer.channels ?? 1;
        const layout: ImageLayout = {
          width: answer.width,
          height: answer.height,
          channels,
          inverted: channels === 1 && storedInverted(group.datasetId),
        };
        const got = new Set<number>();
        for (const image of answer.images) {
          const loaded = { pixels: bytesFromBase64(image.base64), layout };
          remember(`${gk}:${image.index}`, loaded);
          got.add(image.index);
          for (const w of group.waiting.get(image.index) ?? []) w.resolve(loaded);
        }
        for (const index of chunk)
          if (!got.has(index)) for (const w of group.waiting.get(index) ?? []) w.reject(new Error(`Image ${index} was not returned`));
      } catch (err) {
        problems.report('Loading images', err);
        for (const index of chunk) for (const w of group.waiting.get(index) ?? []) w.reject(err);
      }
    }
  }
}

/**
 * One image of a split with its size and channels; 'train' and 'validation' need the
 * way the training images are split. Fashion-MNIST's when no dataset is named.
 */
export function imagePixels(split: ImageSplit, index: number, splitSpec?: SplitSpec, datasetId?: string): Promise<LoadedImage> {
  const gk = groupKey(split, splitSpec, datasetId);
  const hit = cache.get(`${gk}:${index}`);
  if (hit) return Promise.resolve(hit);
  return new Promise((resolve, reject) => {
    let group = queued.get(gk);
    if (!group) {
      group = { split, splitSpec, datasetId, waiting: new Map() };
      queued.set(gk, group);
    }
    const list = group.waiting.get(index) ?? [];
    list.push({ resolve, reject });
    group.waiting.set(index, list);
    if (!scheduled) {
      scheduled = true;
      setTimeout(() => void flush(), 16);
    }
  });
}
