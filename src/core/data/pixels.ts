/** Pixels (bytes 0–255) as the floats in [0, 1] a model takes, made where a tensor is made. */
import type { ImageSet } from './types';

/**
 * A byte times this, rounded to float32, is a pixel's value: the arithmetic the loader
 * used when it kept whole sets as floats, so every figure stays bit-identical.
 */
export const PIXEL_SCALE = 1 / 255;

/** Writes `pixels` scaled to [0, 1] into `out` from `offset` on. */
export function scaleInto(out: Float32Array, offset: number, pixels: Uint8Array): void {
  const n = pixels.length;
  for (let i = 0; i < n; i++) out[offset + i] = pixels[i] * PIXEL_SCALE;
}

/** The values of one image: rows × cols × channels (1 when the set says none). */
export const pixelCount = (set: Pick<ImageSet, 'rows' | 'cols' | 'channels'>): number => set.rows * set.cols * (set.channels ?? 1);

/** Images [from, to) of a set as floats in [0, 1], in a new array (HWC, as the bytes are). */
export function pixelFloats(set: ImageSet, from = 0, to = set.count): Float32Array {
  const size = pixelCount(set);
  const out = new Float32Array((to - from) * size);
  scaleInto(out, 0, set.images.subarray(from * size, to * size));
  return out;
}
