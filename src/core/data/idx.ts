/**
 * IDX files (the MNIST family's format): a 4-byte magic (0x00 0x00 type ndims),
 * ndims big-endian uint32 sizes, then the data. Only unsigned bytes are read,
 * which is all Fashion-MNIST uses.
 */
import { readFile } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

/** A problem with an IDX file, worded for the user: which file and what is wrong. */
export class IdxError extends Error {
  override name = 'IdxError';
}

export interface IdxArray {
  dims: number[];
  /** Product of dims bytes, row-major. */
  data: Uint8Array;
}

/** Receives an IDX file's data while it is being decompressed. */
export interface IdxReader {
  /** Called once with the dimensions before any data; throw to refuse the shape. */
  start(dims: number[]): void;
  /** Consecutive pieces of the data; `offset` is where `piece` begins. The piece is only valid during the call. */
  piece(piece: Uint8Array, offset: number): void;
}

const UNSIGNED_BYTE = 0x08;
const OTHER_TYPES: Record<number, string> = {
  0x09: 'signed bytes',
  0x0b: '16-bit integers',
  0x0c: '32-bit integers',
  0x0d: '32-bit floats',
  0x0e: '64-bit floats',
};
const MAX_DIMS = 4;

const count = (n: number): string => n.toLocaleString('en-US');
const hex32 = (b: Uint8Array): string => '0x' + Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join('');

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function damagedGzip(name: string, err: unknown): IdxError {
  const why = err instanceof Error ? err.message : String(err);
  return new IdxError(`${name} is a damaged or incomplete gzip file (${why}); download it again`);
}

/** Checks the 4-byte magic and returns the number of dimensions. */
function readMagic(head: Uint8Array, name: string): number {
  const [zero0, zero1, type, ndims] = head;
  const known = type === UNSIGNED_BYTE || type in OTHER_TYPES;
  if (zero0 !== 0 || zero1 !== 0 || !known || ndims === 0 || ndims > MAX_DIMS) {
    return fail(`${name} is not an IDX file (magic ${hex32(head)}, expected 0x00000801 for labels or 0x00000803 for images)`);
  }
  if (type !== UNSIGNED_BYTE) {
    const typeHex = '0x' + type.toString(16).padStart(2, '0');
    return fail(`${name} holds ${OTHER_TYPES[type]} (IDX type ${typeHex}); Layerlab reads only unsigned-byte IDX files (type 0x08)`);
  }
  return ndims;
}

function readDims(header: Uint8Array, ndims: number): number[] {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  return Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
}

const headerLength = (ndims: number): number => 4 + 4 * ndims;
const product = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);

function fail(message: string): never {
  throw new IdxError(message);
}

function truncatedHeader(name: string, has: number): IdxError {
  return new IdxError(`${name} is truncated: it ends inside its header, after ${count(has)} bytes`);
}

function wrongLength(name: string, promised: number, has: number): IdxError {
  return has < promised
    ? new IdxError(`${name} is truncated: header promises ${count(promised)} bytes of data, file has ${count(has)}`)
    : new IdxError(`${name} has ${count(has - promised)} unexpected bytes after the ${count(promised)} bytes of data its header promises`);
}

/** Feeds decompressed bytes through header checks to a reader, enforcing the exact data length. */
class IdxStream {
  private head = new Uint8Array(headerLength(MAX_DIMS));
  private headFill = 0;
  private headNeeded = 4;
  private dims: number[] | null = null;
  private size = 0;
  private received = 0;

  /** False when the header promises more data than the file could hold: count the bytes, then report. */
  private feeding = true;

  constructor(
    private readonly name: string,
    private readonly reader: IdxReader,
    private readonly maxDataBytes: number,
  ) {}

  push(chunk: Uint8Array): void {
    let at = 0;
    while (this.dims === null && at < chunk.length) {
      const take = Math.min(this.headNeeded - this.headFill, chunk.length - at);
      this.head.set(chunk.subarray(at, at + take), this.headFill);
      this.headFill += take;
      at += take;
      if (this.headFill === 4 && this.headNeeded === 4) this.headNeeded = headerLength(readMagic(this.head, this.name));
      if (this.headFill === this.headNeeded && this.headNeeded > 4) {
        this.dims = readDims(this.head, (this.headNeeded - 4) / 4);
        this.size = product(this.dims);
        // A header claiming gigabytes must not make the reader allocate them.
        this.feeding = this.size <= this.maxDataBytes;
        if (this.feeding) this.reader.start(this.dims);
      }
    }
    if (this.dims === null || at === chunk.length) return;
    const piece = chunk.subarray(at);
    // Refuse trailing bytes as soon as they appear rather than reading on.
    if (this.received + piece.length > this.size) throw wrongLength(this.name, this.size, this.received + piece.length);
    if (this.feeding) this.reader.piece(piece, this.received);
    this.received += piece.length;
  }

  finish(): number[] {
    if (this.dims === null) throw truncatedHeader(this.name, this.headFill);
    if (this.received !== this.size) throw wrongLength(this.name, this.size, this.received);
    return this.dims;
  }
}

/** A file's bytes as they are on disk; errors name `path` and say what is wrong. */
export async function readIdxSource(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new IdxError(`${path} was not found`);
    if (code === 'EISDIR') throw new IdxError(`${path} is a folder, not an IDX file`);
    if (code === 'EACCES' || code === 'EPERM') throw new IdxError(`${path} cannot be read: permission denied`);
    throw new IdxError(`${path} cannot be read (${code ?? String(err)})`);
  }
}

// zlib inflates the next piece on the libuv thread pool while the reader works
// on this one, so decompressing and converting overlap on two cores. 64 KiB to
// 1 MiB pieces measured the same; 256 KiB keeps per-piece overhead small.
const PIECE_BYTES = 1 << 18;
// Deflate cannot expand data by more than about 1032:1.
const MAX_DEFLATE_RATIO = 1032;

/**
 * Streams an IDX file (gzipped or raw) to `reader`, decompressing off the main
 * thread. Errors name `path`. Returns the dimensions.
 */
export async function streamIdxFile(path: string, reader: IdxReader): Promise<number[]> {
  return streamIdxBytes(path, await readIdxSource(path), reader);
}

/** streamIdxFile over bytes already read from `path` (gzipped or raw). */
export async function streamIdxBytes(path: string, bytes: Uint8Array, reader: IdxReader): Promise<number[]> {
  if (!isGzip(bytes)) {
    const stream = new IdxStream(path, reader, bytes.length);
    stream.push(bytes);
    return stream.finish();
  }
  const stream = new IdxStream(path, reader, bytes.length * MAX_DEFLATE_RATIO);
  const gunzip = createGunzip({ chunkSize: PIECE_BYTES });
  gunzip.end(bytes);
  try {
    for await (const piece of gunzip as AsyncIterable<Buffer>) stream.push(piece);
  } catch (err) {
    gunzip.destroy();
    if (err instanceof IdxError) throw err;
    if ((err as NodeJS.ErrnoException).code?.startsWith('Z_')) throw damagedGzip(path, err);
    throw err;
  }
  return stream.finish();
}

/** Reads a whole IDX file (gzipped or raw); several calls decompress in parallel. */
export async function readIdxFile(path: string): Promise<IdxArray> {
  return decodeIdxBytes(path, await readIdxSource(path));
}

/** readIdxFile over bytes already read from `path`. */
export async function decodeIdxBytes(path: string, bytes: Uint8Array): Promise<IdxArray> {
  let data = new Uint8Array(0);
  const dims = await streamIdxBytes(path, bytes, {
    start(d) {
      data = new Uint8Array(product(d));
    },
    piece(piece, offset) {
      data.set(piece, offset);
    },
  });
  return { dims, data };
}
