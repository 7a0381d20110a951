/**
 * The app icons electron-builder packages (resources/): PNGs of the sizes their names
 * say, an .ico and an .icns whose directories point at PNGs of the sizes they declare,
 * all of them what scripts/icons.mjs makes from resources/icon.svg now, and the page's
 * favicon a copy of the same SVG. The containers are parsed here byte by byte, not
 * through the generator's own code.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ICNS_TYPES, ICO_SIZES, LINUX_SIZES, writeIcons } from '../../../scripts/icons.mjs';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const resources = join(root, 'resources');
const REGENERATE = 'run `node scripts/icons.mjs` after editing resources/icon.svg and commit what it writes';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function pngSize(png: Buffer, what: string): Promise<{ width: number; height: number }> {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE), `${what} starts with the PNG signature`).toBe(true);
  const meta = await sharp(png).metadata();
  expect(meta.format, `${what} decodes as a PNG`).toBe('png');
  return { width: meta.width, height: meta.height };
}

const pixels = (image: Buffer | string) => sharp(image).ensureAlpha().raw().toBuffer();

/** The PNGs inside an .ico, by the size its directory declares (0 meaning 256). */
function parseIco(ico: Buffer): { declared: number; png: Buffer }[] {
  expect(ico.length, 'icon.ico holds at least its 6-byte header').toBeGreaterThanOrEqual(6);
  expect(ico.readUInt16LE(0), 'ICONDIR reserved field').toBe(0);
  expect(ico.readUInt16LE(2), 'ICONDIR type (1 = icon)').toBe(1);
  const count = ico.readUInt16LE(4);
  expect(6 + 16 * count, 'the directory fits in the file').toBeLessThanOrEqual(ico.length);
  return Array.from({ length: count }, (_, i) => {
    const at = 6 + 16 * i;
    const width = ico.readUInt8(at) || 256;
    const height = ico.readUInt8(at + 1) || 256;
    expect(height, `entry ${i} is square`).toBe(width);
    expect(ico.readUInt16LE(at + 4), `entry ${i} colour planes`).toBe(1);
    expect(ico.readUInt16LE(at + 6), `entry ${i} bits per pixel`).toBe(32);
    const length = ico.readUInt32LE(at + 8);
    const offset = ico.readUInt32LE(at + 12);
    expect(offset, `entry ${i} starts after the directory`).toBeGreaterThanOrEqual(6 + 16 * count);
    expect(offset + length, `entry ${i} ends inside the file`).toBeLessThanOrEqual(ico.length);
    return { declared: width, png: ico.subarray(offset, offset + length) };
  });
}

/** The entries of an .icns by OSType, walked from the header to the file's end. */
function parseIcns(icns: Buffer): Map<string, Buffer> {
  expect(icns.subarray(0, 4).toString('latin1'), 'icon.icns magic').toBe('icns');
  expect(icns.readUInt32BE(4), "icon.icns's declared length is the file's length").toBe(icns.length);
  const entries = new Map<string, Buffer>();
  let at = 8;
  while (at < icns.length) {
    expect(at + 8, `the entry header at byte ${at} fits in the file`).toBeLessThanOrEqual(icns.length);
    const type = icns.subarray(at, at + 4).toString('latin1');
    const length = icns.readUInt32BE(at + 4);
    expect(length, `${type}'s length covers its own header`).toBeGreaterThanOrEqual(8);
    expect(at + length, `${type} ends inside the file`).toBeLessThanOrEqual(icns.length);
    expect(entries.has(type), `${type} appears once`).toBe(false);
    entries.set(type, icns.subarray(at + 8, at + length));
    at += length;
  }
  expect(at, 'the entries end exactly at the end of the file').toBe(icns.length);
  return entries;
}

describe('the app icons in resources/', () => {
  let fresh: string;

  beforeAll(async () => {
    fresh = mkdtempSync(join(tmpdir(), 'layerlab-icons-'));
    await writeIcons(fresh);
  });
  afterAll(() => rmSync(fresh, { recursive: true, force: true }));

  it("the Linux icon folder has every size electron-builder looks for, each a PNG of its name's size", async () => {
    const names = readdirSync(join(resources, 'icons')).sort();
    expect(names).toEqual(LINUX_SIZES.map((n) => `${n}x${n}.png`).sort());
    expect(LINUX_SIZES).toEqual([16, 24, 32, 48, 64, 128, 256, 512, 1024]);
    for (const name of names) {
      const n = Number(/^(\d+)x\1\.png$/.exec(name)?.[1]);
      expect(await pngSize(readFileSync(join(resources, 'icons', name)), `icons/${name}`), `icons/${name}'s size`).toEqual({ width: n, height: n });
    }
    expect(await pngSize(readFileSync(join(resources, 'icon.png')), 'icon.png'), "icon.png's size").toEqual({ width: 1024, height: 1024 });
  });

  it('icon.ico holds seven PNGs, 16 to 256 px, each the size its directory entry declares', async () => {
    const entries = parseIco(readFileSync(join(resources, 'icon.ico')));
    expect(entries.map((e) => e.declared)).toEqual([16, 24, 32, 48, 64, 128, 256]);
    expect(ICO_SIZES).toEqual([16, 24, 32, 48, 64, 128, 256]);
    for (const { declared, png } of entries) {
      expect(await pngSize(png, `the ${declared} px entry of icon.ico`), `the ${declared} px entry's PNG size`).toEqual({
        width: declared,
        height: declared,
      });
    }
  });

  it("icon.icns holds a PNG for each of macOS's seven sizes under its OSType", async () => {
    const entries = parseIcns(readFileSync(join(resources, 'icon.icns')));
    const expected: [string, number][] = [
      ['icp4', 16],
      ['icp5', 32],
      ['icp6', 64],
      ['ic07', 128],
      ['ic08', 256],
      ['ic09', 512],
      ['ic10', 1024],
    ];
    expect([...entries.keys()].sort()).toEqual(expected.map(([type]) => type).sort());
    expect(ICNS_TYPES).toEqual(expected);
    for (const [type, size] of expected) {
      expect(await pngSize(entries.get(type)!, `icon.icns ${type}`), `icon.icns ${type}'s PNG size`).toEqual({ width: size, height: size });
    }
  });

  it('every committed icon is what scripts/icons.mjs makes from resources/icon.svg now', async () => {
    const stale: string[] = [];
    const same = async (committed: Buffer | string, generated: string, what: string) => {
      if (!(await pixels(committed)).equals(await pixels(generated))) stale.push(what);
    };
    await same(join(resources, 'icon.png'), join(fresh, 'icon.png'), 'icon.png');
    for (const n of LINUX_SIZES) await same(join(resources, 'icons', `${n}x${n}.png`), join(fresh, 'icons', `${n}x${n}.png`), `icons/${n}x${n}.png`);
    for (const { declared, png } of parseIco(readFileSync(join(resources, 'icon.ico')))) {
      await same(png, join(fresh, 'icons', `${declared}x${declared}.png`), `icon.ico's ${declared} px entry`);
    }
    for (const [type, size] of ICNS_TYPES) {
      await same(parseIcns(readFileSync(join(resources, 'icon.icns'))).get(type)!, join(fresh, 'icons', `${size}x${size}.png`), `icon.icns ${type}`);
    }
    expect(stale.length, `${stale.join(', ')} differ from what resources/icon.svg renders to: ${REGENERATE}`).toBe(0);
  });

  it("the page's favicon is the same SVG", () => {
    const favicon = readFileSync(join(root, 'src/renderer/public/icon.svg'));
    expect(
      favicon.equals(readFileSync(join(resources, 'icon.svg'))),
      `src/renderer/public/icon.svg differs from resources/icon.svg: ${REGENERATE}`,
    ).toBe(true);
  });

  it('at 16 px the three layers stay apart: three dark slabs down the middle, transparent rounded corners', async () => {
    const { data, info } = await sharp(join(resources, 'icons', '16x16.png'))
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => data.subarray((y * info.width + x) * 4, (y * info.width + x) * 4 + 4);
    const dark = (x: number, y: number) => {
      const [r, g, b, a] = at(x, y);
      return a === 255 && 0.2126 * r + 0.7152 * g + 0.0722 * b < 128;
    };
    const column = Array.from({ length: 16 }, (_, y) => (dark(8, y) ? '#' : '.')).join('');
    expect(column.match(/#+/g)?.length, `middle column ${column}`).toBe(3);
    expect(at(0, 0)[3], 'top-left corner alpha').toBe(0);
    expect(at(15, 15)[3], 'bottom-right corner alpha').toBe(0);
    expect(at(8, 1)[3], 'the background is opaque').toBe(255);
  });
});
