import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { IdxError, parseIdx, readIdxFile, streamIdxFile } from '../../../src/core/data/idx';

/** An IDX file as the MNIST tools write it: 00 00 type ndims, big-endian sizes, data. */
function idxBytes(dims: number[], data: ArrayLike<number>, type = 0x08): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = type;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(Array.from(data))]);
}

const dir = mkdtempSync(join(tmpdir(), 'layerlab-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

// Two 3×2 "images" with every byte value distinct, so a shifted read shows.
const images = { dims: [2, 3, 2], data: [0, 1, 2, 3, 4, 255, 10, 20, 30, 40, 50, 60] };
const labels = { dims: [5], data: [9, 0, 0, 3, 7] };

describe('reading IDX files', () => {
  it('round-trips raw and gzipped images and labels, in memory and from disk', async () => {
    for (const { dims, data } of [images, labels]) {
      const raw = idxBytes(dims, data);
      for (const [kind, bytes] of [
        ['raw', raw],
        ['gzip', gzipSync(raw)],
      ] as const) {
        const parsed = parseIdx(bytes, `${kind}.idx`);
        expect(parsed.dims).toEqual(dims);
        expect(Array.from(parsed.data)).toEqual(data);

        const fromDisk = await readIdxFile(write(`${kind}-${dims.length}.idx`, bytes));
        expect(fromDisk.dims).toEqual(dims);
        expect(Array.from(fromDisk.data)).toEqual(data);
      }
    }
  });

  it('streams a file larger than one decompressed piece in order, with offsets', async () => {
    const count = 3000; // 3000 × 28 × 28 bytes = 2.35 MB, several pieces
    const data = new Uint8Array(count * 28 * 28).map((_, i) => (i * 31 + (i >> 11)) & 0xff);
    const path = write('big.gz', gzipSync(idxBytes([count, 28, 28], data)));
    const copy = new Uint8Array(data.length);
    let pieces = 0;
    let next = 0;
    const dims = await streamIdxFile(path, {
      start: (d) => expect(d).toEqual([count, 28, 28]),
      piece(piece, offset) {
        expect(offset).toBe(next);
        copy.set(piece, offset);
        next += piece.length;
        pieces++;
      },
    });
    expect(dims).toEqual([count, 28, 28]);
    expect(pieces).toBeGreaterThan(1);
    // Buffer.equals: toEqual walks 2.35 million elements one by one and takes seconds.
    expect(Buffer.from(copy.buffer).equals(Buffer.from(data.buffer))).toBe(true);
  });

  it('reads several files at once', async () => {
    const paths = [1, 2, 3, 4].map((n) => write(`parallel-${n}.gz`, gzipSync(idxBytes([n], new Array(n).fill(n)))));
    const read = await Promise.all(paths.map(readIdxFile));
    expect(read.map((r) => Array.from(r.data))).toEqual([[1], [2, 2], [3, 3, 3], [4, 4, 4, 4]]);
  });
});

describe('refusing broken IDX files, saying which file and what is wrong', () => {
  it('names a file that is not IDX and shows its magic', async () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]);
    expect(() => parseIdx(png, 'picture.png')).toThrow(
      'picture.png is not an IDX file (magic 0x89504e47, expected 0x00000801 for labels or 0x00000803 for images)',
    );
    // A file gzipped twice: one gunzip leaves gzip bytes, which are no IDX magic.
    const twice = gzipSync(gzipSync(idxBytes(labels.dims, labels.data)));
    const path = write('twice.gz', twice);
    await expect(readIdxFile(path)).rejects.toThrow(`${path} is not an IDX file (magic 0x1f8b0800`);
    await expect(readIdxFile(path)).rejects.toBeInstanceOf(IdxError);
  });

  it('refuses 0 or more than 4 dimensions as not IDX', () => {
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 0]), 'zero.idx')).toThrow('zero.idx is not an IDX file (magic 0x00000800');
    expect(() => parseIdx(idxBytes([1, 1, 1, 1, 1], [7]), 'five.idx')).toThrow('five.idx is not an IDX file (magic 0x00000805');
  });

  it('refuses a type other than unsigned bytes, naming the type', () => {
    const floats = idxBytes([1], [0, 0, 0, 0], 0x0d);
    expect(() => parseIdx(floats, 'floats.idx')).toThrow(
      'floats.idx holds 32-bit floats (IDX type 0x0d); Layerlab reads only unsigned-byte IDX files (type 0x08)',
    );
  });

  it('reports a truncated file with the promised and actual sizes', async () => {
    const short = idxBytes([60000, 28, 28], new Array(1000).fill(1));
    expect(() => parseIdx(short, 'train-images-idx3-ubyte')).toThrow(
      'train-images-idx3-ubyte is truncated: header promises 47,040,000 bytes of data, file has 1,000',
    );
    const path = write('short.gz', gzipSync(short));
    await expect(readIdxFile(path)).rejects.toThrow(`${path} is truncated: header promises 47,040,000 bytes of data, file has 1,000`);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 3, 0, 0]), 'stub')).toThrow('stub is truncated: it ends inside its header, after 6 bytes');
  });

  it('reports a gzip download cut short', async () => {
    const gz = gzipSync(idxBytes(images.dims, images.data));
    const path = write('cut.gz', gz.subarray(0, gz.length - 10));
    await expect(readIdxFile(path)).rejects.toThrow(`${path} is a damaged or incomplete gzip file`);
  });

  it('refuses trailing bytes after the data', async () => {
    const long = Buffer.concat([idxBytes(labels.dims, labels.data), Buffer.from('garbage')]);
    expect(() => parseIdx(long, 'labels.idx')).toThrow('labels.idx has 7 unexpected bytes after the 5 bytes of data its header promises');
    const path = write('long.gz', gzipSync(long));
    await expect(readIdxFile(path)).rejects.toThrow(`${path} has 7 unexpected bytes`);
  });

  it('names the path of a missing file', async () => {
    const path = join(dir, 'nowhere', 'train-labels-idx1-ubyte.gz');
    await expect(readIdxFile(path)).rejects.toThrow(`${path} was not found`);
    await expect(readIdxFile(path)).rejects.toBeInstanceOf(IdxError);
  });

  it('does not allocate what a lying header claims', async () => {
    // 4 × 4,000,000,000 bytes promised by a 30-byte file.
    const liar = idxBytes([4, 1000, 1000, 1000], [1, 2, 3]);
    const path = write('liar.gz', gzipSync(liar));
    let started = false;
    await expect(streamIdxFile(path, { start: () => (started = true), piece: () => undefined })).rejects.toThrow(
      `${path} is truncated: header promises 4,000,000,000 bytes of data, file has 3`,
    );
    expect(started).toBe(false);
  });
});
