import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DECODED_FORMAT_VERSION, decodedCachePath, decodedCacheStats, fileSha256, readIdxCached } from '../../../src/core/data/decoded-cache';
import { FASHION_MNIST_FILES, loadFashionMnistSet } from '../../../src/core/data/fashion-mnist';
import { readIdxFile } from '../../../src/core/data/idx';
import { SYSTEM_FASHION_MNIST, tempDir } from '../../helpers';

const { dir, cleanup } = tempDir('layerlab-decoded-');
afterAll(cleanup);

const HEADER = 80;

/** A private copy of the real t10k files (7.8 MB of images decoded: large enough to be cached). */
function dataset(name: string): { folder: string; images: string; cache: string } {
  const folder = join(dir, name);
  const cache = join(dir, `${name}-cache`);
  mkdirSync(folder, { recursive: true });
  for (const file of [FASHION_MNIST_FILES.testImages, FASHION_MNIST_FILES.testLabels])
    copyFileSync(join(SYSTEM_FASHION_MNIST, file), join(folder, file));
  return { folder, images: join(folder, FASHION_MNIST_FILES.testImages), cache };
}

const stats = () => ({ ...decodedCacheStats });
const delta = (before: typeof decodedCacheStats) => ({
  hits: decodedCacheStats.hits - before.hits,
  misses: decodedCacheStats.misses - before.misses,
  writes: decodedCacheStats.writes - before.writes,
});

describe('the decoded dataset cache', () => {
  it('decodes a gzipped file once, then reads the same bytes from the cache', async () => {
    const { images, cache } = dataset('once');
    const expected = await readIdxFile(images);
    let before = stats();
    const first = await readIdxCached(images, cache);
    expect(delta(before)).toEqual({ hits: 0, misses: 1, writes: 1 });
    const file = decodedCachePath(cache, images);
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('LLIDXRAW');
    expect(bytes.readUInt32LE(8)).toBe(DECODED_FORMAT_VERSION);
    expect([bytes.readUInt32LE(12), bytes.readUInt32LE(16), bytes.readUInt32LE(20), bytes.readUInt32LE(24)]).toEqual([3, 10_000, 28, 28]);
    expect(bytes.length).toBe(HEADER + 10_000 * 784);
    // Nobody else may read or plant it.
    expect(statSync(cache).mode & 0o777).toBe(0o700);

    before = stats();
    const second = await readIdxCached(images, cache);
    expect(delta(before)).toEqual({ hits: 1, misses: 0, writes: 0 });
    for (const read of [first, second]) {
      expect(read.dims).toEqual(expected.dims);
      expect(Buffer.from(read.data).equals(Buffer.from(expected.data))).toBe(true);
    }
    // No temporary files are left behind.
    expect(readdirSync(cache)).toEqual([file.slice(cache.length + 1)]);
  });

  it('loads the same images and labels through the cache as without it', async () => {
    const { folder, cache } = dataset('same');
    const plain = await loadFashionMnistSet(folder, 'test', { cacheDir: null });
    await loadFashionMnistSet(folder, 'test', { cacheDir: cache });
    const before = stats();
    const cached = await loadFashionMnistSet(folder, 'test', { cacheDir: cache });
    expect(delta(before).hits).toBe(1);
    expect(cached.count).toBe(10_000);
    expect(Buffer.from(cached.images).equals(Buffer.from(plain.images))).toBe(true);
    expect(Buffer.from(cached.labels).equals(Buffer.from(plain.labels))).toBe(true);
  });

  it('a changed source file is decoded again and the cache rewritten', async () => {
    const { images, cache } = dataset('changed');
    await readIdxCached(images, cache);
    const raw = gunzipSync(readFileSync(images));
    // The first pixel of the first image, 16 bytes into the file (after the header), becomes 200.
    raw[16] = 200;
    writeFileSync(images, gzipSync(raw));
    const before = stats();
    const read = await readIdxCached(images, cache);
    expect(delta(before)).toEqual({ hits: 0, misses: 1, writes: 1 });
    expect(read.data[0]).toBe(200);
    const again = await readIdxCached(images, cache);
    expect(again.data[0]).toBe(200);
  });

  it('a source touched but not changed is still served from the cache, and the SHA-256 it records is the file’s', async () => {
    const { images, cache } = dataset('touched');
    await readIdxCached(images, cache);
    const later = new Date(Date.now() + 60_000);
    utimesSync(images, later, later);
    let before = stats();
    await readIdxCached(images, cache);
    // Recognised by its hash, and written again with its new time.
    expect(delta(before)).toEqual({ hits: 1, misses: 0, writes: 1 });
    before = stats();
    await readIdxCached(images, cache);
    expect(delta(before)).toEqual({ hits: 1, misses: 0, writes: 0 });
    expect(await fileSha256(images)).toBe(createHash('sha256').update(readFileSync(images)).digest('hex'));
  });

  it('ignores a truncated or foreign cache file and writes it whole again', async () => {
    const { images, cache } = dataset('truncated');
    const expected = await readIdxFile(images);
    await readIdxCached(images, cache);
    const file = decodedCachePath(cache, images);
    for (const damage of [() => truncateSync(file, HEADER + 1000), () => writeFileSync(file, Buffer.alloc(HEADER + 10_000 * 784))]) {
      damage();
      const before = stats();
      const read = await readIdxCached(images, cache);
      expect(delta(before)).toEqual({ hits: 0, misses: 1, writes: 1 });
      expect(Buffer.from(read.data).equals(Buffer.from(expected.data))).toBe(true);
      expect(statSync(file).size).toBe(HEADER + 10_000 * 784);
    }
  });

  it('uses no cache folder that others can write to', async () => {
    const { images, cache } = dataset('shared');
    mkdirSync(cache);
    chmodSync(cache, 0o777);
    const before = stats();
    const read = await readIdxCached(images, cache);
    expect(read.dims).toEqual([10_000, 28, 28]);
    expect(delta(before)).toEqual({ hits: 0, misses: 0, writes: 0 });
    expect(readdirSync(cache)).toEqual([]);
  });

  it('leaves small and uncompressed files alone: decoding them is as quick as reading a cache', async () => {
    const { folder, cache } = dataset('small');
    const labels = join(folder, FASHION_MNIST_FILES.testLabels);
    const raw = join(folder, 'raw-images-idx3-ubyte');
    writeFileSync(raw, gunzipSync(readFileSync(join(folder, FASHION_MNIST_FILES.testImages))));
    expect((await readIdxCached(labels, cache)).dims).toEqual([10_000]);
    expect((await readIdxCached(raw, cache)).dims).toEqual([10_000, 28, 28]);
    expect(readdirSync(cache)).toEqual([]);
  });
});
