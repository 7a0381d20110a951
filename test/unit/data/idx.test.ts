import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { IdxError, readIdxFile, streamIdxFile } from '../../../src/core/data/idx';
import { idxBytes } from '../../helpers';

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
  it('round-trips raw and gzipped images and labels', async () => {
    for (const { dims, data } of [images, labels]) {
      const raw = idxBytes(dims, data);
      for (const [kind, bytes] of [
        ['raw', raw],
        ['gzip', gzipSync(raw)],
      ] as const) {
        const read = await readIdxFile(write(`${kind}-${dims.length}.idx`, bytes));
        expect(read.dims).toEqual(dims);
        expect(Array.from(read.data)).toEqual(data);
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

/** What reading `bytes` from a file named `name` rejects with; the message starts with the file's path. */
async function refusal(name: string, bytes: Uint8Array): Promise<{ path: string; error: unknown }> {
  const path = write(name, bytes);
  const error = await readIdxFile(path).then(
    () => new Error(`${path} was read without complaint`),
    (e: unknown) => e,
  );
  return { path, error };
}

describe.each([
  ['raw', (bytes: Uint8Array) => bytes],
  ['gzipped', (bytes: Uint8Array) => gzipSync(bytes)],
])('refusing a broken %s IDX file, saying which file and what is wrong', (form, encode) => {
  /** Expects the file to be refused with an IdxError reading exactly "<path> <what>". */
  async function expectRefused(name: string, bytes: Uint8Array, what: string): Promise<void> {
    const { path, error } = await refusal(`${form}-${name}`, encode(bytes));
    expect(error).toBeInstanceOf(IdxError);
    expect((error as Error).message).toBe(`${path} ${what}`);
  }

  it('names a file that is not IDX and shows its magic', async () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]);
    await expectRefused('picture.png', png, 'is not an IDX file (magic 0x89504e47, expected 0x00000801 for labels or 0x00000803 for images)');
  });

  it('refuses 0 or more than 4 dimensions as not IDX', async () => {
    await expectRefused(
      'zero.idx',
      Uint8Array.from([0, 0, 8, 0]),
      'is not an IDX file (magic 0x00000800, expected 0x00000801 for labels or 0x00000803 for images)',
    );
    await expectRefused(
      'five.idx',
      idxBytes([1, 1, 1, 1, 1], [7]),
      'is not an IDX file (magic 0x00000805, expected 0x00000801 for labels or 0x00000803 for images)',
    );
  });

  it('refuses a type other than unsigned bytes, naming the type', async () => {
    await expectRefused(
      'floats.idx',
      idxBytes([1], [0, 0, 0, 0], 0x0d),
      'holds 32-bit floats (IDX type 0x0d); Layerlab reads only unsigned-byte IDX files (type 0x08)',
    );
  });

  it('reports data cut short with the promised and actual sizes', async () => {
    const short = idxBytes([60000, 28, 28], new Array(1000).fill(1));
    await expectRefused('train-images-idx3-ubyte', short, 'is truncated: header promises 47,040,000 bytes of data, file has 1,000');
  });

  it('reports a file that ends inside its header, or before it', async () => {
    await expectRefused('stub', Uint8Array.from([0, 0, 8, 3, 0, 0]), 'is truncated: it ends inside its header, after 6 bytes');
    await expectRefused('two-bytes', Uint8Array.from([0, 0]), 'is truncated: it ends inside its header, after 2 bytes');
    await expectRefused('empty', new Uint8Array(0), 'is truncated: it ends inside its header, after 0 bytes');
  });

  it('refuses trailing bytes after the data', async () => {
    const long = Buffer.concat([idxBytes(labels.dims, labels.data), Buffer.from('garbage')]);
    await expectRefused('labels.idx', long, 'has 7 unexpected bytes after the 5 bytes of data its header promises');
  });

  it('does not allocate what a lying header claims', async () => {
    // 4 × 4,000,000,000 bytes promised by a 30-byte file.
    const path = write(`${form}-liar`, encode(idxBytes([4, 1000, 1000, 1000], [1, 2, 3])));
    let started = false;
    await expect(streamIdxFile(path, { start: () => (started = true), piece: () => undefined })).rejects.toThrow(
      `${path} is truncated: header promises 4,000,000,000 bytes of data, file has 3`,
    );
    expect(started).toBe(false);
  });
});

describe('refusing files that are not IDX data at all', () => {
  it('names a file gzipped twice: one gunzip leaves gzip bytes, which are no IDX magic', async () => {
    const { path, error } = await refusal('twice.gz', gzipSync(gzipSync(idxBytes(labels.dims, labels.data))));
    expect(error).toBeInstanceOf(IdxError);
    expect((error as Error).message).toContain(`${path} is not an IDX file (magic 0x1f8b0800,`);
  });

  it('reports a gzip download cut short', async () => {
    const gz = gzipSync(idxBytes(images.dims, images.data));
    const { path, error } = await refusal('cut.gz', gz.subarray(0, gz.length - 10));
    expect(error).toBeInstanceOf(IdxError);
    expect((error as Error).message).toContain(`${path} is a damaged or incomplete gzip file (`);
    expect((error as Error).message).toMatch(/\); download it again$/);
  });

  it('names the path of a missing file, and of a folder', async () => {
    const path = join(dir, 'nowhere', 'train-labels-idx1-ubyte.gz');
    await expect(readIdxFile(path)).rejects.toThrow(`${path} was not found`);
    await expect(readIdxFile(path)).rejects.toBeInstanceOf(IdxError);
    await expect(readIdxFile(dir)).rejects.toThrow(`${dir} is a folder, not an IDX file`);
  });
});
