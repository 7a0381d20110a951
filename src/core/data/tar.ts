/**
 * Reading a tar archive as it streams past (after gunzip), enough for dataset archives: the
 * POSIX ustar layout of 512-byte headers, each followed by its data padded to 512 bytes, with
 * the long names of GNU tar ('L' entries) and pax headers ('x' entries, their `path` and
 * `size`). Each header's checksum is checked, so a damaged or foreign file is refused early.
 * Nothing here writes files: the caller decides what to keep and where.
 */

export const TAR_BLOCK = 512;
/** Long names and pax headers are small; more than this is not an archive we want. */
const MAX_META_BYTES = 1 << 20;

/** A problem with the archive's structure, worded for the user. */
export class TarError extends Error {
  override name = 'TarError';
}

export interface TarEntry {
  /** The path inside the archive, with any ustar prefix, long name or pax path applied. */
  path: string;
  size: number;
  type: 'file' | 'directory' | 'other';
}

export interface TarVisitor {
  /** Called at each entry's header; return true to be given its data. Throw to stop. */
  entry(entry: TarEntry): boolean;
  /** Consecutive pieces of the chosen entry's data; a piece is a view valid until the next push. */
  data(entry: TarEntry, piece: Uint8Array): void;
  /** Called after the chosen entry's last piece. */
  entryEnd(entry: TarEntry): void;
}

const ascii = (bytes: Uint8Array): string => {
  const end = bytes.indexOf(0);
  return Buffer.from(end === -1 ? bytes : bytes.subarray(0, end)).toString('utf8');
};

/** A numeric header field: octal text (NUL or space ended), or GNU's base-256 for large values. */
function numberField(field: Uint8Array): number {
  if (field[0] & 0x80) {
    let value = field[0] & 0x7f;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
    return value;
  }
  const text = ascii(field).trim();
  return text === '' ? 0 : /^[0-7]+$/.test(text) ? parseInt(text, 8) : NaN;
}

function checksumOk(header: Uint8Array): boolean {
  const stored = numberField(header.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return sum === stored;
}

/** The pax records "LEN key=value\n" as a map. */
function paxRecords(bytes: Uint8Array): Map<string, string> {
  const records = new Map<string, string>();
  const text = Buffer.from(bytes).toString('utf8');
  let at = 0;
  while (at < text.length) {
    const space = text.indexOf(' ', at);
    const length = Number(text.slice(at, space));
    if (space === -1 || !Number.isInteger(length) || length <= 0) break;
    const record = text.slice(space + 1, at + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
}

/**
 * Feed it the archive's bytes with push() in order, then call end(). `name` is how messages
 * call the archive.
 */
export class TarReader {
  private header = new Uint8Array(TAR_BLOCK);
  private headerFill = 0;
  private entry: TarEntry | null = null;
  /** Of the current entry: data bytes left, then padding bytes left. */
  private dataLeft = 0;
  private padLeft = 0;
  private wanted = false;
  /** The data of a long-name or pax entry, gathered for the entry after it. */
  private meta: { kind: 'L' | 'x'; bytes: Uint8Array; fill: number } | null = null;
  private nextPath: string | null = null;
  private nextSize: number | null = null;
  /** Bytes of the archive consumed so far. */
  private offset = 0;
  private ended = false;

  constructor(
    private readonly name: string,
    private readonly visitor: TarVisitor,
  ) {}

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.dataLeft > 0) {
        const take = Math.min(this.dataLeft, chunk.length - at);
        this.dataPiece(chunk.subarray(at, at + take));
        this.dataLeft -= take;
        at += take;
        this.offset += take;
        if (this.dataLeft === 0) this.entryDone();
      } else if (this.padLeft > 0) {
        const take = Math.min(this.padLeft, chunk.length - at);
        this.padLeft -= take;
        at += take;
        this.offset += take;
      } else {
        const take = Math.min(TAR_BLOCK - this.headerFill, chunk.length - at);
        this.header.set(chunk.subarray(at, at + take), this.headerFill);
        this.headerFill += take;
        at += take;
        this.offset += take;
        if (this.headerFill === TAR_BLOCK) {
          this.headerFill = 0;
          this.readHeader();
        }
      }
    }
  }

  /** Checks the archive did not stop inside an entry. */
  end(): void {
    if (this.ended) return;
    if (this.dataLeft > 0 || this.headerFill > 0 || this.meta !== null) {
      throw new TarError(`${this.name} is truncated: it ends inside ${this.entry ? `the data of ${this.entry.path}` : 'a header'}`);
    }
    // Archives end with two zero blocks, but tools accept one missing; what matters is that no entry was cut.
  }

  private readHeader(): void {
    const h = this.header;
    if (h.every((b) => b === 0)) {
      this.ended = true;
      return;
    }
    const headerAt = this.offset - TAR_BLOCK;
    if (!checksumOk(h)) {
      throw new TarError(
        `${this.name} is not a tar archive or is damaged: the header near byte ${headerAt.toLocaleString('en-US')} fails its checksum`,
      );
    }
    let size = numberField(h.subarray(124, 136));
    if (!Number.isFinite(size)) throw new TarError(`${this.name} is damaged: an entry's size is not a number`);
    const typeflag = String.fromCharCode(h[156]);
    const magic = ascii(h.subarray(257, 263));
    const prefix = magic === 'ustar' ? ascii(h.subarray(345, 500)) : '';
    let path = prefix ? `${prefix}/${ascii(h.subarray(0, 100))}` : ascii(h.subarray(0, 100));
    if (this.nextPath !== null) path = this.nextPath;
    if (this.nextSize !== null) size = this.nextSize;
    this.nextPath = null;
    this.nextSize = null;

    if (typeflag === 'L' || typeflag === 'x') {
      if (size > MAX_META_BYTES)
        throw new TarError(`${this.name} has a ${typeflag === 'L' ? 'long name' : 'pax header'} of ${size} bytes; refusing it`);
      this.meta = { kind: typeflag, bytes: new Uint8Array(size), fill: 0 };
    }
    const type: TarEntry['type'] = typeflag === '0' || typeflag === '\0' || typeflag === '7' ? 'file' : typeflag === '5' ? 'directory' : 'other';
    this.entry = { path, size, type };
    this.wanted = this.meta === null && type !== 'other' && this.visitor.entry(this.entry);
    this.dataLeft = size;
    this.padLeft = (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
    if (size === 0) this.entryDone();
  }

  private dataPiece(piece: Uint8Array): void {
    if (this.meta !== null) {
      this.meta.bytes.set(piece, this.meta.fill);
      this.meta.fill += piece.length;
    } else if (this.wanted && this.entry) {
      this.visitor.data(this.entry, piece);
    }
  }

  private entryDone(): void {
    if (this.meta !== null) {
      if (this.meta.kind === 'L') this.nextPath = ascii(this.meta.bytes);
      else {
        const records = paxRecords(this.meta.bytes);
        const path = records.get('path');
        const size = records.get('size');
        if (path !== undefined) this.nextPath = path;
        if (size !== undefined && /^\d+$/.test(size)) this.nextSize = Number(size);
      }
      this.meta = null;
    } else if (this.wanted && this.entry) {
      this.visitor.entryEnd(this.entry);
    }
    this.wanted = false;
  }
}
