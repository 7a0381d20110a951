import { describe, expect, it } from 'vitest';
import { splitTrainValidation } from '../../../src/core/data/fashion-mnist';
import type { ImageSet } from '../../../src/core/data/types';

/** `count` 2×2 images whose pixels (modulo 256) and label carry the image's index, so each part's origin shows. */
function numberedImages(count: number): ImageSet {
  const images = new Uint8Array(count * 4);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    images.fill(i, i * 4, i * 4 + 4);
    labels[i] = i % 10;
  }
  return { count, rows: 2, cols: 2, images, labels };
}

const firstPixels = (set: ImageSet): number[] => Array.from({ length: set.count }, (_, i) => set.images[i * 4]);

describe('holding out validation images as Keras validation_split does', () => {
  it('keeps the first 80 % for training and the LAST 20 % for validation', () => {
    const all = numberedImages(10);
    const { train, validation } = splitTrainValidation(all, { limit: null, validationSplit: 0.2 });
    expect(firstPixels(train)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(firstPixels(validation)).toEqual([8, 9]);
    expect(Array.from(validation.labels)).toEqual([8, 9]);
    expect(validation.images.length).toBe(2 * 4);
    expect([train.rows, train.cols, validation.rows, validation.cols]).toEqual([2, 2, 2, 2]);
  });

  it('gives the seed study 48,000 training and 12,000 validation images', () => {
    const { train, validation } = splitTrainValidation(numberedImages(60_000), { limit: null, validationSplit: 0.2 });
    expect(train.count).toBe(48_000);
    expect(validation.count).toBe(12_000);
    expect(train.labels.length).toBe(48_000);
    expect(train.images.length).toBe(48_000 * 4);
  });

  it('rounds the split point down like Keras: floor(n × (1 − split))', () => {
    // 7 × 0.7 = 4.9 → 4 train, 3 validation; 1000 × (1 − 0.333) = 667.
    expect(splitTrainValidation(numberedImages(7), { limit: null, validationSplit: 0.3 }).train.count).toBe(4);
    const third = splitTrainValidation(numberedImages(1000), { limit: null, validationSplit: 0.333 });
    expect([third.train.count, third.validation.count]).toEqual([667, 333]);
    // 0.1 × 3 is not exactly 0.3 in floating point; Keras and Layerlab both get floor(9 × 0.7) = 6.
    expect(splitTrainValidation(numberedImages(9), { limit: null, validationSplit: 0.1 * 3 }).train.count).toBe(6);
  });

  it('applies the limit first, then splits the limited images', () => {
    const { train, validation } = splitTrainValidation(numberedImages(100), { limit: 10, validationSplit: 0.2 });
    expect(firstPixels(train)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Validation is the end of the first 10 images, not the end of all 100.
    expect(firstPixels(validation)).toEqual([8, 9]);
  });

  it('shares memory with the loaded images instead of copying 150 MB', () => {
    const all = numberedImages(10);
    const { train, validation } = splitTrainValidation(all, { limit: null, validationSplit: 0.5 });
    expect(train.images.buffer).toBe(all.images.buffer);
    expect(validation.labels.buffer).toBe(all.labels.buffer);
  });

  it('refuses a limit above the number of images, saying both numbers', () => {
    expect(() => splitTrainValidation(numberedImages(60_000), { limit: 70_000, validationSplit: 0.2 })).toThrow(
      'The image limit of 70,000 is more than the 60,000 training images',
    );
    expect(() => splitTrainValidation(numberedImages(10), { limit: 0, validationSplit: 0.2 })).toThrow(
      'The image limit must be a whole number of at least 1 (got 0)',
    );
    expect(() => splitTrainValidation(numberedImages(10), { limit: 2.5, validationSplit: 0.2 })).toThrow('got 2.5');
  });

  it('refuses a split that leaves nothing to validate or nothing to train on', () => {
    // 1 − 1e-17 rounds to 1 in floating point, so floor(4 × 1) = 4 images train and none validate.
    expect(() => splitTrainValidation(numberedImages(4), { limit: null, validationSplit: 1e-17 })).toThrow(
      'A validation split of 1e-17 of 4 images leaves no images to validate on',
    );
    expect(() => splitTrainValidation(numberedImages(100), { limit: null, validationSplit: 0 })).toThrow('leaves no images to validate on');
    expect(() => splitTrainValidation(numberedImages(100), { limit: 1, validationSplit: 0.5 })).toThrow(
      'A validation split of 0.5 of 1 images leaves no images to train on',
    );
  });

  it('refuses a split outside [0, 1)', () => {
    for (const validationSplit of [1, 1.5, -0.1, Number.NaN]) {
      expect(() => splitTrainValidation(numberedImages(10), { limit: null, validationSplit })).toThrow(
        `The validation split must be at least 0 and below 1 (got ${validationSplit})`,
      );
    }
  });
});
