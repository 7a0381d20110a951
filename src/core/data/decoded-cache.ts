/**
 * The decoded dataset cache: a gzipped IDX file's data as a plain file, so that a run reads
 * 47 MB from disk instead of gunzipping the 26 MB Fashion-MNIST training images every time.
 *
 * Where: one folder per user, LAYERLAB_DECODED_CACHE when set, else
 * os.tmpdir()/layerlab-decoded-<uid>. The trainer is only told where the dataset is (which
 * may be a read-only system folder), and a cache is exactly what a temp folder is for: when
 * it is wiped, the next run decodes once more. The folder must be a directory of this user's
 * that nobody else can write to (made 0700), otherwise no cache is used.
 *
 * One file per source file (named by the source's name and a hash of its full path), holding
 * a header and the data:
 *   0  8 bytes  magic "LLIDXRAW"
 *   8  uint32   format version (FORMAT_VERSION)
 *  12  uint32   number of dimensions (1–4)
 *  16  4×uint32 the dimensions (count, rows, cols; unused ones 0)
 *  32  32 bytes SHA-256 of the source file the data was decoded from
 *  64  float64  the source file's size in bytes
 *  72  float64  the source file's modification time (ms since 1970) when it was read
 *  80  the data: product(dimensions) bytes, nothing after it
 * All numbers little-endian. A load uses the file when the source's size and modification
 * time are those recorded (one stat: the source is not even read), or else when the source's
 * SHA-256 is the one recorded (hashing 30 MB costs a fraction of gunzip and decode); a
 * changed source, a truncated or foreign file or another format version is ignored and
 * written anew. Writes go to a temporary file in the same folder,
 * fsynced, then renamed over the old one: a reader sees the old file or the new one, whole.
 * A cache that cannot be read or written costs only speed, never the load.
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, type Stats } from 'node:fs';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import { basename, join, resolve } from 'node:path';
import { decodeIdxBytes, type IdxArray, isGzip, readIdxFile, readIdxSource } from './idx';

const MAGIC = Buffer.from('LLIDXRAW', 'latin1');
export const DECODED_FORMAT_VERSION = 2;
const HEADER_BYTES = 80;
const MAX_DIMS = 4;

/** Below this many decoded bytes decoding is as quick as reading a cache file: nothing is cached. */
export const MIN_CACHED_BYTES = 1 << 20;

/** What the cache did in this process: loads served from it, loads that decoded, files written. */
export const decodedCacheStats = { hits: 0, misses: 0, writes: 0 };

function userTag(): string {
  const uid = process.getuid?.();
  if (uid !== undefined) return String(uid);
  try {
    return os.userInfo().username.replace(/[^A-Za-z0-9_-]/g, '_');
  } catch {
    return 'user';
  }
}

/** The folder the cache lives in (see above). */
export function defaultDecodedCacheDir(): string {
  const env = process.env.LAYERLAB_DECODED_CACHE?.trim();
  return env ? env : join(os.tmpdir(), `layerlab-decoded-${userTag()}`);
}

/** The cache folder, made if missing, or null when it cannot be made or is not safely this user's. */
function usableFolder(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    if (!st.isDirectory()) return null;
    if (process.platform !== 'win32') {
      // In a shared temp folder another user could have made it first and planted files.
      if (st.uid !== process.getuid?.()) return null;
      if ((st.mode & 0o022) !== 0) return null;
    }
    return dir;
  } catch {
    return null;
  }
}

/** Where the decoded data of `source` is kept in `dir`. */
export function decodedCachePath(dir: string, source: string): string {
  const pathHash = createHash('sha256').update(resolve(source)).digest('hex').slice(0, 16);
  return join(dir, `${basename(source).replace(/\.gz$/, '')}-${pathHash}.raw`);
}

interface CacheFile extends IdxArray {
  sourceHash: Buffer;
  sourceSize: number;
  sourceMtimeMs: number;
}

/** A whole cache file of this format, or null (missing, truncated, foreign, another version). */
async function readCacheFile(file: string): Promise<CacheFile | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return null;
  }
  if (bytes.length < HEADER_BYTES || !bytes.subarray(0, 8).equals(MAGIC)) return null;
  if (bytes.readUInt32LE(8) !== DECODED_FORMAT_VERSION) return null;
  const ndims = bytes.readUInt32LE(12);
  if (ndims < 1 || ndims > MAX_DIMS) return null;
  const dims = Array.from({ length: ndims }, (_, i) => bytes.readUInt32LE(16 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== HEADER_BYTES + size) return null;
  return {
    dims,
    data: new Uint8Array(bytes.buffer, bytes.byteOffset + HEADER_BYTES, size),
    sourceHash: Buffer.from(bytes.subarray(32, 64)),
    sourceSize: bytes.readDoubleLE(64),
    sourceMtimeMs: bytes.readDoubleLE(72),
  };
}

async function writeCacheFile(file: string, source: { hash: Buffer; size: number; mtimeMs: number }, decoded: IdxArray): Promise<void> {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(DECODED_FORMAT_VERSION, 8);
  header.writeUInt32LE(decoded.dims.length, 12);
  decoded.dims.forEach((d, i) => header.writeUInt32LE(d, 16 + 4 * i));
  source.hash.copy(header, 32);
  header.writeDoubleLE(source.size, 64);
  header.writeDoubleLE(source.mtimeMs, 72);
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writev([header, decoded.data]);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    decodedCacheStats.writes++;
  } catch {
    await unlink(tmp).catch(() => {});
  }
}

/** SHA-256 of the dataset files this process has read or found in the cache, for provenance. */
const knownHashes = new Map<string, { size: number; mtimeMs: number; hex: string }>();

function remember(path: string, size: number, mtimeMs: number, hash: Buffer): void {
  knownHashes.set(resolve(path), { size, mtimeMs, hex: hash.toString('hex') });
}

/**
 * The SHA-256 (hex) of a file: the one its decoded cache recorded when the file is the one
 * this process loaded (same size and modification time), else read and hashed now.
 */
export async function fileSha256(path: string): Promise<string> {
  const known = knownHashes.get(resolve(path));
  if (known) {
    try {
      const st = await stat(path);
      if (st.size === known.size && st.mtimeMs === known.mtimeMs) return known.hex;
    } catch {
      // Gone since: hashing below says so.
    }
  }
  return createHash('sha256')
    .update(await readIdxSource(path))
    .digest('hex');
}

/**
 * Reads an IDX file (gzipped or raw) as readIdxFile does, through the decoded cache in
 * `cacheDir` (null: no cache); errors about the source are readIdxFile's. The cache is used
 * when its header names the source's size and modification time, or else (a file copied or
 * touched) when it names the source's SHA-256; a file decoded again is written again. Only
 * gzipped files of at least MIN_CACHED_BYTES decoded are cached.
 */
export async function readIdxCached(path: string, cacheDir: string | null = defaultDecodedCacheDir()): Promise<IdxArray> {
  const dir = cacheDir === null ? null : usableFolder(cacheDir);
  if (dir === null) return readIdxFile(path);
  let st: Stats;
  try {
    st = await stat(path);
  } catch {
    return readIdxFile(path); // which says what is wrong with the path
  }
  const file = decodedCachePath(dir, path);
  const cached = await readCacheFile(file);
  if (cached && cached.sourceSize === st.size && cached.sourceMtimeMs === st.mtimeMs) {
    decodedCacheStats.hits++;
    remember(path, st.size, st.mtimeMs, cached.sourceHash);
    return cached;
  }
  const source = await readIdxSource(path);
  if (!isGzip(source)) return decodeIdxBytes(path, source);
  const hash = createHash('sha256').update(source).digest();
  remember(path, st.size, st.mtimeMs, hash);
  const sourceFacts = { hash, size: source.length, mtimeMs: st.mtimeMs };
  if (cached && cached.sourceHash.equals(hash) && cached.sourceSize === source.length) {
    // The same bytes under a new modification time: written again with it, so the next load need not hash.
    decodedCacheStats.hits++;
    await writeCacheFile(file, sourceFacts, cached);
    return cached;
  }
  decodedCacheStats.misses++;
  const decoded = await decodeIdxBytes(path, source);
  if (decoded.data.length >= MIN_CACHED_BYTES) await writeCacheFile(file, sourceFacts, decoded);
  return decoded;
}
