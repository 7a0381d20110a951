import { describe, expect, it } from 'vitest';
import { TarReader, type TarEntry } from '../../../src/core/data/tar';

/** A 512-byte header for `name` of `size` bytes and `type`, with its checksum. */
function header(name: string, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0);
  h.write('0000644\0', 100);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar  \0', 257); // GNU tar's magic: no prefix field
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

const padded = (data: Buffer): Buffer => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
const entry = (name: string, data: Buffer, type = '0'): Buffer => Buffer.concat([header(name, data.length, type), padded(data)]);
const pax = (records: Record<string, string>): Buffer =>
  Buffer.from(
    Object.entries(records)
      .map(([k, v]) => {
        const body = ` ${k}=${v}\n`;
        let len = body.length + 1;
        while (String(len).length + body.length !== len) len++;
        return `${len}${body}`;
      })
      .join(''),
  );

/** Feeds `archive` in pieces of `piece` bytes; returns each file's path and content. */
function read(archive: Buffer, piece: number): Map<string, string> {
  const files = new Map<string, string>();
  const chunks: Buffer[] = [];
  const reader = new TarReader('test.tar', {
    entry: (e: TarEntry) => e.type === 'file',
    data: (_e, p) => chunks.push(Buffer.from(p)),
    entryEnd: (e) => files.set(e.path, Buffer.concat(chunks.splice(0)).toString()),
  });
  for (let at = 0; at < archive.length; at += piece) reader.push(archive.subarray(at, at + piece));
  reader.end();
  return files;
}

describe('the tar reader', () => {
  const longName = `${'deep/'.repeat(30)}batch.bin`;
  const archive = Buffer.concat([
    entry('plain.txt', Buffer.from('plain')),
    entry('././@LongLink', Buffer.from(`${longName}\0`), 'L'),
    entry(longName.slice(0, 100), Buffer.from('long'.repeat(200))),
    entry('PaxHeaders/x', pax({ path: 'pax/named.bin', mtime: '1' }), 'x'),
    entry('short-pax-name', Buffer.from('pax')),
    entry('a-link', Buffer.alloc(0), '2'),
    Buffer.alloc(1024),
  ]);

  it('reads files whatever the piece size, applying GNU long names and pax paths', () => {
    for (const piece of [1, 7, 512, 100_000]) {
      expect(read(archive, piece)).toEqual(
        new Map([
          ['plain.txt', 'plain'],
          [longName, 'long'.repeat(200)],
          ['pax/named.bin', 'pax'],
        ]),
      );
    }
  });

  it('refuses a damaged header and an archive cut short', () => {
    const damaged = Buffer.from(archive);
    damaged[1024 + 3] ^= 1; // the long-name entry's header
    expect(() => read(damaged, 4096)).toThrow('test.tar is not a tar archive or is damaged: the header near byte 1,024 fails its checksum');
    // The long-named file's data starts at 2,560 (plain.txt and its data, the long name and its data, then its own header).
    expect(() => read(archive.subarray(0, 2560 + 100), 4096)).toThrow(`test.tar is truncated: it ends inside the data of ${longName}`);
    expect(() => read(archive.subarray(0, 300), 4096)).toThrow('test.tar is truncated: it ends inside a header');
  });
});
