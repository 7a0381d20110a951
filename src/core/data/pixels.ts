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

/** Images [from, to) of a set as floats in [0, 1], in a new array. */
export function pixelFloats(set: ImageSet, from = 0, to = set.count): Float32Array {
  const size = set.rows * set.cols;
  const out = new Float32Array((to - from) * size);
  scaleInto(out, 0, set.images.subarray(from * size, to * size));
  return out;
}
