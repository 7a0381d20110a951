/**
 * Image pixels, fetched on demand: thumbnails ask for their image, requests made
 * in the same moment go out together (at most 500 an answer), and answers are
 * kept (up to a limit) so scrolling back draws at once.
 */
import type { ImageSplit, SplitSpec } from '../../../shared/contract/evaluation';
import { api } from '../transport/api';
import { bytesFromBase64 } from '../thumbnail';
import { problems } from './errors.svelte';

const MAX_CACHED = 30_000;
const BATCH = 500;

interface Waiting {
  resolve: (pixels: Uint8Array) => void;
  reject: (err: unknown) => void;
}

const cache = new Map<string, Uint8Array>();
/** Per split and way of splitting: indexes waiting for the next request. */
const queued = new Map<string, { split: ImageSplit; splitSpec?: SplitSpec; waiting: Map<number, Waiting[]> }>();
let scheduled = false;

const groupKey = (split: ImageSplit, spec?: SplitSpec) =>
  split === 'test' || !spec ? split : `${split}:${spec.limit ?? 'all'}:${spec.validationSplit}`;

function remember(key: string, pixels: Uint8Array) {
  if (cache.size >= MAX_CACHED) {
    // Forget the oldest tenth: Map keeps insertion order.
    let n = Math.floor(MAX_CACHED / 10);
    for (const k of cache.keys()) {
      cache.delete(k);
      if (--n <= 0) break;
    }
  }
  cache.set(key, pixels);
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
        const answer = await api.getImages({ split: group.split, indexes: chunk, splitSpec: group.splitSpec });
        const got = new Set<number>();
        for (const image of answer.images) {
          const pixels = bytesFromBase64(image.base64);
          remember(`${gk}:${image.index}`, pixels);
          got.add(image.index);
          for (const w of group.waiting.get(image.index) ?? []) w.resolve(pixels);
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

/** The 784 pixels of one image of a split; 'train' and 'validation' need the way the training images are split. */
export function imagePixels(split: ImageSplit, index: number, splitSpec?: SplitSpec): Promise<Uint8Array> {
  const gk = groupKey(split, splitSpec);
  const hit = cache.get(`${gk}:${index}`);
  if (hit) return Promise.resolve(hit);
  return new Promise((resolve, reject) => {
    let group = queued.get(gk);
    if (!group) {
      group = { split, splitSpec, waiting: new Map() };
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
