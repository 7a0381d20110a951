/**
 * Extracting CIFAR-10's six batch files from the binary version's tar.gz, streaming: gunzip
 * (off the main thread, in zlib's pool) into the tar reader, each wanted member written to a
 * hidden file as it passes, its size and labels checked on the way. Only when all six are
 * whole do they get their real names, so the locator never sees a partial set. Members are
 * found by their file name wherever they sit in the archive (officially under
 * cifar-10-batches-bin/) and written under that name only: a path in the archive never
 * decides where a file goes.
 */
import type { FileHandle } from 'node:fs/promises';
import { open, rename, rm } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { basename, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { cancelled, errorCode, partPath } from './builtin-download';
import { CIFAR10_CLASS_COUNT, CIFAR10_RECORD_BYTES, cifar10LabelProblem, cifar10SizeProblem } from './cifar10';
import { DownloadError } from './download';
import { TarError, TarReader, type TarEntry } from './tar';

export interface ExtractOptions {
  /** How messages call the archive. */
  archiveName: string;
  /** The member file names to extract, in the order they are reported. */
  members: readonly string[];
  /** Records each member must hold. */
  recordsPerFile: number;
  signal?: AbortSignal;
  /** Bytes of `file` written so far, of `expected`. */
  onProgress?: (file: string, written: number, expected: number, force: boolean) => void;
}

type Step = { kind: 'open'; name: string } | { kind: 'write'; piece: Uint8Array } | { kind: 'close' };

/** A problem with the archive's content: the download is refused as if it failed its checksum. */
const refused = (message: string): DownloadError => new DownloadError(`${message}; nothing was saved`, 'checksum');

/**
 * Extracts `opts.members` from the tar.gz at `archive` into `folder` under their own names.
 * Throws a DownloadError ('checksum' for a damaged or wrong archive, 'cancelled', 'disk');
 * nothing partial is left behind.
 */
export async function extractCifar10Archive(archive: string, folder: string, opts: ExtractOptions): Promise<void> {
  const expectedBytes = opts.recordsPerFile * CIFAR10_RECORD_BYTES;
  const wanted = new Set(opts.members);
  const parts = new Map<string, string>();
  const written = new Map<string, number>();
  const steps: Step[] = [];
  let current: string | null = null;

  const reader = new TarReader(opts.archiveName, {
    entry(entry: TarEntry): boolean {
      const name = basename(entry.path);
      if (entry.type !== 'file' || !wanted.has(name)) return false;
      if (parts.has(name)) throw refused(`${opts.archiveName} holds ${name} twice`);
      const problem = cifar10SizeProblem(`${name} in ${opts.archiveName}`, entry.size, opts.recordsPerFile);
      if (problem !== null) throw refused(problem);
      parts.set(name, partPath(folder, name));
      written.set(name, 0);
      current = name;
      steps.push({ kind: 'open', name });
      return true;
    },
    data(entry: TarEntry, piece: Uint8Array): void {
      const name = current as string;
      const offset = written.get(name) as number;
      // The label bytes are those at record starts.
      for (let i = (CIFAR10_RECORD_BYTES - (offset % CIFAR10_RECORD_BYTES)) % CIFAR10_RECORD_BYTES; i < piece.length; i += CIFAR10_RECORD_BYTES) {
        if (piece[i] >= CIFAR10_CLASS_COUNT) {
          throw refused(cifar10LabelProblem(`${name} in ${opts.archiveName}`, piece[i], (offset + i) / CIFAR10_RECORD_BYTES));
        }
      }
      written.set(name, offset + piece.length);
      steps.push({ kind: 'write', piece });
    },
    entryEnd(): void {
      steps.push({ kind: 'close' });
      current = null;
    },
  });

  let handle: FileHandle | null = null;
  let handleName = '';
  const run = async (step: Step): Promise<void> => {
    try {
      if (step.kind === 'open') {
        handleName = step.name;
        handle = await open(parts.get(step.name) as string, 'wx');
        opts.onProgress?.(step.name, 0, expectedBytes, true);
      } else if (step.kind === 'write') {
        await (handle as FileHandle | null)?.write(step.piece);
        opts.onProgress?.(handleName, written.get(handleName) as number, expectedBytes, false);
      } else {
        await (handle as FileHandle | null)?.close();
        handle = null;
        opts.onProgress?.(handleName, expectedBytes, expectedBytes, true);
      }
    } catch (err) {
      throw new DownloadError(`Cannot save ${handleName} in ${folder}: ${errorCode(err) ?? String(err)}`, 'disk');
    }
  };

  const gunzip = createGunzip({ chunkSize: 1 << 18 });
  // pipe() does not pass a read error on: without this the loop below would wait forever.
  createReadStream(archive)
    .on('error', (err) => gunzip.destroy(err))
    .pipe(gunzip);
  try {
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) {
        if (opts.signal?.aborted) throw cancelled(opts.archiveName);
        reader.push(chunk);
        for (const step of steps.splice(0)) await run(step);
      }
      reader.end();
    } catch (err) {
      if (err instanceof DownloadError) throw err;
      if (err instanceof TarError) throw refused(err.message);
      if ((err as NodeJS.ErrnoException).code?.startsWith('Z_')) {
        throw refused(`${opts.archiveName} is a damaged or incomplete gzip file (${(err as Error).message})`);
      }
      throw new DownloadError(`Cannot extract ${opts.archiveName}: ${errorCode(err) ?? String(err)}`, 'disk');
    } finally {
      gunzip.destroy();
      await (handle as FileHandle | null)?.close();
    }
    const missing = opts.members.filter((name) => written.get(name) !== expectedBytes);
    if (missing.length > 0) throw refused(`${opts.archiveName} lacks ${missing.join(', ')}`);
    if (opts.signal?.aborted) throw cancelled(opts.archiveName);
    for (const name of opts.members) await rename(parts.get(name) as string, join(folder, name));
  } finally {
    await Promise.all([...parts.values()].map((part) => rm(part, { force: true })));
  }
}
